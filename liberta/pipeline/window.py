"""Which raw window a run processes: explicit, or from the warehouse high-water mark."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import UTC, datetime

# With no watermark yet (first run) the window starts here: every partition is read.
BEGINNING_OF_TIME = datetime(2010, 1, 1, tzinfo=UTC)


@dataclass(frozen=True, kw_only=True)
class Window:
    since: datetime
    until: datetime
    full_refresh: bool

    def describe(self) -> str:
        if self.full_refresh:
            return "every partition (full refresh)"
        return f"{self.since:%Y-%m-%dT%H:%M:%SZ} .. {self.until:%Y-%m-%dT%H:%M:%SZ} (incremental)"


def choose_window(
    *,
    incremental_start: datetime | None,
    now: datetime,
    since: datetime | None = None,
    until: datetime | None = None,
    full_refresh: bool = False,
) -> Window:
    """Explicit bounds win; otherwise start where the warehouse says the next window starts.

    `incremental_start` is the high-water mark minus the lookback for late files, computed by
    the warehouse (`redshift_sql/etl/select_window_start.sql`, as on AWS), or None before the
    first load. Reprocessing the lookback is harmless: the load merges idempotently.
    """
    end = until or now
    if full_refresh:
        start = since or BEGINNING_OF_TIME
    elif since is not None:
        start = since
    elif incremental_start is not None:
        start = incremental_start
    else:
        start = BEGINNING_OF_TIME
    if start >= end:
        raise ValueError(
            f"empty window: since {start.isoformat()} is not before until {end.isoformat()}"
        )
    return Window(since=start, until=end, full_refresh=full_refresh)


def new_run_id(now: datetime) -> str:
    """Sortable by time, unique across concurrent starts."""
    return f"{now:%Y%m%dT%H%M%SZ}-{secrets.token_hex(4)}"
