"""The run-id rule and the timestamp text every interface uses (liberta_core)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from emr_jobs.config import ConfigError, parse_args
from liberta_core.run_id import RUN_ID_MAX_LENGTH, RunIdError, check_run_id, new_run_id
from liberta_core.timestamps import parse_timestamp

NOW = datetime(2026, 12, 1, 9, 30, tzinfo=UTC)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2026-11-01", datetime(2026, 11, 1, tzinfo=UTC)),
        ("2026-11-01T06:00:00Z", datetime(2026, 11, 1, 6, tzinfo=UTC)),
        ("2026-11-01T08:00:00+02:00", datetime(2026, 11, 1, 6, tzinfo=UTC)),
    ],
)
def test_timestamps_are_iso_and_utc(text: str, expected: datetime) -> None:
    assert parse_timestamp(text) == expected


def test_a_bad_timestamp_names_the_value() -> None:
    with pytest.raises(ValueError, match="'yesterday'"):
        parse_timestamp("yesterday")


def test_run_ids_sort_by_time_and_do_not_collide() -> None:
    earlier, later = new_run_id(NOW), new_run_id(NOW + timedelta(seconds=1))
    assert earlier < later
    assert new_run_id(NOW) != new_run_id(NOW)
    check_run_id(earlier)


GOOD = ["a", "run-1", "20261201T093000Z-1a2b3c4d", "A.b_c-9", "x" * RUN_ID_MAX_LENGTH]
BAD = [
    "",
    "-leading-dash",
    ".hidden",
    "x" * (RUN_ID_MAX_LENGTH + 1),
    "quote'd",
    "semi;colon",
    "with space",
    "run/1",
    "ümlaut",
    "colon:1",
]


@pytest.mark.parametrize("run_id", GOOD)
def test_the_rule_accepts(run_id: str) -> None:
    assert check_run_id(run_id) == run_id
    # ... and so does the Spark job's own entrance.
    parse_args(["--raw", "r", "--curated", "c", f"--run-id={run_id}", "--full-refresh"])


@pytest.mark.parametrize("run_id", BAD)
def test_the_rule_refuses_everywhere(run_id: str) -> None:
    with pytest.raises(RunIdError, match="1-80 characters"):
        check_run_id(run_id)
    with pytest.raises(ConfigError, match="1-80 characters"):
        parse_args(["--raw", "r", "--curated", "c", f"--run-id={run_id}", "--full-refresh"])
