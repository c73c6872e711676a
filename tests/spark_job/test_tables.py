"""Content of each of the seven tables for the hand-checked fixture of `raw_fixture`.

Tables are read back with pyarrow (timestamps as aware UTC datetimes, decimals as Decimal)
and compared as exact multisets of rows in the column order of `liberta_core/tables.py`.
"""

from __future__ import annotations

from collections import Counter
from datetime import date
from decimal import Decimal

import pytest

from liberta_core.tables import TABLES, TABLES_BY_NAME
from tests.key_oracle import key
from tests.spark_job import raw_fixture as rf
from tests.spark_job.conftest import JobRun, assert_same_rows


@pytest.mark.parametrize(
    ("table", "rows"),
    [
        ("d_user", rf.D_USER),
        ("d_date", rf.D_DATE),
        ("d_device", rf.D_DEVICE),
        ("d_item", rf.D_ITEM),
        ("f_session", rf.F_SESSION),
    ],
)
def test_table_content(first_run: JobRun, table: str, rows: list[tuple]) -> None:
    assert_same_rows(first_run.tuples(table), rows)


@pytest.mark.parametrize(
    ("table", "rows"), [("f_event", rf.F_EVENT_NO_KEY), ("f_revenue", rf.F_REVENUE_NO_KEY)]
)
def test_fact_content_except_event_key(first_run: JobRun, table: str, rows: list[tuple]) -> None:
    # event_key hashes every contract field: only its stability and uniqueness are specified
    assert_same_rows(first_run.tuples(table, without="event_key"), rows)


def test_event_keys_unique_and_shared_with_revenue(first_run: JobRun) -> None:
    events = first_run.rows("f_event")
    keys = [r["event_key"] for r in events]
    assert len(set(keys)) == len(keys) == len(rf.F_EVENT_NO_KEY) == 19
    by_key = {r["event_key"]: r for r in events}
    revenue = first_run.rows("f_revenue")
    assert len(revenue) == len(rf.F_REVENUE_NO_KEY) == 5
    # one revenue row per business event, under the same key, and no other
    business = sorted(r["event_key"] for r in events if r["category"] == "business")
    assert sorted(r["event_key"] for r in revenue) == business
    for r in revenue:
        # "same key as the f_event row": the business event with the same time and session
        twin = by_key[r["event_key"]]
        assert (twin["category"], twin["event_ts"], twin["session_key"], twin["user_key"]) == (
            "business",
            r["event_ts"],
            r["session_key"],
            r["user_key"],
        )


def test_dimension_keys_follow_the_documented_rule(first_run: JobRun) -> None:
    """Keys are recomputed from each row's own natural key with the documented hash rule."""
    for r in first_run.rows("d_user"):
        assert r["user_key"] == key("user", r["user_id"])
    for r in first_run.rows("f_session"):
        assert r["session_key"] == key("session", r["session_id"])
    for r in first_run.rows("d_device"):
        parts = (r["platform"], r["os_version"], r["manufacturer"], r["device"])
        assert r["device_key"] == key("device", *parts)
    for r in first_run.rows("d_item"):
        assert r["item_key"] == key("item", r["item_type"], r["item_id"], r["cart_type"])
    for r in first_run.rows("d_date"):
        d: date = r["calendar_date"]
        assert r["date_key"] == d.year * 10000 + d.month * 100 + d.day


def test_fact_foreign_keys_resolve_to_dimensions(first_run: JobRun) -> None:
    users = {r["user_key"] for r in first_run.rows("d_user")}
    devices = {r["device_key"] for r in first_run.rows("d_device")}
    dates = {r["date_key"] for r in first_run.rows("d_date")}
    items = {r["item_key"] for r in first_run.rows("d_item")}
    sessions = {r["session_key"] for r in first_run.rows("f_session")}
    for table in ("f_event", "f_session", "f_revenue"):
        for r in first_run.rows(table):
            assert r["user_key"] in users, (table, r)
            assert r["device_key"] in devices, (table, r)
            assert r["date_key"] in dates, (table, r)
            if table != "f_session":
                assert r["session_key"] in sessions, (table, r)
            if table == "f_revenue":
                assert r["item_key"] in items, (table, r)


@pytest.mark.parametrize("table", [t.name for t in TABLES])
def test_required_columns_have_no_nulls(first_run: JobRun, table: str) -> None:
    required = [c.name for c in TABLES_BY_NAME[table].columns if not c.nullable]
    rows = first_run.rows(table)
    assert rows
    nulls = Counter(name for r in rows for name in required if r[name] is None)
    assert not nulls, f"{table}: nulls in NOT NULL columns {dict(nulls)}"


