"""Timestamps on Liberta's interfaces: ISO-8601 text, always UTC, `Z` suffix."""

from __future__ import annotations

from datetime import UTC, date, datetime


class TimestampError(ValueError):
    """A value is not an ISO-8601 date or date-time; the message quotes it."""


def parse_timestamp(text: str) -> datetime:
    """ISO-8601 date or date-time; naive values are UTC. `2026-11-01`, `2026-11-01T00:00:00Z`."""
    value = text.strip()
    try:
        if len(value) == 10:
            parsed = datetime.combine(date.fromisoformat(value), datetime.min.time())
        else:
            parsed = datetime.fromisoformat(value.replace("Z", "+00:00").replace("z", "+00:00"))
    except ValueError:
        raise TimestampError(
            f"{text!r} is not an ISO-8601 date or date-time (e.g. 2026-11-01 or "
            "2026-11-01T00:00:00Z)"
        ) from None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    return parsed.astimezone(UTC)


def format_timestamp(value: datetime) -> str:
    """UTC ISO-8601 with a `Z`, seconds precision unless there are microseconds."""
    utc = value.astimezone(UTC)
    spec = "microseconds" if utc.microsecond else "seconds"
    return utc.replace(tzinfo=None).isoformat(timespec=spec) + "Z"


def epoch_to_iso(seconds: int | None) -> str | None:
    if seconds is None:
        return None
    return format_timestamp(datetime.fromtimestamp(seconds, tz=UTC))
