"""The plain parser (`emr_jobs.plain_parse`, Java in `emr_jobs/jvm/`) changes nothing.

Every staged row the job writes with it must equal the row of the exact path
(`stage_lines(..., plain_parser=False)`: `from_json` with the all-text schema and the
coercion expressions of `emr_jobs.validate`), on a corpus built to hit every token kind of
every contract field in every category, and the structural corner cases of the line. The
corpus must also really take both paths (a parser that never reads a record would pass the
comparison), and the shipped jar must be what its source compiles to.
"""

from __future__ import annotations

import copy
import json
import shutil
from typing import Any

import pytest

from emr_jobs.currencies import load_currencies
from emr_jobs.plain_parse import plain_record
from emr_jobs.transforms.events import stage_lines
from emr_jobs.validate import FIELD_KINDS, slot_name
from tests.spark_job.conftest import lines_frame

CATEGORY_FIELDS: dict[str, dict[str, Any]] = {
    "user": {},
    "session_end": {"length": 120},
    "business": {
        "currency": "USD", "amount": 499, "event_id": "gems:pack_1", "cart_type": "shop",
        "transaction_num": 1,
    },
    "progression": {"event_id": "Start:world_1", "attempt_num": 2, "score": 1500},
    "resource": {"event_id": "Sink:gold:shop", "amount": 12.5},
    "design": {"event_id": "ui:click", "value": 3.25},
    "error": {"severity": "error", "message": "boom"},
    "ads": {"ad_action": "show", "ad_type": "video", "ad_placement": "end"},
}  # fmt: skip


def record(category: str) -> dict[str, Any]:
    return {
        "arrival_ts": 1793527200,
        "country_code": "DE",
        "game_id": 7,
        "ip": "10.0.0.0",
        "data": {
            "category": category, "v": 2, "user_id": "u-1", "session_id": "s-1",
            "session_num": 3, "client_ts": 1793527100, "platform": "ios",
            "os_version": "ios 17.1", "manufacturer": "apple", "device": "iPhone15,2",
            "build": "1.0", "sdk_version": "rest api v2", "connection_type": "wifi",
            "android_id": "a1", "jailbroken": False, "limited_ad_tracking": True,
            **CATEGORY_FIELDS[category],
        },
        "user_meta": {
            "install_ts": 1793400000, "install_hour": 1793397600, "cohort_week": 1792972800,
            "cohort_month": 1790812800, "first_build": "0.9", "origin": "organic",
            "is_converting": True, "is_paying": False, "pay_ft": 1793500000,
            "revenue": {"USD": 499, "EUR": 1.5},
        },
    }  # fmt: skip


ABSENT = object()
# JSON texts every field is set to in turn (raw text, so that 99.0 and 1e2 stay as written).
VARIANTS: tuple[Any, ...] = (
    ABSENT, "null", '"text"', '""', '"   "', '"99"', '" 99 "', "99", "0", "-0", "-1",
    "99.0", "99.5", "1e2", "1E400", "9223372036854775807", "9223372036854775808",
    "-9223372036854775809", "599.99999999999999999", "true", "false", '"TRUE"', '" False "',
    '"\\ttrue"', '"trUe\\u00e9"', '"\\u0130"', "{}",
    '{"a": 1}', "[]", "[1, 2]", '"{x"', '"[x"', '"' + "x" * 300 + '"', '"caf\\u00e9"',
    '"9999999999999"', "1793527100", "253402300800", "4.2e-3",
    # floats Spark hands over in scientific notation, read as DECIMAL(38,18) by the exact path
    "1e-21", "-1e-21", "4e-19", "5e-19", "6e-19", "0.001", "9999999.0", "1e7", "1.5e7",
    "1.2345678901234567e18", "9.2233720368547758e18", "1e19", "1e20", "-1e20",
    "5.0000000000000000001", "1.0000000000000000005e3",
)  # fmt: skip


def _with_field(category: str, field: str, variant: Any) -> str:
    rec = copy.deepcopy(record(category))
    holder, name = rec, field
    if "." in field:
        parent, name = field.split(".", 1)
        holder = rec[parent]
    marker = "__VARIANT__"
    if variant is ABSENT:
        holder.pop(name, None)
        return json.dumps(rec)
    holder[name] = marker
    return json.dumps(rec).replace(f'"{marker}"', variant)


