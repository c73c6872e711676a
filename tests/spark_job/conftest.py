"""Black-box fixtures for the star-schema Spark job: one Spark session, few job runs.

The job is driven only through `emr_jobs.main.run(spark, JobConfig(...))` and judged by what
it leaves on disk (`<curated>/runs/<run_id>/...`, `<curated>/quarantine/run_id=<run_id>/`).
Runs are session-scoped and shared by every test module of this folder.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pyarrow.parquet as pq
import pytest

from emr_jobs.config import JobConfig
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


def file_uri(path: Path) -> str:
    return "file://" + str(path)


def raw_uri(raw: Path, f: rf.RawFile) -> str:
    return file_uri(raw / f.relpath)


@pytest.fixture(scope="session")
def raw_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("raw")
    rf.write_raw(root)
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


@pytest.fixture(scope="session")
def first_run(spark: Any, raw_dir: Path, curated_dir: Path) -> JobRun:
    """The window run every content test reads (raw given as a file:// URI)."""
    config = job_config(file_uri(raw_dir), str(curated_dir), "run-1")
    manifest = run(spark, config).to_json()
    return JobRun(raw=raw_dir, curated=curated_dir, run_id="run-1", manifest=manifest)


def second_run_config(raw_dir: Path, curated_dir: Path) -> JobConfig:
    """The same window again under a new run id (raw given as a plain absolute path)."""
    return job_config(str(raw_dir), file_uri(curated_dir), "run-2")


@pytest.fixture(scope="session")
def second_run_first_write(
    spark: Any, raw_dir: Path, curated_dir: Path, first_run: JobRun
) -> dict[str, Any]:
    """The manifest of run-2's first write; `second_run` writes run-2 again over it."""
    return run(spark, second_run_config(raw_dir, curated_dir)).to_json()


@pytest.fixture(scope="session")
def second_run(
    spark: Any, raw_dir: Path, curated_dir: Path, second_run_first_write: dict[str, Any]
) -> JobRun:
    """run-2 written a second time under the same run id: it replaces the first write."""
    manifest = run(spark, second_run_config(raw_dir, curated_dir)).to_json()
    return JobRun(raw=raw_dir, curated=curated_dir, run_id="run-2", manifest=manifest)
