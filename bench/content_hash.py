"""Content hashes of what a job run publishes: every table, the quarantine and the counts.

Speed work must not change a single value, so the job's output is compared as content, not
as files: Parquet file names, sizes, compression and the number of part files may change,
the rows may not. A table's digest is the SHA-256 of its Arrow schema (names and types)
followed by its rows, each row rendered as text column by column (nulls distinguishable
from every value), the rows sorted. The quarantine's digest is the same over its JSON
records, with the raw root stripped from file URIs so that two copies of one data set in
different directories compare equal.

    python -m bench.content_hash CURATED RUN_ID RAW_ROOT   # print the digests as JSON

Needs only pyarrow (no Spark): the test suite and the benchmark both use it.
"""

from __future__ import annotations

import hashlib
import json
import sys
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

_NULL = "\x00null"
_FIELD_SEP = "\x1f"
_CHUNK_ROWS = 200_000


def _row_texts(table: pa.Table) -> list[str]:
    """One text per row: every column cast to text (null as a marker no value has)."""
    if table.num_rows == 0:
        return []
    columns = [pc.fill_null(pc.cast(col, pa.string()), _NULL) for col in table.columns]
    joined = pc.binary_join_element_wise(*columns, _FIELD_SEP) if columns else None
    return joined.to_pylist() if joined is not None else []


def table_digest(table: pa.Table) -> str:
    """SHA-256 of the schema and the sorted rows of an Arrow table."""
    schema = ",".join(f"{f.name}:{f.type}" for f in table.schema)
    digest = hashlib.sha256(schema.encode("utf-8") + b"\n")
    rows = _row_texts(table)
    rows.sort()
    for start in range(0, len(rows), _CHUNK_ROWS):
        digest.update(("\n".join(rows[start : start + _CHUNK_ROWS]) + "\n").encode("utf-8"))
    return digest.hexdigest()


def parquet_digest(directory: Path) -> tuple[str, int]:
    """(digest, rows) of the `part-*.parquet` files of one table directory."""
    files = sorted(directory.glob("part-*.parquet"))
    if not files:
        return table_digest(pa.table({})), 0
    tables = [pq.read_table(path) for path in files]
    # Files of one table share a schema; an empty part file may carry no row group.
    table = pa.concat_tables(tables, promote_options="none")
    return table_digest(table), table.num_rows


def _relative(uri: str, raw_root: str) -> str:
    for prefix in (raw_root.rstrip("/") + "/", "file://" + raw_root.rstrip("/") + "/"):
        if uri.startswith(prefix):
            return uri[len(prefix) :]
    return uri


def quarantine_digest(directory: Path, raw_root: str) -> tuple[str, int]:
    """(digest, records) of the quarantine JSON lines, file URIs relative to the raw root."""
    lines: list[str] = []
    for path in sorted(directory.glob("part-*")):
        for text in path.read_text(encoding="utf-8").splitlines():
            if not text.strip():
                continue
            record = json.loads(text)
            record["source_file"] = _relative(record["source_file"], raw_root)
            lines.append(json.dumps(record, sort_keys=True, ensure_ascii=False))
    lines.sort()
    digest = hashlib.sha256(("\n".join(lines) + "\n").encode("utf-8"))
    return digest.hexdigest(), len(lines)


def manifest_summary(manifest: dict[str, Any], raw_root: str) -> dict[str, Any]:
    """The manifest's content that does not depend on where or when the run happened."""
    return {
        "counts": manifest["counts"],
        "high_water_mark": manifest["high_water_mark"],
        "partitions": manifest["window"]["partitions"],
        "by_reason": manifest["quarantine"]["by_reason"],
        "worst_files": [
            {**f, "file": _relative(f["file"], raw_root)}
            for f in manifest["quarantine"]["worst_files"]
        ],
        "table_rows": {name: t["rows"] for name, t in manifest["tables"].items()},
        "files_read": manifest["source"]["files"],
    }


def run_digests(curated: Path, run_id: str, raw_root: str) -> dict[str, Any]:
    """Digests of every table, the quarantine and the manifest summary of one run."""
    run_dir = curated / "runs" / run_id
    manifest = json.loads((run_dir / "manifest.json").read_text(encoding="utf-8"))
    tables = {}
    for name in manifest["tables"]:
        digest, rows = parquet_digest(run_dir / name)
        tables[name] = {"sha256": digest, "rows": rows}
    q_digest, q_rows = quarantine_digest(curated / "quarantine" / f"run_id={run_id}", raw_root)
    return {
        "tables": tables,
        "quarantine": {"sha256": q_digest, "rows": q_rows},
        "manifest": manifest_summary(manifest, raw_root),
    }


def compare(expected: dict[str, Any], actual: dict[str, Any]) -> list[str]:
    """Human-readable differences between two `run_digests` results ([] when equal)."""
    problems: list[str] = []
    for name in sorted(set(expected["tables"]) | set(actual["tables"])):
        want, got = expected["tables"].get(name), actual["tables"].get(name)
        if want != got:
            problems.append(f"table {name}: expected {want}, got {got}")
    if expected["quarantine"] != actual["quarantine"]:
        problems.append(
            f"quarantine: expected {expected['quarantine']}, got {actual['quarantine']}"
        )
    for key in sorted(set(expected["manifest"]) | set(actual["manifest"])):
        want, got = expected["manifest"].get(key), actual["manifest"].get(key)
        if want != got:
            problems.append(f"manifest {key}: expected {want}, got {got}")
    return problems


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if len(args) != 3:
        print(__doc__, file=sys.stderr)
        return 2
    curated, run_id, raw_root = args
    print(json.dumps(run_digests(Path(curated), run_id, raw_root), indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
