"""Write a run directory the way the Spark job publishes it (docs/run-manifest.md), from rows.

<base>/runs/<run_id>/<table>/part-00000.parquet, <base>/runs/<run_id>/copy/<table>.manifest,
<base>/runs/<run_id>/load/summary.json and <base>/runs/<run_id>/manifest.json, with columns in
the order and types of liberta_core/tables.py.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from decimal import Decimal
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

from liberta_core.manifest import RunManifest, load_summary
from liberta_core.tables import TABLES, Table

Row = Mapping[str, Any]


def arrow_type(logical: str) -> pa.DataType:
    if logical.startswith("varchar"):
        return pa.string()
    if logical.startswith("decimal"):
        precision, scale = (int(x) for x in logical[len("decimal(") : -1].split(","))
        return pa.decimal128(precision, scale)
    return {
        "bigint": pa.int64(),
        "int": pa.int32(),
        "smallint": pa.int16(),
        "boolean": pa.bool_(),
        "double": pa.float64(),
        "date": pa.date32(),
        "timestamp": pa.timestamp("us"),
    }[logical]


def arrow_schema(table: Table) -> pa.Schema:
    return pa.schema(
        [pa.field(c.name, arrow_type(c.type), nullable=c.nullable) for c in table.columns]
    )


def arrow_table(table: Table, rows: Sequence[Row]) -> pa.Table:
    columns = {
        c.name: [
            Decimal(str(r[c.name]))
            if c.type.startswith("decimal") and r.get(c.name) is not None
            else r.get(c.name)
            for r in rows
        ]
        for c in table.columns
    }
    return pa.table(columns, schema=arrow_schema(table))


def write_run(
    base: Path,
    run_id: str,
    rows: Mapping[str, Sequence[Row]],
    *,
    since: str | None = None,
    until: str | None = None,
    high_water_mark: str | None = None,
    full_refresh: bool = False,
    counts: Mapping[str, int] | None = None,
    by_reason: Mapping[str, int] | None = None,
    files_per_table: int = 1,
) -> str:
    """Write the run and return its manifest URI (file://)."""
    run_dir = base / "runs" / run_id
    (run_dir / "copy").mkdir(parents=True, exist_ok=True)
    tables: dict[str, Any] = {}
    for table in TABLES:
        table_rows = list(rows.get(table.name, ()))
        entries = []
        if table_rows:
            (run_dir / table.name).mkdir(exist_ok=True)
            chunk = -(-len(table_rows) // files_per_table)
            for i in range(0, len(table_rows), chunk):
                path = run_dir / table.name / f"part-{i // chunk:05d}.parquet"
                pq.write_table(arrow_table(table, table_rows[i : i + chunk]), path)
                entries.append(
                    {
                        "url": path.as_uri(),
                        "mandatory": True,
                        "meta": {"content_length": path.stat().st_size},
                    }
                )
        copy_manifest = run_dir / "copy" / f"{table.name}.manifest"
        copy_manifest.write_text(json.dumps({"entries": entries}))
        tables[table.name] = {
            "rows": len(table_rows),
            "copy_manifest": copy_manifest.as_uri(),
            "entries": entries,
        }
    valid = len(rows.get("f_event", ()))
    reasons = dict(by_reason or {})
    counts = dict(
        counts
        or {
            "read": valid + sum(reasons.values()),
            "valid": valid,
            "quarantined": sum(reasons.values()),
            "duplicates": 0,
            "time_corrected": 0,
        }
    )
    manifest = {
        "format_version": 1,
        "run_id": run_id,
        "created_at": "2026-03-09T00:00:00Z",
        "window": {"since": since, "until": until, "full_refresh": full_refresh, "partitions": []},
        "high_water_mark": high_water_mark,
        "counts": counts,
        "quarantine": {
            "uri": (base / "quarantine" / f"run_id={run_id}").as_uri() + "/",
            "by_reason": reasons,
            "worst_files": [],
        },
        "tables": tables,
    }
    # The load summary the job writes next to the manifest (what the load SQL reads).
    (run_dir / "load").mkdir(exist_ok=True)
    summary = load_summary(RunManifest.from_json(manifest))
    (run_dir / "load" / "summary.json").write_text(json.dumps(summary))
    path = run_dir / "manifest.json"
    path.write_text(json.dumps(manifest, indent=2))
    return path.as_uri()


def summary_path(manifest_uri: str) -> Path:
    return Path(manifest_uri.removeprefix("file://")).parent / "load" / "summary.json"


def entry_path(manifest_uri: str, table: str, index: int = 0) -> Path:
    """The local path of one Parquet file of a written run."""
    manifest = json.loads(Path(manifest_uri.removeprefix("file://")).read_text())
    return Path(manifest["tables"][table]["entries"][index]["url"].removeprefix("file://"))