def test_coercions_are_accepted(first_run: JobRun) -> None:
    """ "99" and 99.0 for integer fields are coerced, not quarantined."""
    revenue = {r["currency"]: r for r in first_run.rows("f_revenue")}
    assert revenue["USD"]["amount_minor"] == 199  # "199"
    assert revenue["KWD"]["amount_minor"] == 1250  # 1250.0
    events = first_run.rows("f_event")
    progression = {r["event_id"]: r for r in events if r["category"] == "progression"}
    assert progression["Complete:world1:level2"]["attempt_num"] == 2  # "2"
    assert progression["Complete:world1:level2"]["score"] == 1500  # 1500.0
    ends = {r["session_key"]: r["length_s"] for r in events if r["category"] == "session_end"}
    assert ends == {rf.S_A1: 600, rf.S_C1: 120, rf.S_D1: 300}  # "120"; 300.0
    starts = [r for r in events if r["category"] == "user" and r["session_key"] == rf.S_B1]
    assert [(r["game_id"], r["session_num"]) for r in starts] == [(7, 1)]  # game_id 7.0
    user_a = [r for r in events if r["session_key"] == rf.S_A1 and r["category"] == "user"]
    assert [r["session_num"] for r in user_a] == [1]  # "1"
    user_d = [r for r in events if r["session_key"] == rf.S_D1 and r["category"] == "user"]
    assert [r["arrival_ts"] for r in user_d] == [rf.at("2026-03-03T05:00:05")]  # a string


def test_unusable_optional_field_becomes_null(first_run: JobRun) -> None:
    errors = [r for r in first_run.rows("f_event") if r["category"] == "error"]
    assert [(r["event_id"], r["session_num"]) for r in errors] == [("critical", None)]
    # v "two" and jailbroken "maybe" (optional, unusable) leave E19 valid
    ends = [r for r in first_run.rows("f_event") if r["session_key"] == rf.S_D1]
    assert [r["length_s"] for r in ends if r["category"] == "session_end"] == [300]


def test_time_correction_flagged_and_dated_by_arrival(first_run: JobRun) -> None:
    rows = first_run.rows("f_event")
    corrected = sorted(
        (r["category"], r["event_ts"], r["arrival_ts"], r["date_key"])
        for r in rows
        if r["is_time_corrected"]
    )
    assert corrected == sorted(
        [
            # client_ts missing
            ("error", rf.at("2026-03-02T23:50:00"), rf.at("2026-03-02T23:50:00"), 20260302),
            # client_ts 24 h 5 min after arrival
            ("ads", rf.at("2026-03-02T23:55:00"), rf.at("2026-03-02T23:55:00"), 20260302),
            # client_ts 2009-12-31T23:59:59, before 2010
            ("session_end", rf.at("2026-03-03T00:10:00"), rf.at("2026-03-03T00:10:00"), 20260303),
        ]
    )
    assert first_run.manifest["counts"]["time_corrected"] == 3
    # exactly 24 h ahead is believed; a late (offline) event keeps its client time
    believed = {(r["session_key"], r["event_ts"], r["date_key"]) for r in rows}
    assert (rf.S_B2, rf.at("2026-03-04T02:00:00"), 20260304) in believed
    assert (rf.S_B1, rf.at("2026-03-02T20:10:00"), 20260302) in believed


def test_duplicates_dropped_once_each(first_run: JobRun) -> None:
    """E3 twice in one file, E5 (identical line) and E6 (reordered, extra fields) across files."""
    events = first_run.rows("f_event")
    seen = Counter((r["session_key"], r["category"], r["event_ts"]) for r in events)
    assert seen[(rf.S_A1, "session_end", rf.at("2026-03-02T08:10:00"))] == 1
    assert seen[(rf.S_B1, "user", rf.at("2026-03-02T20:00:00"))] == 1
    assert seen[(rf.S_B1, "business", rf.at("2026-03-02T20:05:00"))] == 1
    assert max(seen.values()) == 1
    assert first_run.manifest["counts"]["duplicates"] == 3


def test_amount_usd_uses_the_currency_minor_digits(first_run: JobRun) -> None:
    usd = {r["currency"]: r["amount_usd"] for r in first_run.rows("f_revenue")}
    assert usd == {
        "JPY": Decimal("3.216000"),  # 480 yen (0 digits) * 0.0067
        "KWD": Decimal("4.062500"),  # 1250 fils = 1.250 dinar (3 digits) * 3.25
        "USD": Decimal("1.990000"),
        "EUR": Decimal("10.789200"),  # 9.99 * 1.08
        "GBP": Decimal("3.175000"),  # 250 pence = 2.50 pounds (2 digits) * 1.27
    }
