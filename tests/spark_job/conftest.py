"""The Spark job's one test suite: one Spark session, one set of helpers, few job runs.

End to end, the job is driven only through `emr_jobs.main.run(spark, JobConfig(...))` and
judged by what it leaves on disk (`<curated>/runs/<run_id>/...`,
`<curated>/quarantine/run_id=<run_id>/`); the hand-checked data set is `raw_fixture.py`, and
its runs are session-scoped and shared by every test module of this folder. Tests of single
rules (validation of one line, compressions, window selection, arguments, currencies,
packaging) write their own tiny inputs with the same helpers.

Helpers: `write_raw` (a raw partition file in any compression of the contract), `run_job`
(one job run, returned as a `JobRun`), `JobRun` (tables, quarantine and manifest of a run).
"""

from __future__ import annotations

import bz2
import gzip
import json
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pyarrow.parquet as pq
import pytest

from emr_jobs.config import JobConfig
from emr_jobs.lzop import compress as lzop_compress
from emr_jobs.main import run
from liberta_core.tables import TABLES_BY_NAME
from tests.spark_job import raw_fixture as rf

# Field names of a quarantined record (one JSON object per line under quarantine/run_id=<id>/).
Q_FILE, Q_LINE_NUMBER, Q_REASON, Q_LINE = "source_file", "line_number", "reason", "line"


@pytest.fixture(scope="session")
def spark() -> Iterator[Any]:
    from liberta.spark_local import local_spark_session

    session = local_spark_session(app_name="liberta-spark-job-tests", cores=2, driver_memory="2g")
    yield session


def encode(name: str, data: bytes) -> bytes:
    """`data` compressed as the file name's suffix says: .gz, .bz2, .lzo (lzop) or none."""
    if name.endswith(".gz"):
        return gzip.compress(data, mtime=0)
    if name.endswith(".bz2"):
        return bz2.compress(data)
    if name.endswith(".lzo"):
        return lzop_compress(data, filename=name.removesuffix(".lzo"))
    return data


def write_raw(root: Path, day: str, name: str, lines: Iterable[str]) -> Path:
    """Write `lines`, a newline after each, to `<root>/dt=<day>/<name>`, compressed as the
    suffix says (.json, .json.gz, .json.bz2, .json.lzo)."""
    path = root / f"dt={day}" / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(encode(name, "".join(f"{x}\n" for x in lines).encode("utf-8")))
    return path


@dataclass(frozen=True)
class JobRun:
    raw: Path
    curated: Path
    run_id: str
    manifest: dict[str, Any]

    @property
    def run_dir(self) -> Path:
        return self.curated / "runs" / self.run_id

    @property
    def quarantine_dir(self) -> Path:
        return self.curated / "quarantine" / f"run_id={self.run_id}"

    def table_dir(self, table: str) -> Path:
        return self.run_dir / table

    def parquet_files(self, table: str) -> list[Path]:
        return sorted(self.table_dir(table).glob("*.parquet"))

    def rows(self, table: str) -> list[dict[str, Any]]:
        """Every row of a table as dicts (pyarrow: timestamps come back as aware UTC)."""
        rows: list[dict[str, Any]] = []
        for path in self.parquet_files(table):
            rows.extend(pq.read_table(path).to_pylist())
        return rows

    def tuples(self, table: str, *, without: str | None = None) -> list[tuple[Any, ...]]:
        """Rows as tuples in the column order of `liberta_core/tables.py` (minus `without`)."""
        names = [n for n in TABLES_BY_NAME[table].column_names if n != without]
        return [tuple(r[n] for n in names) for r in self.rows(table)]

    def quarantine(self) -> list[dict[str, Any]]:
        records: list[dict[str, Any]] = []
        for path in sorted(self.quarantine_dir.glob("part-*")):
            text = path.read_text(encoding="utf-8")
            records.extend(json.loads(x) for x in text.splitlines() if x.strip())
        return records


def assert_same_rows(actual: list[tuple[Any, ...]], expected: list[tuple[Any, ...]]) -> None:
    """Equal as multisets of rows (order-free, duplicates counted); the diff names the rows."""
    got, want = Counter(actual), Counter(expected)
    missing = sorted(map(repr, (want - got).elements()))
    unexpected = sorted(map(repr, (got - want).elements()))
    assert not missing and not unexpected, (
        "rows differ\n  missing:\n    "
        + "\n    ".join(missing or ["-"])
        + "\n  unexpected:\n    "
        + "\n    ".join(unexpected or ["-"])
    )


def lines_frame(spark: Any, lines: list[str], source: str = "file:///f") -> Any:
    """`lines` as the rows `read_lines` gives the job (value, source_file, split_start, row_id),
    for tests of validation and staging without files."""
    return spark.createDataFrame(
        [(line, source, 0, i) for i, line in enumerate(lines)],
        "value string, source_file string, split_start long, row_id long",
    )


def file_uri(path: Path) -> str:
    return "file://" + str(path)


def raw_uri(raw: Path, f: rf.RawFile) -> str:
    return file_uri(raw / f.relpath)


@pytest.fixture(scope="session")
def raw_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """raw_fixture's window files and the traps outside the window."""
    root = tmp_path_factory.mktemp("raw")
    for f in rf.WINDOW_FILES:
        write_raw(root, f.partition, f.name, f.lines)
    for relpath, payload in rf.OUTSIDE_FILES.items():
        path = root / relpath
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(payload)
    return root


@pytest.fixture(scope="session")
def curated_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("curated")


def job_config(raw: str, curated: str, run_id: str, **overrides: Any) -> JobConfig:
    options: dict[str, Any] = {
        "since": rf.SINCE,
        "until": rf.UNTIL,
        "full_refresh": False,
        "max_bad_share": 1.0,
    }
    options.update(overrides)
    return JobConfig(raw=raw, curated=curated, run_id=run_id, **options)


def run_job(
    spark: Any,
    raw: Path,
    curated: Path,
    run_id: str,
    *,
    raw_arg: str | None = None,
    curated_arg: str | None = None,
    **overrides: Any,
) -> JobRun:
    """Run the job (raw_fixture's window unless overridden) and return what it published.

    `raw_arg` / `curated_arg` pass the directories in another spelling (a file:// URI).
    """
    config = job_config(raw_arg or str(raw), curated_arg or str(curated), run_id, **overrides)
    manifest = run(spark, config).to_json()
    return JobRun(raw=raw, curated=curated, run_id=run_id, manifest=manifest)


@pytest.fixture(scope="session")
def first_run(spark: Any, raw_dir: Path, curated_dir: Path) -> JobRun:
    """The window run every content test reads (raw given as a file:// URI)."""
    return run_job(spark, raw_dir, curated_dir, "run-1", raw_arg=file_uri(raw_dir))


def _second_run(spark: Any, raw_dir: Path, curated_dir: Path) -> JobRun:
    """The same window again under a new run id (curated given as a file:// URI)."""
    return run_job(spark, raw_dir, curated_dir, "run-2", curated_arg=file_uri(curated_dir))


@pytest.fixture(scope="session")
def second_run_first_write(
    spark: Any, raw_dir: Path, curated_dir: Path, first_run: JobRun
) -> dict[str, Any]:
    """The manifest of run-2's first write; `second_run` writes run-2 again over it."""
    return _second_run(spark, raw_dir, curated_dir).manifest


@pytest.fixture(scope="session")
def second_run(
    spark: Any, raw_dir: Path, curated_dir: Path, second_run_first_write: dict[str, Any]
) -> JobRun:
    """run-2 written a second time under the same run id: it replaces the first write."""
    return _second_run(spark, raw_dir, curated_dir)
