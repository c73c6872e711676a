"""Validation rules of docs/metrics.md on single lines (emr_jobs.validate, no files involved)."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from emr_jobs.currencies import load_currencies
from emr_jobs.validate import validate
from tests.spark_job.conftest import lines_frame


def base(**data: Any) -> dict[str, Any]:
    return {
        "arrival_ts": 1793527200,
        "data": {"category": "user", "user_id": "u", "session_id": "s", **data},
        "user_meta": {"revenue": {"EUR": 1, "USD": 2}},
    }


def reasons(spark: Any, lines: list[str]) -> list[Any]:
    df = lines_frame(spark, lines)
    rows = validate(df, load_currencies()).select("row_id", "reason", "c_amount_minor").collect()
    return [(r["reason"], r["c_amount_minor"]) for r in sorted(rows, key=lambda r: r["row_id"])]


def test_coercion_and_edge_cases(spark: Any) -> None:
    buy = dict(category="business", currency="USD")
    lines = [
        json.dumps(base(**buy, amount="99")),  # string -> 99
        json.dumps(base(**buy, amount=99.0)),  # integral float -> 99
        json.dumps(base(**buy, amount=1e2)),  # exponent -> 100
        json.dumps(base(**buy, amount=599.99999999999)),  # close to, but not, an integer
        json.dumps(base(**buy, amount=True)),
        json.dumps(base(**buy, amount=-1)),
        json.dumps(base(**buy, amount=10**30)),  # beyond 64 bits
        json.dumps(base()) + ' {"arrival_ts": 1}',  # two values glued on one line
        json.dumps(base()) + " trailing",
        json.dumps(base(user_id={"id": 1})),  # an object where a string id is required
        json.dumps(base(user_id="{not an object}")),  # a string that merely looks like one
        json.dumps(base(message='} {"x"')),  # braces inside a string are fine
        json.dumps(base(session_num="x", jailbroken="maybe")),  # unusable optional -> valid
        json.dumps(base(user_id="u" * 129)),
    ]
    assert reasons(spark, lines) == [
        (None, 99),
        (None, 99),
        (None, 100),
        ("wrong_type:data.amount", None),
        ("wrong_type:data.amount", None),
        ("negative_value:data.amount", -1),
        ("wrong_type:data.amount", None),
        ("invalid_json", None),
        ("invalid_json", None),
        ("wrong_type:data.user_id", None),
        (None, None),
        (None, None),
        (None, None),
        ("too_long:data.user_id", None),
    ]


def test_revenue_member_order_does_not_change_the_event_key(spark: Any) -> None:
    from emr_jobs.transforms.events import stage_events

    one = base()
    two = base()
    two["user_meta"]["revenue"] = {"USD": 2, "EUR": 1}
    df = lines_frame(spark, [json.dumps(one), json.dumps(two)], source="f")
    keys = stage_events(validate(df, load_currencies())).select("event_key").distinct()
    assert keys.count() == 1


def _with(part: str | None, field: str, **data: Any) -> Callable[[str], dict[str, Any]]:
    """A record builder setting `field` (in data, user_meta, or top-level: None)."""

    def make(value: str) -> dict[str, Any]:
        record = base(**data)
        (record if part is None else record[part])[field] = value
        return record

    return make


def _business(make_event_id: Callable[[str], str], **data: Any) -> Callable[[str], dict]:
    def make(value: str) -> dict[str, Any]:
        fields = {"currency": "USD", "amount": 1, **data}
        return base(category="business", event_id=make_event_id(value), **fields)

    return make


# Staged column, how a record carries the value, the warehouse column whose width bounds it.
BOUNDED: list[tuple[str, Callable[[str], dict[str, Any]], str]] = [
    ("platform", _with("data", "platform"), "d_device.platform"),
    ("os_version", _with("data", "os_version"), "d_device.os_version"),
    ("manufacturer", _with("data", "manufacturer"), "d_device.manufacturer"),
    ("device", _with("data", "device"), "d_device.device"),
    ("country_code", _with(None, "country_code"), "d_user.country_code"),
    ("first_build", _with("user_meta", "first_build"), "d_user.first_build"),
    ("origin", _with("user_meta", "origin"), "d_user.origin"),
    ("event_id", _with("data", "event_id", category="design"), "f_event.event_id"),
    ("item_type", _business(lambda v: f"{v}:sword"), "d_item.item_type"),
    ("item_id", _business(lambda v: f"weapon:{v}"), "d_item.item_id"),
    (
        "cart_type",
        _with(
            "data",
            "cart_type",
            category="business",
            currency="USD",
            amount=1,
            event_id="weapon:sword",
        ),
        "d_item.cart_type",
    ),
]


def test_optional_strings_are_bounded_by_the_warehouse_columns(spark: Any) -> None:
    """A value of exactly the column's width in UTF-8 bytes (two-byte characters) is kept,
    one byte more is dropped and the record stays valid; widths come from liberta_core.tables,
    so a wider column there is a wider value here."""
    from emr_jobs.transforms.events import stage_events
    from liberta_core.tables import TABLES

    widths = {f"{t.name}.{c.name}": c.max_bytes for t in TABLES for c in t.columns}
    lines, expected = [], []
    for staged, make, column in BOUNDED:
        width = widths[column]
        assert width is not None, column
        fits = "é" * (width // 2) + "x" * (width % 2)
        for value, kept in ((fits, fits), (fits + "x", None)):
            record = make(value)
            lines.append(json.dumps(record, ensure_ascii=False))
            expected.append((staged, kept))
    df = lines_frame(spark, lines)
    rows = stage_events(validate(df, load_currencies())).collect()
    by_row = {r["row_id"]: r for r in rows}
    assert [by_row[i]["reason"] for i in range(len(lines))] == [None] * len(lines)
    assert [(s, by_row[i][s]) for i, (s, _) in enumerate(expected)] == expected