def structural_lines() -> list[str]:
    good = json.dumps(record("business"))
    compact = json.dumps(record("user"), separators=(",", ":"))
    glued = good + good
    rec = record("user")
    return [
        good, compact, good + "   ", good + " \t", good + "\r", "  " + good, "\t" + good,
        glued, good + " " + good, good + "x", good[:-1], "", "   ", "[" + good + "]", "null",
        '"text"', "42", "{}", '{"data": {}}', '{"data": null, "arrival_ts": 1}',
        good.replace('"data"', '"Data"'), good.replace('"user_id"', '"USER_ID"'),
        good.replace('"data": {', '"data": {"user_id": "first", ', 1),
        good.replace('"arrival_ts": 1793527200', '"arrival_ts": 1793527200, "arrival_ts": 5'),
        good[:-1] + ', "data": {"category": "user"}}',
        good[:-1] + ', "user_meta": null}',
        good[:-1] + ', "_corrupt_record": "x"}',
        good[:-1] + ', "extra": {"user_id": {"nested": [1, {"a": NaN}]}}}',
        good[:-1] + ', "extra": {"user_id": {"nested": 1}}}',
        good[:-1] + ", \"quote\": 'single'}",
        good[:-1] + ', "nan": NaN}',
        good.replace('"ip": "10.0.0.0"', '"ip": "10.0.0.0", "n": 01'),
        json.dumps({**rec, "user_meta": "not an object"}),
        json.dumps({**rec, "user_meta": [1]}),
        json.dumps({k: v for k, v in rec.items() if k != "user_meta"}),
        json.dumps({**rec, "data": "text"}),
        json.dumps({**rec, "data": [rec["data"]]}),
        json.dumps({**rec, "data": {**rec["data"], "category": "unknown"}}),
        json.dumps({**rec, "data": {**rec["data"], "user_id": "{x", "extra": {"user_id": {}}}}),
        json.dumps({**rec, "user_meta": {**rec["user_meta"], "revenue": {}}}),
        json.dumps({**rec, "user_meta": {**rec["user_meta"], "revenue": {"b": {"x": [1.50]}}}}),
        json.dumps({**rec, "user_meta": {**rec["user_meta"], "revenue": {"USD": 1e2}}}),
        json.dumps(rec, ensure_ascii=False).replace("u-1", "ü-☃-😀"),
        json.dumps({**rec, "data": {**rec["data"], "user_id": "u\u0000\n\"x"}}),
        good.replace('"amount": 499', '"amount": 100000000000000000'),
    ]  # fmt: skip


def corpus() -> list[str]:
    lines = structural_lines()
    fields = sorted({field for field, _ in FIELD_KINDS})
    for category in CATEGORY_FIELDS:
        for field in fields:
            for variant in VARIANTS:
                lines.append(_with_field(category, field, variant))
    return lines


def _rows(frame: Any) -> list[str]:
    """Each row as JSON text in row order (some dates are beyond Python's `date`)."""
    from pyspark.sql import functions as F

    texts = frame.select("row_id", F.to_json(F.struct(*frame.columns)).alias("j"))
    return [row["j"] for row in texts.orderBy("row_id").collect()]


def test_plain_parser_stages_exactly_what_the_exact_path_stages(spark: Any) -> None:
    lines = corpus()
    frame = lines_frame(spark, lines)
    currencies = load_currencies()
    plain = _rows(stage_lines(frame, currencies))
    exact = _rows(stage_lines(frame, currencies, plain_parser=False))
    assert len(plain) == len(exact) == len(lines)
    differing = [
        (lines[i], p, e) for i, (p, e) in enumerate(zip(plain, exact, strict=True)) if p != e
    ]
    assert not differing[:3]


def test_the_corpus_takes_both_paths(spark: Any) -> None:
    lines = corpus()
    frame = lines_frame(spark, lines).select("row_id", plain_record(spark).alias("p"))
    read = {row["row_id"] for row in frame.where("p IS NOT NULL").collect()}
    # well-formed records of every category are read by the plain parser ...
    assert {0, 1, 2} <= read
    # ... and what is not one plain JSON object is not
    structural = structural_lines()
    for text in ("\r", "x", "[", "_corrupt_record", "NaN", "'single'", '"user_meta": "not'):
        index = next(i for i, line in enumerate(structural) if text in line)
        assert index not in read, structural[index]
    assert 0.3 < len(read) / len(lines) < 0.9


def test_plain_values_are_typed(spark: Any) -> None:
    line = json.dumps(record("business"))
    row = lines_frame(spark, [line]).select(plain_record(spark).alias("p")).first()["p"]
    assert row[slot_name("arrival_ts", "long")] == 1793527200
    assert row[slot_name("data.amount", "long_or_fraction")] == 499
    assert row[slot_name("data.amount", "double")] == 499.0
    assert row[slot_name("data.jailbroken", "bool")] is False
    assert row[slot_name("data.user_id", "string")] == "u-1"
    revenue = row[slot_name("user_meta.revenue", "object")]
    assert json.loads(revenue) == {"USD": 499, "EUR": 1.5}


@pytest.mark.skipif(shutil.which("javac") is None, reason="javac (a JDK) is not installed")
def test_the_shipped_jar_is_built_from_the_source() -> None:
    from liberta.jvm_build import JAR, build_jar_bytes

    assert JAR.read_bytes() == build_jar_bytes(), "emr_jobs/data/liberta-spark.jar: `make jar`"
