from datetime import UTC, datetime, timedelta

import pytest

from emr_jobs.config import parse_timestamp
from liberta.pipeline.window import BEGINNING_OF_TIME, choose_window, new_run_id

NOW = datetime(2026, 12, 1, 9, 30, tzinfo=UTC)
START = datetime(2026, 11, 28, 23, 59, 59, tzinfo=UTC)


def test_first_run_reads_everything_up_to_now() -> None:
    window = choose_window(incremental_start=None, now=NOW)
    assert (window.since, window.until, window.full_refresh) == (BEGINNING_OF_TIME, NOW, False)


def test_incremental_run_starts_where_the_warehouse_says() -> None:
    window = choose_window(incremental_start=START, now=NOW)
    assert (window.since, window.until, window.full_refresh) == (START, NOW, False)


def test_explicit_bounds_win_over_the_watermark() -> None:
    since, until = datetime(2026, 11, 1, tzinfo=UTC), datetime(2026, 11, 3, tzinfo=UTC)
    window = choose_window(incremental_start=START, now=NOW, since=since, until=until)
    assert (window.since, window.until) == (since, until)


def test_full_refresh_ignores_the_watermark() -> None:
    window = choose_window(incremental_start=START, now=NOW, full_refresh=True)
    assert window.since == BEGINNING_OF_TIME and window.full_refresh


def test_an_empty_window_is_refused_with_both_bounds_named() -> None:
    with pytest.raises(ValueError, match=r"2026-12-02.*2026-12-01"):
        choose_window(incremental_start=None, now=NOW, since=datetime(2026, 12, 2, tzinfo=UTC))


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
