"""The job end to end on a small hand-made data set (fixture_events.py); expected tables by hand."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from chispa import assert_df_equality

from emr_jobs.config import parse_args
from emr_jobs.main import run
from emr_jobs.quality import BadRecordShareExceeded
from tests.emr_jobs import fixture_events as fx
from tests.emr_jobs.conftest import write_raw
from tests.key_oracle import key as k

WINDOW = ["--since", "2026-11-01", "--until", "2026-11-03"]


def ts(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


U1, U2 = k("user", "u1"), k("user", "u2")
S1, S2, S3 = k("session", "s1"), k("session", "s2"), k("session", "s3")
IOS = k("device", "ios", "ios 17.1", "apple", "iphone15")
ANDROID = k("device", "android", "android 14", "samsung", "SM-S911B")
GEMS = k("item", "Gems", "pack_small", "shop")
COINS = k("item", "", "Coins", "")


@pytest.fixture(scope="module")
def raw(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("raw")
    write_raw(root, "2026-11-01", "a.json.gz", fx.DAY1_LINES)
    write_raw(root, "2026-11-02", "b.json", fx.DAY2_LINES)
    return root


def run_job(spark: Any, raw: Path, curated: Path, run_id: str, *extra: str) -> dict[str, Any]:
    args = ["--raw", str(raw), "--curated", str(curated), "--run-id", run_id, *WINDOW, *extra]
    return run(spark, parse_args(args)).to_json()


@pytest.fixture(scope="module")
def job(spark: Any, raw: Path, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    curated = tmp_path_factory.mktemp("curated")
    manifest = run_job(spark, raw, curated, "r1", "--max-bad-share", "0.9")
    return {"raw": raw, "curated": curated, "manifest": manifest}


def table(spark: Any, job: dict[str, Any], name: str) -> Any:
    return spark.read.parquet(str(job["curated"] / "runs" / "r1" / name))


def check(spark: Any, actual: Any, rows: list[tuple], ddl: str) -> None:
    expected = spark.createDataFrame(rows, ddl)
    assert_df_equality(actual, expected, ignore_row_order=True, ignore_nullable=True)


def test_d_user(spark: Any, job: dict[str, Any]) -> None:
    check(
        spark,
        table(spark, job, "d_user"),
        [
            (U1, "u1", 7, ts("2026-10-31T09:00:00"), date(2026, 10, 31), "1.0", "organic", "US",
             "ios", ts("2026-11-01T10:00:00"), ts("2026-11-02T08:00:00"), True,
             ts("2026-11-01T10:05:00")),
            (U2, "u2", 7, ts("2026-11-01T23:50:00"), date(2026, 11, 1), "1.1", "ads_network",
             "FR", "android", ts("2026-11-01T23:59:30"), ts("2026-11-02T00:05:00"), False, None),
        ],
        "user_key bigint, user_id string, game_id int, install_ts timestamp, install_date date, "
        "first_build string, origin string, country_code string, platform string, "
        "first_seen_ts timestamp, last_seen_ts timestamp, is_paying boolean, "
        "first_payment_ts timestamp",
    )  # fmt: skip


def test_d_date_spans_installs_and_events(spark: Any, job: dict[str, Any]) -> None:
    check(
        spark,
        table(spark, job, "d_date"),
        [
            (20261031, date(2026, 10, 31), 2026, 4, 10, 31, 6, 44, True, "October", "Saturday"),
            (20261101, date(2026, 11, 1), 2026, 4, 11, 1, 7, 44, True, "November", "Sunday"),
            (20261102, date(2026, 11, 2), 2026, 4, 11, 2, 1, 45, False, "November", "Monday"),
        ],
        "date_key int, calendar_date date, year smallint, quarter smallint, month smallint, "
        "day_of_month smallint, day_of_week smallint, iso_week smallint, is_weekend boolean, "
        "month_name string, day_name string",
    )


def test_d_device_and_d_item(spark: Any, job: dict[str, Any]) -> None:
    check(
        spark,
        table(spark, job, "d_device"),
        [
            (IOS, "ios", "ios 17.1", "apple", "iphone15"),
            (ANDROID, "android", "android 14", "samsung", "SM-S911B"),
        ],
        "device_key bigint, platform string, os_version string, manufacturer string, device string",
    )
    check(
        spark,
        table(spark, job, "d_item"),
        [(GEMS, "Gems", "pack_small", "shop"), (COINS, "", "Coins", "")],
        "item_key bigint, item_type string, item_id string, cart_type string",
    )


def test_f_event(spark: Any, job: dict[str, Any]) -> None:
    f_event = table(spark, job, "f_event")
    assert f_event.select("event_key").distinct().count() == 8
    check(
        spark,
        f_event.drop("event_key"),
        [
            (U1, S1, 20261101, IOS, ts("2026-11-01T10:00:00"), ts("2026-11-01T10:00:05"), False,
             "user", None, 1, None, None, None, None, 7, "US"),
            (U1, S1, 20261101, IOS, ts("2026-11-01T10:05:00"), ts("2026-11-01T10:05:02"), False,
             "business", "Gems:pack_small", 1, None, None, None, None, 7, "US"),
            (U1, S1, 20261101, IOS, ts("2026-11-01T10:10:00"), ts("2026-11-01T10:10:01"), False,
             "session_end", None, 1, 99, None, None, None, 7, "US"),
            (U1, S1, 20261101, IOS, ts("2026-11-01T10:11:00"), ts("2026-11-01T10:11:00"), True,
             "progression", "Complete:world1:level2", 1, None, None, 2, 1500, 7, "US"),
            (U2, S2, 20261101, ANDROID, ts("2026-11-01T23:59:30"), ts("2026-11-02T00:00:10"),
             False, "design", "tutorial:step1", 1, None, 2.5, None, None, 7, "DE"),
            (U2, S2, 20261102, ANDROID, ts("2026-11-02T00:01:00"), ts("2026-11-02T00:01:00"),
             True, "ads", "clicked:rewarded:shop", 1, None, None, None, None, 7, "FR"),
            (U1, S3, 20261102, IOS, ts("2026-11-02T08:00:00"), ts("2026-11-02T08:00:01"), False,
             "business", "Coins", 2, None, None, None, None, 7, "US"),
            (U2, S2, 20261102, ANDROID, ts("2026-11-02T00:05:00"), ts("2026-11-02T00:05:01"),
             False, "session_end", None, 1, 300, None, None, None, 7, "FR"),
        ],
        "user_key bigint, session_key bigint, date_key int, device_key bigint, "
        "event_ts timestamp, arrival_ts timestamp, is_time_corrected boolean, category string, "
        "event_id string, session_num int, length_s bigint, value double, attempt_num int, "
        "score bigint, game_id int, country_code string",
    )  # fmt: skip


def test_f_session(spark: Any, job: dict[str, Any]) -> None:
    check(
        spark,
        table(spark, job, "f_session"),
        [
            (S1, "s1", U1, IOS, 20261101, ts("2026-11-01T10:00:00"), ts("2026-11-01T10:11:00"),
             99, 1),
            (S2, "s2", U2, ANDROID, 20261101, ts("2026-11-01T23:59:30"),
             ts("2026-11-02T00:05:00"), 300, 1),
            (S3, "s3", U1, IOS, 20261102, ts("2026-11-02T08:00:00"), ts("2026-11-02T08:00:00"),
             None, 2),
        ],
        "session_key bigint, session_id string, user_key bigint, device_key bigint, "
        "date_key int, start_ts timestamp, end_ts timestamp, length_s bigint, session_num int",
    )  # fmt: skip


def test_f_revenue_in_usd(spark: Any, job: dict[str, Any]) -> None:
    f_revenue = table(spark, job, "f_revenue")
    purchase_keys = table(spark, job, "f_event").where("category = 'business'")
    assert sorted(r[0] for r in f_revenue.select("event_key").collect()) == sorted(
        r[0] for r in purchase_keys.select("event_key").collect()
    )
    # 1.99 EUR * 1.08 = 2.1492 USD; 480 JPY * 0.0067 = 3.216 USD (emr_jobs/data/currencies.csv)
    check(
        spark,
        f_revenue.drop("event_key"),
        [
            (U1, S1, 20261101, IOS, GEMS, ts("2026-11-01T10:05:00"), "EUR", 199,
             Decimal("2.149200"), 1, True, "US"),
            (U1, S3, 20261102, IOS, COINS, ts("2026-11-02T08:00:00"), "JPY", 480,
             Decimal("3.216000"), 2, False, "US"),
        ],
        "user_key bigint, session_key bigint, date_key int, device_key bigint, "
        "item_key bigint, event_ts timestamp, currency string, amount_minor bigint, "
        "amount_usd decimal(18,6), transaction_num int, is_first_purchase boolean, "
        "country_code string",
    )  # fmt: skip


def test_every_bad_record_is_quarantined_with_its_reason_and_line(job: dict[str, Any]) -> None:
    qdir = job["curated"] / "quarantine" / "run_id=r1"
    records = [
        json.loads(line)
        for path in sorted(qdir.glob("part-*"))
        for line in path.read_text().splitlines()
    ]
    got = sorted((r["line_number"], r["reason"]) for r in records)
    assert got == fx.EXPECTED_QUARANTINE
    by_line = {r["line_number"]: r for r in records}
    assert by_line[6]["line"] == fx.DAY1_LINES[5]  # the original text, untouched
    assert by_line[13]["line"] == ""
    assert {r["source_file"] for r in records} == {
        "file://" + str(job["raw"] / "dt=2026-11-01" / "a.json.gz")
    }


def test_counts_reconcile_and_manifest(job: dict[str, Any]) -> None:
    m = job["manifest"]
    assert m["counts"] == {
        "read": 21,
        "valid": 8,
        "quarantined": 12,
        "duplicates": 1,
        "time_corrected": 2,
    }
    assert m["high_water_mark"] == "2026-11-02T08:00:01Z"
    assert m["window"]["partitions"] == ["2026-11-01", "2026-11-02"]
    assert m["quarantine"]["by_reason"]["wrong_type:data.amount"] == 2
    assert [(f["read"], f["quarantined"]) for f in m["quarantine"]["worst_files"]] == [(17, 12)]
    rows = {name: t["rows"] for name, t in m["tables"].items()}
    assert rows == {
        "d_user": 2, "d_date": 3, "d_device": 2, "d_item": 2,
        "f_event": 8, "f_session": 3, "f_revenue": 2,
    }  # fmt: skip


def test_manifest_files_and_copy_manifests(job: dict[str, Any]) -> None:
    run_dir = job["curated"] / "runs" / "r1"
    on_disk = json.loads((run_dir / "manifest.json").read_text())
    assert on_disk == job["manifest"]
    newest_other = 0.0
    for name, entry in on_disk["tables"].items():
        files = sorted((run_dir / name).glob("part-*.parquet"))
        assert sorted(e["url"] for e in entry["entries"]) == [p.as_uri() for p in files]
        for e in entry["entries"]:
            path = Path(e["url"][len("file://") :])
            assert e["mandatory"] is True
            assert e["meta"]["content_length"] == path.stat().st_size
            newest_other = max(newest_other, path.stat().st_mtime)
        copy = Path(entry["copy_manifest"][len("file://") :])
        assert json.loads(copy.read_text()) == {"entries": entry["entries"]}
        newest_other = max(newest_other, copy.stat().st_mtime)
    assert (run_dir / "manifest.json").stat().st_mtime >= newest_other


def test_rerun_gives_identical_tables(spark: Any, raw: Path, job: dict[str, Any]) -> None:
    other = run_job(spark, raw, job["curated"], "r2", "--max-bad-share", "0.9")
    assert other["counts"] == job["manifest"]["counts"]
    for name in job["manifest"]["tables"]:
        first = spark.read.parquet(str(job["curated"] / "runs" / "r1" / name))
        second = spark.read.parquet(str(job["curated"] / "runs" / "r2" / name))
        assert_df_equality(first, second, ignore_row_order=True)
    # same run id again: the run directory is replaced, not added to
    again = run_job(spark, raw, job["curated"], "r2", "--max-bad-share", "0.9")
    run_dir = job["curated"] / "runs" / "r2"
    listed = {e["url"] for t in again["tables"].values() for e in t["entries"]}
    on_disk = {p.as_uri() for p in run_dir.glob("*/part-*.parquet")}
    assert listed == on_disk


def test_too_many_bad_records_publish_nothing(spark: Any, raw: Path, tmp_path: Path) -> None:
    with pytest.raises(BadRecordShareExceeded) as failure:
        run_job(spark, raw, tmp_path, "bad")  # default --max-bad-share 0.05; here 12/21 bad
    message = str(failure.value)
    assert "12 of 21 records" in message
    assert "dt=2026-11-01/a.json.gz: 12 of 17 bad" in message
    assert "first bad record on line 6" in message
    assert not (tmp_path / "runs" / "bad").exists()
    assert not (tmp_path / "quarantine" / "run_id=bad").exists()
    assert not list((tmp_path / "_staging").glob("*"))
