"""The transactional load against a real Postgres: idempotent, order-independent upserts."""

from __future__ import annotations

from datetime import date, datetime

import pytest

from liberta.warehouse.loader import load_run
from liberta.warehouse.runs import TableLoadStats, list_runs

from .dataset import RUN_A, RUN_B, run_a, run_b
from .rundir import write_run
from .snapshot import snapshot


@pytest.fixture
def runs(tmp_path):
    return {
        "A": write_run(tmp_path, "run-a", run_a(), **RUN_A, by_reason={"invalid_json": 2}),
        "B": write_run(tmp_path, "run-b", run_b(), **RUN_B),
    }


def test_load_reports_rows_per_table(conn, runs):
    result = load_run(conn, runs["A"])
    assert result.run_id == "run-a"
    assert result.rows_copied == 3 + 2 + 2 + 1 + 4 + 9 + 2
    assert result.tables["d_user"] == TableLoadStats(3, 3, 0)
    assert result.tables["f_event"] == TableLoadStats(9, 9, 0)
    again = load_run(conn, runs["A"])
    assert all(s.rows_inserted == 0 and s.rows_updated == 0 for s in again.tables.values())
    b = load_run(conn, runs["B"])
    # u1 and u2 gain information, no new user; event 1004 is known, 1010-1014 are new.
    assert b.tables["d_user"] == TableLoadStats(2, 0, 2)
    assert b.tables["f_event"] == TableLoadStats(6, 5, 0)
    assert b.tables["f_session"] == TableLoadStats(3, 2, 1)
    assert b.tables["d_date"] == TableLoadStats(9, 7, 0)


def test_loading_a_run_twice_changes_nothing(conn, runs):
    load_run(conn, runs["A"])
    load_run(conn, runs["B"])
    before = snapshot(conn)
    load_run(conn, runs["B"])
    load_run(conn, runs["A"])
    assert snapshot(conn) == before


def test_overlapping_windows_merge_dimensions_and_never_duplicate_facts(conn, runs):
    load_run(conn, runs["A"])
    load_run(conn, runs["B"])
    events = conn.execute("SELECT event_key FROM analysis.f_event ORDER BY 1").fetchall()
    assert [e for (e,) in events] == [*range(1001, 1015)]
    users = {
        row[0]: row[1:]
        for row in conn.execute(
            "SELECT user_id, install_ts, install_date, first_build, origin, country_code,"
            " first_seen_ts, last_seen_ts, is_paying, first_payment_ts FROM analysis.d_user"
        )
    }
    dt = datetime.fromisoformat
    assert users["u1"] == (
        dt("2026-03-01 10:00"), date(2026, 3, 1), "1.0", "organic", "CA",
        dt("2026-03-01 10:00"), dt("2026-03-08 11:00"), True, dt("2026-03-01 10:05"),
    )  # fmt: skip
    assert users["u2"] == (
        dt("2026-02-28 23:00"), date(2026, 2, 28), "1.0", "adnet", "FR",
        dt("2026-03-01 12:00"), dt("2026-03-08 10:30"), True, dt("2026-03-08 10:15"),
    )  # fmt: skip
    assert users["u3"][4] == "DE"
    session = conn.execute(
        "SELECT start_ts, end_ts, length_s, session_num, date_key FROM analysis.f_session"
        " WHERE session_key = 202"
    ).fetchone()
    assert session == (dt("2026-03-02 09:00"), dt("2026-03-02 09:30"), 1800, 2, 20260302)


def test_load_order_does_not_matter(conn, db_url, runs, pg_server):
    load_run(conn, runs["A"])
    load_run(conn, runs["B"])
    a_then_b = snapshot(conn)
    conn.execute("CALL etl.clear_staging()")
    for table in ("f_revenue", "f_event", "f_session", "d_item", "d_device", "d_date", "d_user"):
        conn.execute(f"DELETE FROM analysis.{table}")
    conn.execute("DELETE FROM etl.load_log")
    load_run(conn, runs["B"])
    load_run(conn, runs["A"])
    assert snapshot(conn) == a_then_b


def test_watermark_never_moves_backwards(conn, runs):
    assert conn.execute("SELECT high_water_mark FROM etl.watermark").fetchone() == (None,)
    load_run(conn, runs["B"])
    load_run(conn, runs["A"])
    (hwm,) = conn.execute("SELECT high_water_mark FROM etl.watermark").fetchone()
    assert hwm == datetime(2026, 3, 8, 11, 0, 5)


def test_load_log_and_quarantine_summary(conn, runs):
    load_run(conn, runs["A"])
    records = list_runs(conn, limit=5)
    assert [(r.run_id, r.status) for r in records] == [("run-a", "succeeded")]
    record = records[0]
    assert record.window_since == datetime(2026, 3, 1)
    assert record.high_water_mark == datetime(2026, 3, 2, 9, 0, 5)
    assert (record.rows_read, record.rows_valid, record.rows_quarantined) == (11, 9, 2)
    assert record.tables["f_revenue"] == TableLoadStats(2, 2, 0)
    reasons = conn.execute("SELECT run_id, reason, records FROM etl.quarantine_summary").fetchall()
    assert reasons == [("run-a", "invalid_json", 2)]


def test_full_refresh_replaces_the_analysis_tables(conn, tmp_path, runs):
    load_run(conn, runs["A"])
    only_b = write_run(tmp_path, "run-full", run_b(), **RUN_B, full_refresh=True)
    load_run(conn, only_b)
    users = conn.execute("SELECT user_id FROM analysis.d_user ORDER BY 1").fetchall()
    assert users == [("u1",), ("u2",)]
    events = conn.execute("SELECT count(*) FROM analysis.f_event").fetchone()
    assert events == (6,)
    (u1_first_seen,) = conn.execute(
        "SELECT first_seen_ts FROM analysis.d_user WHERE user_id = 'u1'"
    ).fetchone()
    assert u1_first_seen == datetime(2026, 3, 2, 9, 0)


def test_several_rows_for_one_key_in_one_run_are_merged_by_the_rules(conn, tmp_path):
    rows = run_a()
    # Run B's view of u1 and session 202 in the same run as A's: staging holds two rows each.
    rows["d_user"].append(run_b()["d_user"][0])
    rows["d_date"] = run_b()["d_date"]
    rows["f_session"].append(run_b()["f_session"][0])
    load_run(conn, write_run(tmp_path, "run-ab", rows, **RUN_A))
    dt = datetime.fromisoformat
    u1 = conn.execute(
        "SELECT first_build, country_code, first_seen_ts, last_seen_ts, is_paying,"
        " first_payment_ts FROM analysis.d_user WHERE user_id = 'u1'"
    ).fetchone()
    assert u1 == ("1.0", "CA", dt("2026-03-01 10:00"), dt("2026-03-08 11:00"), True,
                  dt("2026-03-01 10:05"))  # fmt: skip
    session = conn.execute(
        "SELECT start_ts, end_ts, length_s FROM analysis.f_session WHERE session_key = 202"
    ).fetchone()
    assert session == (dt("2026-03-02 09:00"), dt("2026-03-02 09:30"), 1800)
