"""The run manifest and the COPY manifests (`docs/run-manifest.md`), and the Parquet schema
of every table (`liberta_core/tables.py`)."""

from __future__ import annotations

import json
import re

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from liberta_core.tables import TABLES, TABLES_BY_NAME
from tests.spark_job import raw_fixture as rf
from tests.spark_job.conftest import JobRun, file_uri

TABLE_NAMES = [t.name for t in TABLES]

ARROW_TYPES = {
    "bigint": pa.int64(),
    "int": pa.int32(),
    "smallint": pa.int16(),
    "boolean": pa.bool_(),
    "double": pa.float64(),
    "date": pa.date32(),
    "timestamp": pa.timestamp("us", tz="UTC"),
    "decimal(18,6)": pa.decimal128(18, 6),
}


def arrow_type(logical: str) -> pa.DataType:
    return pa.string() if logical.startswith("varchar(") else ARROW_TYPES[logical]


def test_manifest_on_disk_is_the_returned_one(first_run: JobRun) -> None:
    on_disk = json.loads((first_run.run_dir / "manifest.json").read_text(encoding="utf-8"))
    assert on_disk == first_run.manifest


def test_manifest_header(first_run: JobRun) -> None:
    m = first_run.manifest
    assert m["format_version"] == 1
    assert m["run_id"] == "run-1"
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", m["created_at"])
    assert m["window"] == {
        "since": "2026-03-02T00:00:00Z",
        "until": "2026-03-04T00:00:00Z",
        "full_refresh": False,
        "partitions": rf.PARTITIONS,
    }
    assert sorted(m["tables"]) == sorted(TABLE_NAMES)


@pytest.mark.parametrize("table", TABLE_NAMES)
def test_table_entries_list_exactly_the_parquet_files(first_run: JobRun, table: str) -> None:
    entry = first_run.manifest["tables"][table]
    files = first_run.parquet_files(table)
    assert files, f"{table}: no Parquet written"
    expected = [
        {"url": file_uri(p), "mandatory": True, "meta": {"content_length": p.stat().st_size}}
        for p in files
    ]
    by_url = sorted(entry["entries"], key=lambda e: e["url"])
    assert by_url == sorted(expected, key=lambda e: e["url"])
    assert entry["rows"] == rf.ROWS[table]
    assert entry["rows"] == sum(pq.ParquetFile(p).metadata.num_rows for p in files)


@pytest.mark.parametrize("table", TABLE_NAMES)
def test_copy_manifest_holds_the_same_entries(first_run: JobRun, table: str) -> None:
    entry = first_run.manifest["tables"][table]
    path = first_run.run_dir / "copy" / f"{table}.manifest"
    assert entry["copy_manifest"] == file_uri(path)
    assert json.loads(path.read_text(encoding="utf-8")) == {"entries": entry["entries"]}


@pytest.mark.parametrize("table", TABLE_NAMES)
def test_parquet_columns_and_types_follow_tables_py(first_run: JobRun, table: str) -> None:
    expected = [(c.name, arrow_type(c.type)) for c in TABLES_BY_NAME[table].columns]
    for path in first_run.parquet_files(table):
        schema = pq.read_schema(path)
        assert [(f.name, f.type) for f in schema] == expected, path


def test_manifest_is_written_last(first_run: JobRun) -> None:
    manifest_time = (first_run.run_dir / "manifest.json").stat().st_mtime_ns
    others = [
        p
        for p in first_run.run_dir.rglob("*")
        if p.is_file() and p.name != "manifest.json" and not p.name.startswith(".")
    ]  # every Parquet file and COPY manifest (hidden .crc side files are Hadoop's)
    assert others
    assert all(p.stat().st_mtime_ns <= manifest_time for p in others)
