"""Which raw window a local run processes, decided by the warehouse with the state machine's SQL.

The rule lives in one place, `redshift_sql/etl/select_window.sql`; the state machine runs it
through the Data API, `liberta run` on the local Postgres, with the same parameters.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import psycopg

from liberta_core.sql import Dialect, window_query
from liberta_core.timestamps import format_timestamp, parse_timestamp

# How select_window.sql is told that a bound is absent (Data API parameters cannot be empty).
ABSENT = "none"


class WindowError(ValueError):
    """The request does not make a window (the message says why)."""


@dataclass(frozen=True, kw_only=True)
class Window:
    """`[since, until)`; a full refresh reads every partition (`since` is None then)."""

    since: datetime | None
    until: datetime
    full_refresh: bool

    def describe(self) -> str:
        if self.full_refresh:
            return "every partition (full refresh)"
        assert self.since is not None
        return f"{self.since:%Y-%m-%dT%H:%M:%SZ} .. {self.until:%Y-%m-%dT%H:%M:%SZ} (incremental)"


def window_parameters(
    *,
    since: datetime | None,
    until: datetime | None,
    full_refresh: bool,
    started_at: datetime,
    lookback_hours: int,
) -> dict[str, str]:
    """The text parameters of select_window.sql, as the state machine passes them too."""
    return {
        "since": format_timestamp(since) if since else ABSENT,
        "until": format_timestamp(until) if until else ABSENT,
        "full_refresh": "true" if full_refresh else "false",
        "started_at": format_timestamp(started_at),
        "lookback_hours": str(int(lookback_hours)),
    }


def choose_window(conn: psycopg.Connection, parameters: dict[str, str]) -> Window:
    """Run the rule on the warehouse; `WindowError` when the request makes no window."""
    row = conn.execute(window_query(Dialect.POSTGRES), parameters).fetchone()
    assert row is not None  # one row always: etl.watermark is an aggregate
    problem, full_refresh, since, until = row
    if problem:
        raise WindowError(problem)
    return Window(
        since=parse_timestamp(since) if since else None,
        until=parse_timestamp(until),
        full_refresh=bool(full_refresh),
    )
