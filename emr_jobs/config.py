"""The job's one configuration object, parsed from the `spark-submit` arguments.

The flag names are `liberta_core.job_args`'s (its `JobArguments` builds what callers send);
the run id follows `liberta_core.run_id`; timestamps are `liberta_core.timestamps`'.
"""

from __future__ import annotations

import argparse
from dataclasses import dataclass
from datetime import datetime

from liberta_core import job_args, layout
from liberta_core.run_id import RULE_TEXT, is_valid_run_id
from liberta_core.timestamps import TimestampError, format_timestamp, parse_timestamp

DEFAULT_MAX_BAD_SHARE = 0.05


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
        if not is_valid_run_id(self.run_id):
            raise ConfigError(f"--run-id {self.run_id!r} is not usable: use {RULE_TEXT}")
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
        return layout.run_uri(self.curated, self.run_id)

    @property
    def quarantine_uri(self) -> str:
        return layout.quarantine_uri(self.curated, self.run_id)

    @property
    def staging_uri(self) -> str:
        return layout.staging_uri(self.curated, self.run_id, self.staging)


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
    parser.add_argument(job_args.RAW, required=True, help="URI of the raw dt= partitions")
    parser.add_argument(job_args.CURATED, required=True, help="URI of the curated root")
    parser.add_argument(job_args.RUN_ID, required=True, help="identifier of this run")
    parser.add_argument(job_args.SINCE, help="window start (inclusive), ISO-8601, UTC if no zone")
    parser.add_argument(job_args.UNTIL, help="window end (exclusive), ISO-8601, UTC if no zone")
    parser.add_argument(
        job_args.FULL_REFRESH, action="store_true", help="read every partition, ignore the window"
    )
    parser.add_argument(
        job_args.MAX_BAD_SHARE,
        type=_share,
        default=DEFAULT_MAX_BAD_SHARE,
        help="fail without publishing when more than this share of records is bad "
        f"(default {DEFAULT_MAX_BAD_SHARE})",
    )
    parser.add_argument(
        job_args.STAGING, help="scratch URI for intermediate Parquet (default <curated>/_staging)"
    )
    return parser


def parse_args(argv: list[str]) -> JobConfig:
    """Parse `spark-submit` job arguments; raises `ConfigError` (or exits on --help/usage)."""
    ns = build_parser().parse_args(argv)
    return JobConfig(
        raw=ns.raw,
        curated=ns.curated,
        run_id=ns.run_id,
        since=_timestamp_arg(ns.since, job_args.SINCE),
        until=_timestamp_arg(ns.until, job_args.UNTIL),
        full_refresh=ns.full_refresh,
        max_bad_share=ns.max_bad_share,
        staging=ns.staging,
    )


def _timestamp_arg(text: str | None, flag: str) -> datetime | None:
    if not text:
        return None
    try:
        return parse_timestamp(text)
    except TimestampError as exc:
        raise ConfigError(f"{flag}: {exc}") from None
