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


def test_the_run_counts_query_returns_the_loaded_runs_counts(
    conn: psycopg.Connection, tmp_path
) -> None:
    """redshift_sql/etl/select_run_counts.sql (what the state machine publishes as metrics
    after a load): the latest succeeded load of the run, its counts, its rows per table."""
    from liberta.warehouse.loader import load_run
    from liberta_core.sql import RUN_COUNT_COLUMNS, RUN_COUNTS_SQL, Dialect, render
    from liberta_core.tables import TABLE_NAMES

    from .dataset import RUN_A, run_a
    from .rundir import write_run

    rows = run_a()
    valid = len(rows["f_event"])
    counts = {
        "read": valid + 10,
        "valid": valid,
        "quarantined": 6,
        "duplicates": 4,
        "time_corrected": 1,
    }
    load_run(conn, write_run(tmp_path, "run-a", rows, counts=counts, **RUN_A))
    record_failed_run(conn, run_id="run-a", error="a later failed attempt")
    query = render(RUN_COUNTS_SQL, Dialect.POSTGRES)
    cursor = conn.execute(query, {"run_id": "run-a"})
    assert tuple(c.name for c in cursor.description) == RUN_COUNT_COLUMNS
    (values,) = cursor.fetchall()
    found = dict(zip(RUN_COUNT_COLUMNS, values, strict=True))
    assert {k: found[f"rows_{k}"] for k in ("read", "valid", "quarantined", "duplicates")} == {
        k: counts[k] for k in ("read", "valid", "quarantined", "duplicates")
    }
    assert {t: found[f"rows_{t}"] for t in TABLE_NAMES} == {
        t: len(rows.get(t, ())) for t in TABLE_NAMES
    }
    assert conn.execute(query, {"run_id": "never-loaded"}).fetchall() == []
