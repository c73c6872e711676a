"""Validation rules of docs/metrics.md on single lines (emr_jobs.validate, no files involved)."""

from __future__ import annotations

import json
from typing import Any

from emr_jobs.currencies import load_currencies
from emr_jobs.validate import validate


def base(**data: Any) -> dict[str, Any]:
    return {
        "arrival_ts": 1793527200,
        "data": {"category": "user", "user_id": "u", "session_id": "s", **data},
        "user_meta": {"revenue": {"EUR": 1, "USD": 2}},
    }


def reasons(spark: Any, lines: list[str]) -> list[Any]:
    df = spark.createDataFrame(
        [(line, "file:///f", 0, i) for i, line in enumerate(lines)],
        "value string, source_file string, split_start long, row_id long",
    )
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
    df = spark.createDataFrame(
        [(json.dumps(one), "f", 0, 0), (json.dumps(two), "f", 0, 1)],
        "value string, source_file string, split_start long, row_id long",
    )
    keys = stage_events(validate(df, load_currencies())).select("event_key").distinct()
    assert keys.count() == 1
