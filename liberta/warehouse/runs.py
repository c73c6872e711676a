"""The load log: failed-run records and the run listing (`liberta runs`)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime

import psycopg

from liberta_core.sql import Dialect, statements


@dataclass(frozen=True)
class TableLoadStats:
    rows_staged: int
    rows_inserted: int
    rows_updated: int


@dataclass(frozen=True)
class RunRecord:
    run_id: str
    status: str
    started_at: datetime
    finished_at: datetime | None
    window_since: datetime | None
    window_until: datetime | None
    full_refresh: bool | None
    high_water_mark: datetime | None
    rows_read: int | None
    rows_valid: int | None
    rows_quarantined: int | None
    rows_duplicates: int | None
    rows_time_corrected: int | None
    error: str | None
    failed_step: str | None = None
    tables: dict[str, TableLoadStats] = field(default_factory=dict)


def record_failed_run(
    conn: psycopg.Connection,
    *,
    run_id: str,
    error: str,
    started_at: datetime | None = None,
    full_refresh: bool | None = None,
    failed_step: str | None = None,
) -> None:
    """Write a `failed` row to etl.load_log in its own transaction (call after the rollback)."""
    started = (started_at or datetime.now(UTC)).replace(tzinfo=None)
    params = {
        "run_id": run_id,
        "started_at": started.isoformat(sep=" "),
        "full_refresh": None if full_refresh is None else str(full_refresh).lower(),
        "error": error,
        "failed_step": failed_step or "",
    }
    (statement,) = statements("etl/insert_failed_load_log.sql", Dialect.POSTGRES)
    with conn.transaction():
        conn.execute(statement, params)


def list_runs(conn: psycopg.Connection, limit: int = 20) -> list[RunRecord]:
    """The latest `limit` load attempts, newest first, with their per-table row counts."""
    if limit < 1:
        raise ValueError(f"limit must be >= 1, got {limit}")
    (runs_sql,) = statements("etl/list_runs.sql", Dialect.POSTGRES)
    (stats_sql,) = statements("etl/list_run_table_stats.sql", Dialect.POSTGRES)
    params = {"limit": limit}
    was_idle = conn.info.transaction_status == psycopg.pq.TransactionStatus.IDLE
    with conn.cursor() as cur:
        runs = cur.execute(runs_sql, params).fetchall()
        stats = cur.execute(stats_sql, params).fetchall()
    if was_idle and not conn.autocommit:
        conn.rollback()  # end only the read transaction this function opened
    by_run: dict[tuple[str, datetime], dict[str, TableLoadStats]] = {}
    for run_id, started_at, table, staged, inserted, updated in stats:
        by_run.setdefault((run_id, started_at), {})[table] = TableLoadStats(
            int(staged), int(inserted), int(updated)
        )
    return [RunRecord(*row, tables=by_run.get((row[0], row[2]), {})) for row in runs]
