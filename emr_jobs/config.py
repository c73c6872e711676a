"""The job's one configuration object, parsed from the `spark-submit` arguments."""

from __future__ import annotations

import argparse
import re
from dataclasses import dataclass
from datetime import UTC, date, datetime

DEFAULT_MAX_BAD_SHARE = 0.05
_RUN_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$")


class ConfigError(ValueError):
    """An argument is missing or unusable; the message names it."""


@dataclass(frozen=True, kw_only=True)
class JobConfig:
    """Where to read and write, and which window of raw partitions to process.

    `raw` is the URI of the directory holding the `dt=YYYY-MM-DD` partitions (if it holds an
    `events/` directory instead, that one is used). `curated` is the root the job writes
    `runs/<run_id>/`, `quarantine/run_id=<run_id>/` and its scratch `_staging/` under.
    """

    raw: str
    curated: str
    run_id: str
    since: datetime | None
    until: datetime | None
    full_refresh: bool = False
    max_bad_share: float = DEFAULT_MAX_BAD_SHARE
    staging: str | None = None

    def __post_init__(self) -> None:
        if not self.raw:
            raise ConfigError("--raw is required")
        if not self.curated:
            raise ConfigError("--curated is required")
        if not _RUN_ID.match(self.run_id or ""):
            raise ConfigError(
                f"--run-id {self.run_id!r} is not usable: use 1-128 characters of "
                "letters, digits, '.', '_' or '-', starting with a letter or digit"
            )
        if not self.full_refresh and (self.since is None or self.until is None):
            raise ConfigError("--since and --until are required unless --full-refresh is given")
        for name in ("since", "until"):
            value = getattr(self, name)
            if value is not None and value.tzinfo is None:
                raise ConfigError(f"--{name} must be timezone-aware (parse_timestamp makes it UTC)")
        if self.since is not None and self.until is not None and self.since >= self.until:
            raise ConfigError(
                f"--since {format_timestamp(self.since)} must be before "
                f"--until {format_timestamp(self.until)}"
            )
        if not 0.0 <= self.max_bad_share <= 1.0:
            raise ConfigError(f"--max-bad-share must be between 0 and 1, got {self.max_bad_share}")

    @property
    def run_uri(self) -> str:
        return f"{self.curated.rstrip('/')}/runs/{self.run_id}"

    @property
    def quarantine_uri(self) -> str:
        return f"{self.curated.rstrip('/')}/quarantine/run_id={self.run_id}"

    @property
    def staging_uri(self) -> str:
        base = self.staging or f"{self.curated.rstrip('/')}/_staging"
        return f"{base.rstrip('/')}/run_id={self.run_id}"


def parse_timestamp(text: str) -> datetime:
    """ISO-8601 date or date-time; naive values are UTC. `2026-11-01`, `2026-11-01T00:00:00Z`."""
    value = text.strip()
    try:
        if len(value) == 10:
            parsed = datetime.combine(date.fromisoformat(value), datetime.min.time())
        else:
            parsed = datetime.fromisoformat(value.replace("Z", "+00:00").replace("z", "+00:00"))
    except ValueError:
        raise ConfigError(
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


def _share(text: str) -> float:
    try:
        return float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number: {text!r}") from None


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="liberta_job.py",
        description="Build the Liberta star schema from raw events for a window of partitions.",
    )
    parser.add_argument("--raw", required=True, help="URI of the raw dt= partitions")
    parser.add_argument("--curated", required=True, help="URI of the curated root")
    parser.add_argument("--run-id", required=True, help="identifier of this run")
    parser.add_argument("--since", help="window start (inclusive), ISO-8601, UTC if no zone")
    parser.add_argument("--until", help="window end (exclusive), ISO-8601, UTC if no zone")
    parser.add_argument(
        "--full-refresh", action="store_true", help="read every partition, ignore the window"
    )
    parser.add_argument(
        "--max-bad-share",
        type=_share,
        default=DEFAULT_MAX_BAD_SHARE,
        help="fail without publishing when more than this share of records is bad "
        f"(default {DEFAULT_MAX_BAD_SHARE})",
    )
    parser.add_argument(
        "--staging", help="scratch URI for intermediate Parquet (default <curated>/_staging)"
    )
    return parser


def parse_args(argv: list[str]) -> JobConfig:
    """Parse `spark-submit` job arguments; raises `ConfigError` (or exits on --help/usage)."""
    ns = build_parser().parse_args(argv)
    return JobConfig(
        raw=ns.raw,
        curated=ns.curated,
        run_id=ns.run_id,
        since=parse_timestamp(ns.since) if ns.since else None,
        until=parse_timestamp(ns.until) if ns.until else None,
        full_refresh=ns.full_refresh,
        max_bad_share=ns.max_bad_share,
        staging=ns.staging,
    )
