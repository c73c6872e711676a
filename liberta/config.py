"""Local profiles: where the lake, the warehouse and Spark are for a run on this machine.

One configuration object per profile, built in one place; the rest of the code receives it.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

DEFAULT_LOOKBACK_HOURS = 48


def liberta_home() -> Path:
    """Base directory for local state: `$LIBERTA_HOME`, else `.liberta` in the working dir."""
    return Path(os.environ.get("LIBERTA_HOME") or Path.cwd() / ".liberta").resolve()


def lookback_hours_from_env() -> int:
    text = os.environ.get("LIBERTA_LOOKBACK_HOURS", str(DEFAULT_LOOKBACK_HOURS))
    try:
        hours = int(text)
    except ValueError:
        raise ValueError(
            f"LIBERTA_LOOKBACK_HOURS={text!r} is not a whole number of hours"
        ) from None
    if hours < 0:
        raise ValueError(f"LIBERTA_LOOKBACK_HOURS={text!r} must not be negative")
    return hours


def _as_uri(path: Path) -> str:
    return path.resolve().as_uri()


@dataclass(frozen=True, kw_only=True)
class Profile:
    """Everything a local pipeline run needs to know about its surroundings."""

    name: str
    home: Path
    raw_uri: str
    curated_uri: str
    # Late files: an incremental run starts this many hours before the high-water mark.
    lookback_hours: int = DEFAULT_LOOKBACK_HOURS
    max_bad_share: float = 0.05
    spark_cores: int | None = None
    spark_driver_memory: str | None = None

    @property
    def reports_dir(self) -> Path:
        return self.home / "reports"

    @property
    def scratch_dir(self) -> Path:
        """Local working space, e.g. the S3 mirror of the `localstack` profile."""
        return self.home / "scratch"

    def with_overrides(
        self, *, raw_uri: str | None = None, curated_uri: str | None = None
    ) -> Profile:
        from dataclasses import replace

        return replace(
            self,
            raw_uri=normalize_uri(raw_uri) if raw_uri else self.raw_uri,
            curated_uri=normalize_uri(curated_uri) if curated_uri else self.curated_uri,
        )


def normalize_uri(value: str) -> str:
    """`s3://...` and `file://...` stay as they are; a plain path becomes an absolute file URI."""
    if "://" in value:
        return value.rstrip("/")
    return _as_uri(Path(value))


def embedded_profile(home: Path | None = None) -> Profile:
    """The default: a lake directory, local Spark and the project-managed Postgres."""
    base = home or liberta_home()
    return Profile(
        name="embedded",
        raw_uri=_as_uri(base / "lake" / "raw"),
        curated_uri=_as_uri(base / "lake" / "curated"),
        home=base,
        lookback_hours=lookback_hours_from_env(),
    )


def s3_profile(home: Path | None = None) -> Profile:
    """The local runner on an S3 lake (any endpoint: `AWS_ENDPOINT_URL`, e.g. LocalStack's or
    MinIO's), Postgres as warehouse. (The `localstack` profile of `liberta run` is not a
    local runner: it executes the deployed state machine, liberta.localstack.execution.)

    Local Spark cannot read `s3://` without the hadoop-aws jar, so the runner mirrors the
    window's raw partitions to a local directory, runs the job there and uploads the curated
    run back to the bucket; the load then reads the manifest and Parquet from S3.
    """
    base = home or liberta_home()
    bucket = os.environ.get("LIBERTA_BUCKET", "liberta-local")
    return Profile(
        name="s3",
        raw_uri=f"s3://{bucket}/raw",
        curated_uri=f"s3://{bucket}/curated",
        home=base,
        lookback_hours=lookback_hours_from_env(),
    )


PROFILES = {"embedded": embedded_profile, "s3": s3_profile}
# Not a local runner: `liberta run --profile localstack` executes the deployed state machine.
STATE_MACHINE_PROFILE = "localstack"


def profile_named(name: str) -> Profile:
    try:
        return PROFILES[name]()
    except KeyError:
        raise ValueError(
            f"unknown profile {name!r}; choose one of: "
            f"{', '.join(sorted([*PROFILES, STATE_MACHINE_PROFILE]))}"
        ) from None
