"""The load log's failed-run rows and the run listing."""

from __future__ import annotations

from datetime import datetime

import psycopg

from liberta.warehouse.runs import list_runs, record_failed_run


def test_a_failed_run_is_listed_with_its_error(conn: psycopg.Connection) -> None:
    record_failed_run(
        conn,
        run_id="r-failed",
        error="step process failed: 12 of 20 records bad in s3://raw/events/dt=2026-10-01/a.json",
        started_at=datetime(2026, 12, 1, 9, 0),
        full_refresh=False,
    )
    (run,) = list_runs(conn, limit=5)
    assert (run.run_id, run.status, run.full_refresh) == ("r-failed", "failed", False)
    assert run.error.endswith("dt=2026-10-01/a.json")
    assert run.started_at == datetime(2026, 12, 1, 9, 0)


def test_a_huge_error_is_cut_to_a_log_sized_message(conn: psycopg.Connection) -> None:
    record_failed_run(conn, run_id="r-huge", error="x" * 50_000 + "END")
    (error,) = conn.execute("SELECT error FROM etl.load_log WHERE run_id = 'r-huge'").fetchone()
    assert len(error) == 8000 and set(error) == {"x"}
