"""The run-window rule on a real Postgres: every case of window_cases.CASES.

This is the local side (`liberta run`'s window step); tests/infra executes the state machine
against the same table.
"""

from __future__ import annotations

from collections.abc import Iterator

import psycopg
import pytest

from liberta.pipeline.window import WindowError, choose_window, window_parameters
from liberta.warehouse.db import connect
from liberta_core.timestamps import format_timestamp, parse_timestamp
from tests.conftest import fresh_database
from tests.contracts.window_cases import CASES, LOOKBACK_HOURS, STARTED_AT, WindowCase


@pytest.fixture(scope="module")
def warehouse(pg_server) -> Iterator[str]:
    with fresh_database(pg_server, "window_rule", bootstrapped=True) as url:
        yield url


def set_watermark(conn: psycopg.Connection, watermark: str | None) -> None:
    conn.execute("DELETE FROM etl.load_log")
    if watermark is not None:
        conn.execute(
            "INSERT INTO etl.load_log (run_id, started_at, status, high_water_mark) "
            "VALUES ('before', '2026-11-30 13:00:00', 'succeeded', %s)",
            (parse_timestamp(watermark).replace(tzinfo=None),),
        )


def parameters(case: WindowCase) -> dict[str, str]:
    request = case.request
    return window_parameters(
        since=parse_timestamp(request["since"]) if "since" in request else None,
        until=parse_timestamp(request["until"]) if "until" in request else None,
        full_refresh=bool(request.get("full_refresh", False)),
        started_at=parse_timestamp(STARTED_AT),
        lookback_hours=LOOKBACK_HOURS,
    )


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_the_local_window_follows_the_rule(warehouse: str, case: WindowCase) -> None:
    with connect(warehouse) as conn:
        set_watermark(conn, case.watermark)
        if case.problem is not None:
            with pytest.raises(WindowError, match=case.problem):
                choose_window(conn, parameters(case))
            return
        window = choose_window(conn, parameters(case))
        conn.rollback()
    assert window.full_refresh == case.full_refresh
    assert (format_timestamp(window.since) if window.since else None) == case.since
    assert format_timestamp(window.until) == case.until


def test_a_date_alone_means_midnight_utc_whatever_the_server_zone(warehouse: str) -> None:
    case = next(c for c in CASES if c.name == "since wins over the watermark")
    with connect(warehouse) as conn:
        conn.execute("SET TimeZone = 'America/Los_Angeles'")
        set_watermark(conn, case.watermark)
        window = choose_window(conn, parameters(case))
        conn.rollback()
    # liberta's own sessions are UTC (db.connect); a server default zone must not leak in
    # through the parameters, which are always sent as explicit UTC text.
    assert format_timestamp(window.since) == case.since
