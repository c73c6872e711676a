"""THE table of cases of the run-window rule (`redshift_sql/etl/select_window.sql`).

Both orchestrators are tested against it: `liberta run`'s window step (test_window_rule.py,
the SQL on a real Postgres) and the state machine (tests/infra, the synthesized definition
executed against the same SQL). docs/pipeline.md shows the same table to users.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

STARTED_AT = "2026-12-01T09:30:00Z"
LOOKBACK_HOURS = 48
WATERMARK = "2026-11-30T12:00:00Z"  # high-water mark of the loads before the run
FROM_WATERMARK = "2026-11-28T12:00:00Z"  # WATERMARK - LOOKBACK_HOURS


@dataclass(frozen=True)
class WindowCase:
    name: str
    request: dict[str, Any]  # the execution input / `liberta run` options
    watermark: str | None  # None: nothing loaded yet
    full_refresh: bool = False
    since: str | None = None
    until: str | None = None
    problem: str | None = None  # a fragment of the reason the request is refused
    tags: tuple[str, ...] = field(default=())


CASES: tuple[WindowCase, ...] = (
    WindowCase("first run reads everything", {}, None, full_refresh=True, until=STARTED_AT),
    WindowCase(
        "incremental from the watermark", {}, WATERMARK, since=FROM_WATERMARK, until=STARTED_AT
    ),
    WindowCase(
        "explicit false is the default", {"full_refresh": False}, WATERMARK,
        since=FROM_WATERMARK, until=STARTED_AT,
    ),
    WindowCase(
        "since wins over the watermark", {"since": "2026-11-01"}, WATERMARK,
        since="2026-11-01T00:00:00Z", until=STARTED_AT,
    ),
    WindowCase(
        "since before the first load", {"since": "2026-11-01T06:00:00Z"}, None,
        since="2026-11-01T06:00:00Z", until=STARTED_AT,
    ),
    WindowCase(
        "since and until", {"since": "2026-11-01", "until": "2026-11-03T00:00:00Z"}, WATERMARK,
        since="2026-11-01T00:00:00Z", until="2026-11-03T00:00:00Z",
    ),
    WindowCase(
        "offsets become UTC", {"since": "2026-11-01T08:00:00+02:00"}, WATERMARK,
        since="2026-11-01T06:00:00Z", until=STARTED_AT,
    ),
    WindowCase(
        "until with the watermark", {"until": "2026-11-30T18:00:00Z"}, WATERMARK,
        since=FROM_WATERMARK, until="2026-11-30T18:00:00Z",
    ),
    WindowCase(
        "until before anything is loaded", {"until": "2026-11-30T00:00:00Z"}, None,
        problem="nothing is loaded yet",
    ),
    WindowCase(
        "full refresh ignores the watermark", {"full_refresh": True}, WATERMARK,
        full_refresh=True, until=STARTED_AT,
    ),
    WindowCase(
        "full refresh takes no since", {"full_refresh": True, "since": "2026-11-01"}, WATERMARK,
        problem="a full refresh reads every partition",
    ),
    WindowCase(
        "full refresh takes no until", {"full_refresh": True, "until": "2026-11-01"}, None,
        problem="a full refresh reads every partition",
    ),
    WindowCase(
        "empty explicit window", {"since": "2026-11-03", "until": "2026-11-02"}, WATERMARK,
        problem="empty window: since 2026-11-03T00:00:00Z is not before until 2026-11-02T00:00:00Z",
    ),
    WindowCase(
        "watermark after until", {"until": "2026-11-28T00:00:00Z"}, WATERMARK,
        problem="empty window: since 2026-11-28T12:00:00Z",
    ),
)  # fmt: skip
