"""Every bad record ends in quarantine with its reason, file, line number and original line;
counts reconcile (read = valid + quarantined + duplicates)."""

from __future__ import annotations

import pytest

from tests.spark_job import raw_fixture as rf
from tests.spark_job.conftest import (
    Q_FILE,
    Q_LINE,
    Q_LINE_NUMBER,
    Q_REASON,
    JobRun,
    assert_same_rows,
    raw_uri,
)


def test_quarantine_holds_every_bad_record(first_run: JobRun) -> None:
    records = first_run.quarantine()
    actual = [(r[Q_FILE], r[Q_LINE_NUMBER], r[Q_REASON], r[Q_LINE]) for r in records]
    expected = [
        (raw_uri(first_run.raw, f), number, reason, text)
        for f, number, reason, text in rf.QUARANTINE
    ]
    assert_same_rows(actual, expected)


@pytest.mark.parametrize(
    "reason",
    [
        "invalid_json",  # not JSON, and a truncated line
        "missing_field:data.user_id",  # no user id; a bare record without user_meta
        "missing_field:arrival_ts",
        "missing_field:data.category",
        "wrong_type:data.length",  # "abc"
        "wrong_type:data.amount",  # 99.5, "abc"
        "unknown_category",
        "negative_value:data.amount",
        "negative_value:data.length",
        "empty_value:data.session_id",
        "unknown_currency",
        "empty_line",
        "wrong_type:arrival_ts",  # not an integer
        "wrong_type:data",  # not an object
    ],
)
def test_each_bad_kind_is_quarantined_with_its_reason(first_run: JobRun, reason: str) -> None:
    got = sorted((r[Q_FILE], r[Q_LINE]) for r in first_run.quarantine() if r[Q_REASON] == reason)
    want = sorted((raw_uri(first_run.raw, f), t) for f, _, why, t in rf.QUARANTINE if why == reason)
    assert want, f"the fixture has no line quarantined as {reason}"
    assert got == want


def test_counts_reconcile(first_run: JobRun) -> None:
    counts = first_run.manifest["counts"]
    assert counts == rf.COUNTS
    assert counts["read"] == counts["valid"] + counts["quarantined"] + counts["duplicates"]
    # valid = the de-duplicated f_event rows; quarantined = the quarantine files' records
    assert counts["valid"] == len(first_run.rows("f_event"))
    assert counts["quarantined"] == len(first_run.quarantine())


def test_reasons_counted_in_manifest(first_run: JobRun) -> None:
    quarantine = first_run.manifest["quarantine"]
    assert quarantine["by_reason"] == rf.BY_REASON
    assert quarantine["uri"] == f"file://{first_run.curated}/quarantine/run_id=run-1/"


def test_worst_files_in_manifest(first_run: JobRun) -> None:
    worst = first_run.manifest["quarantine"]["worst_files"]
    expected = [
        {"file": raw_uri(first_run.raw, f), "read": read, "quarantined": bad}
        for f, read, bad in rf.FILE_STATS
    ]
    assert sorted(worst, key=lambda w: w["file"]) == sorted(expected, key=lambda w: w["file"])
    assert worst[0]["file"] == raw_uri(first_run.raw, rf.WORST_FILE)


def test_high_water_mark_is_latest_valid_arrival(first_run: JobRun) -> None:
    # bad records arrived later (up to 2026-03-03T23:30) and must not move it
    assert first_run.manifest["high_water_mark"] == rf.HIGH_WATER_MARK


@pytest.mark.parametrize(
    ("raw_file", "category", "event_ts"),
    [
        (rf.FILE_A, "design", "2026-03-02T08:06:00"),  # plain
        (rf.FILE_B, "business", "2026-03-02T20:07:00"),  # gzip
        (rf.FILE_E, "error", "2026-03-02T23:50:00"),  # lzop
        (rf.FILE_C, "resource", "2026-03-03T09:01:00"),  # bzip2
        (rf.FILE_D, "business", "2026-03-03T02:05:00"),  # lzop
        (rf.FILE_F, "session_end", "2026-03-03T05:05:00"),  # gzip
    ],
)
def test_every_compression_is_read(
    first_run: JobRun, raw_file: rf.RawFile, category: str, event_ts: str
) -> None:
    """An event only that file holds is in f_event, and the file's bad lines are quarantined."""
    events = {(r["category"], r["event_ts"]) for r in first_run.rows("f_event")}
    assert (category, rf.at(event_ts)) in events
    uri = raw_uri(first_run.raw, raw_file)
    bad_lines = sorted(r[Q_LINE_NUMBER] for r in first_run.quarantine() if r[Q_FILE] == uri)
    assert bad_lines == sorted(n for f, n, _, _ in rf.QUARANTINE if f == raw_file)
