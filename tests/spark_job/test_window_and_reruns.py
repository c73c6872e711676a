"""Window selection, re-runs, the bad-record gate and an empty window."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pyarrow.parquet as pq
import pytest

from emr_jobs.config import parse_args
from emr_jobs.main import run
from emr_jobs.quality import BadRecordShareExceeded
from liberta_core.tables import TABLES
from tests.spark_job import raw_fixture as rf
from tests.spark_job.conftest import (
    Q_FILE,
    JobRun,
    assert_same_rows,
    file_uri,
    raw_uri,
    run_job,
)


def test_only_the_window_partitions_are_read(first_run: JobRun) -> None:
    """dt=2026-03-01 and dt=2026-03-04 hold unreadable files and valid events of other users:
    reading them would fail the run or add `user-early` / `user-late`."""
    assert first_run.manifest["window"]["partitions"] == rf.PARTITIONS
    users = {r["user_id"] for r in first_run.rows("d_user")}
    assert users == {"user-a", "user-b", "user-c", "user-d"}
    window_files = {raw_uri(first_run.raw, f) for f in rf.WINDOW_FILES}
    assert {r[Q_FILE] for r in first_run.quarantine()} == window_files
    assert {w["file"] for w in first_run.manifest["quarantine"]["worst_files"]} <= window_files
    assert first_run.manifest["counts"]["read"] == sum(len(f.lines) for f in rf.WINDOW_FILES)


@pytest.mark.parametrize("table", [t.name for t in TABLES])
def test_rerun_gives_identical_rows_and_keys(
    first_run: JobRun, second_run: JobRun, table: str
) -> None:
    first = first_run.tuples(table)
    assert first
    assert_same_rows(second_run.tuples(table), first)
    # the same Parquet schema too: names, types, nullability and Spark's schema metadata
    schemas = [
        pq.read_schema(p) for job in (first_run, second_run) for p in job.parquet_files(table)
    ]
    assert all(s.equals(schemas[0], check_metadata=True) for s in schemas), schemas


def test_same_run_id_again_replaces_the_run_directory(
    first_run: JobRun, second_run_first_write: dict[str, Any], second_run: JobRun
) -> None:
    """run-2 was written twice: the run directory holds exactly the second write's files."""
    assert second_run_first_write["counts"] == first_run.manifest["counts"]
    listed = {e["url"] for t in second_run.manifest["tables"].values() for e in t["entries"]}
    on_disk = {file_uri(p) for p in second_run.run_dir.glob("*/*.parquet")}
    assert listed == on_disk
    # and they are the second write's: every Spark write names its part files afresh
    first = {e["url"] for t in second_run_first_write["tables"].values() for e in t["entries"]}
    assert listed and listed.isdisjoint(first)


def test_rerun_gives_identical_counts_and_quarantine(first_run: JobRun, second_run: JobRun) -> None:
    for name in ("window", "high_water_mark", "counts"):
        assert second_run.manifest[name] == first_run.manifest[name], name
    q1, q2 = first_run.manifest["quarantine"], second_run.manifest["quarantine"]
    assert q2["by_reason"] == q1["by_reason"]
    assert q2["worst_files"] == q1["worst_files"]
    assert q2["uri"] == f"file://{second_run.curated}/quarantine/run_id=run-2/"
    assert_same_rows(
        [tuple(sorted(r.items())) for r in second_run.quarantine()],
        [tuple(sorted(r.items())) for r in first_run.quarantine()],
    )
    # the first run's published output is still there, untouched
    assert (first_run.run_dir / "manifest.json").is_file()
    assert all(
        e["url"].startswith(file_uri(second_run.run_dir) + "/")
        for t in second_run.manifest["tables"].values()
        for e in t["entries"]
    )


def test_too_many_bad_records_fail_without_publishing(
    spark: Any, raw_dir: Path, curated_dir: Path
) -> None:
    """17 of 39 records are bad (44%) > the default --max-bad-share (5%): the run raises,
    naming d.json.lzo (2 of 3 bad) as the worst file, and publishes nothing."""
    config = parse_args(
        ["--raw", file_uri(raw_dir), "--curated", str(curated_dir), "--run-id", "run-too-bad",
         "--since", "2026-03-02", "--until", "2026-03-04"]
    )  # fmt: skip
    assert (config.since, config.until) == (rf.SINCE, rf.UNTIL)
    with pytest.raises(BadRecordShareExceeded) as failure:
        run(spark, config)  # a verdict, not a crash (not a Py4J error)
    message = str(failure.value)
    assert "17 of 39 records" in message
    lines = message.splitlines()
    for f, read, bad, first_bad in [(rf.FILE_D, 3, 2, 1), (rf.FILE_F, 8, 5, 2)]:
        (named,) = [x for x in lines if raw_uri(raw_dir, f) in x]
        assert f"{f.relpath}: {bad} of {read} bad" in named, message
        assert named.endswith(f"first bad record on line {first_bad}"), message
    worst = raw_uri(raw_dir, rf.WORST_FILE)
    assert worst in message
    positions = {
        f.name: message.find(raw_uri(raw_dir, f))
        for f in rf.WINDOW_FILES
        if raw_uri(raw_dir, f) in message
    }
    assert min(positions, key=positions.__getitem__) == rf.WORST_FILE.name, message
    run_dir = curated_dir / "runs" / "run-too-bad"
    assert not (run_dir / "manifest.json").exists()
    assert not list(run_dir.rglob("*.parquet"))
    assert not run_dir.exists()
    # not even an empty quarantine directory
    assert not (curated_dir / "quarantine" / "run_id=run-too-bad").exists()
    assert not list((curated_dir / "_staging").glob("*"))  # no scratch left behind


def test_empty_window_publishes_seven_empty_tables(
    spark: Any, raw_dir: Path, tmp_path: Path
) -> None:
    """No partition overlaps January: every table is listed with 0 rows and no entries."""
    since, until = datetime(2026, 1, 1, tzinfo=UTC), datetime(2026, 1, 2, tzinfo=UTC)
    job = run_job(
        spark, raw_dir, tmp_path, "run-empty", raw_arg=file_uri(raw_dir), since=since, until=until
    )
    manifest = job.manifest
    assert manifest["window"]["partitions"] == []
    assert manifest["counts"] == {
        "read": 0,
        "valid": 0,
        "quarantined": 0,
        "duplicates": 0,
        "time_corrected": 0,
    }
    assert manifest["high_water_mark"] is None
    run_dir = tmp_path / "runs" / "run-empty"
    assert sorted(manifest["tables"]) == sorted(t.name for t in TABLES)
    for name, table in manifest["tables"].items():
        assert (table["rows"], table["entries"]) == (0, []), name
        copy = json.loads((run_dir / "copy" / f"{name}.manifest").read_text(encoding="utf-8"))
        assert copy == {"entries": []}
    assert json.loads((run_dir / "manifest.json").read_text(encoding="utf-8")) == manifest
