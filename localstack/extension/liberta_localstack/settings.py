"""Settings the extension reads from the environment `liberta localstack up` prepares.

Every value has one variable; nothing else configures the extension.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path


class SettingsError(RuntimeError):
    """A required variable is missing or unusable (the message names it)."""


@dataclass(frozen=True, kw_only=True)
class Settings:
    # Admin URL of the Postgres the warehouse lives in (trust auth on 127.0.0.1).
    db_url: str
    # Where job runs keep their package, logs and scratch space.
    state_dir: Path
    # Liberta's Python 3.11 (with pyspark): runs `liberta.localstack.job_runner`.
    spark_python: str
    # The gateway, for job runs (their S3 client) and logs.
    endpoint: str
    # Heap of a job run's local Spark driver (a JVM size such as "2g").
    spark_driver_memory: str
    # Job runs that may run Spark at the same time (the machine is small).
    max_concurrent_job_runs: int
    # Active (not finished) Data API statements at once, like the Redshift quota.
    max_active_statements: int


def _required(name: str) -> str:
    value = os.environ.get(name, "").strip()
    if not value:
        raise SettingsError(
            f"{name} is not set: start LocalStack with `liberta localstack up`, which sets it"
        )
    return value


def _int(name: str, default: int) -> int:
    raw = os.environ.get(name, "").strip()
    if not raw:
        return default
    try:
        return int(raw)
    except ValueError:
        raise SettingsError(f"{name}={raw!r} is not a whole number") from None


def load() -> Settings:
    return Settings(
        db_url=_required("LIBERTA_LS_DB_URL"),
        state_dir=Path(_required("LIBERTA_LS_STATE_DIR")),
        spark_python=os.environ.get("LIBERTA_SPARK_PYTHON", "").strip(),
        endpoint=os.environ.get("LIBERTA_LS_ENDPOINT", "http://127.0.0.1:4566"),
        spark_driver_memory=os.environ.get("LIBERTA_SPARK_DRIVER_MEMORY", "2g"),
        max_concurrent_job_runs=_int("LIBERTA_LS_MAX_CONCURRENT_JOB_RUNS", 1),
        max_active_statements=_int("LIBERTA_LS_MAX_ACTIVE_STATEMENTS", 200),
    )
