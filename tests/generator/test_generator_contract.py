"""What the generator writes, read back with an independent validator (tests/generator/contract.py).

Every line is classified from the docs alone; the counts must reconcile exactly with the
summary, valid records must satisfy the whole contract, and each fault must appear at the
requested rate.
"""

from __future__ import annotations

import json
import re
from collections import Counter, defaultdict
from pathlib import Path
from typing import Any

import pytest
from generator_contract import (
    FAULTY,
    classify,
    coerce_int,
    event_ts,
    figures,
    rate_table,
    read_lines,
    utc_date,
)

from liberta.generator import SUMMARY_NAME, GenerationSummary

CURRENCIES = set(rate_table())
Dataset = tuple[GenerationSummary, Path]


def _read_all(root: Path) -> list[tuple[Path, int, str]]:
    out = []
    for path in sorted((root / "events").rglob("*")):
        if path.is_file():
            out.extend((path, i, line) for i, line in enumerate(read_lines(path)))
    return out


@pytest.fixture(scope="module")
def classified(faulty: Dataset) -> dict[str, Any]:
    _, root = faulty
    lines = _read_all(root)
    by_reason: Counter[str] = Counter()
    valid: dict[str, tuple[Path, dict[str, Any]]] = {}  # exact text -> first occurrence
    copies: list[tuple[Path, Path]] = []
    for path, _, line in lines:
        reason, rec = classify(line, CURRENCIES)
        by_reason[reason] += 1
        if reason != "valid":
            continue
        if line in valid:
            copies.append((valid[line][0], path))
        else:
            valid[line] = (path, rec)  # type: ignore[assignment]
    return {"lines": lines, "by_reason": by_reason, "valid": valid, "copies": copies}


def test_counts_reconcile_with_the_summary(faulty: Dataset, classified: dict[str, Any]) -> None:
    summary, _ = faulty
    by_reason = classified["by_reason"]
    assert summary.lines["read"] == len(classified["lines"])
    assert summary.lines["valid"] == len(classified["valid"]) == FAULTY["events"]
    assert summary.lines["duplicates"] == len(classified["copies"])
    assert by_reason["valid"] == summary.lines["valid"] + summary.lines["duplicates"]
    kinds = summary.invalid_by_kind
    assert by_reason["invalid_json"] == kinds["truncated"] + kinds["non_json"]
    for reason in (
        "wrong_type",
        "missing_field",
        "unknown_category",
        "negative_amount",
        "unknown_currency",
    ):
        assert by_reason[reason] == kinds[reason], reason
    assert sum(by_reason.values()) - by_reason["valid"] == summary.lines["invalid"]
    assert (
        summary.lines["read"]
        == summary.lines["valid"] + summary.lines["invalid"] + summary.lines["duplicates"]
    )
    categories = Counter(rec["data"]["category"] for _, rec in classified["valid"].values())
    assert dict(categories) == summary.valid_by_category


def test_distinct_valid_events_differ_in_contract_fields(classified: dict[str, Any]) -> None:
    """Duplicates are only the exact copies: after coercion no two events are equal."""

    def normal(rec: dict[str, Any]) -> str:
        rec = {**rec, "data": dict(rec["data"])}
        rec["arrival_ts"] = coerce_int(rec["arrival_ts"])
        for key in ("amount", "length"):
            if key in rec["data"] and rec["data"]["category"] in ("business", "session_end"):
                rec["data"][key] = coerce_int(rec["data"][key])
        return json.dumps(rec, sort_keys=True)

    records = [rec for _, rec in classified["valid"].values()]
    assert len({normal(r) for r in records}) == len(records)


def test_fault_kinds_appear_at_the_requested_rate(faulty: Dataset) -> None:
    summary, _ = faulty
    n = FAULTY["events"]
    per_kind = n * FAULTY["corrupt_rate"] / 8  # 480 expected; binomial sd ~ 22
    for kind, count in summary.faults.items():
        assert abs(count - per_kind) < 0.2 * per_kind, (kind, count)
    assert summary.time_corrected == summary.faults["future_clock"]
    dups = summary.lines["duplicates"]
    assert abs(dups - n * FAULTY["duplicate_rate"]) < 0.15 * n * FAULTY["duplicate_rate"]
    assert summary.duplicates["same_file"] > 0.4 * dups
    assert summary.duplicates["other_file"] > 0.25 * dups
    late_share = summary.late["lines"] / summary.lines["read"]
    assert abs(late_share - FAULTY["late_rate"]) < 0.02
    # every invalid sub-variant the docs name is exercised
    details = set(summary.invalid_by_detail)
    for needed in (
        "wrong_type:data.amount",
        "wrong_type:data.length",
        "wrong_type:arrival_ts",
        "missing_field:arrival_ts",
        "missing_field:data.user_id",
        "missing_field:data.session_id",
        "missing_field:data.category",
        "missing_field:data.currency",
        "missing_field:data.amount",
        "missing_field:data.length",
        "negative_amount:data.amount",
        "negative_amount:data.length",
    ):
        assert needed in details, needed


def test_duplicates_land_in_the_same_and_in_other_files(classified: dict[str, Any]) -> None:
    same = sum(1 for a, b in classified["copies"] if a == b)
    other = len(classified["copies"]) - same
    assert same > 0
    assert other > 0


def test_future_clocks_and_benign_variants_are_valid_and_counted(
    faulty: Dataset, classified: dict[str, Any]
) -> None:
    summary, _ = faulty
    records = [rec for _, rec in classified["valid"].values()]
    corrected = sum(1 for rec in records if event_ts(rec)[1])
    assert corrected == summary.time_corrected > 0
    variants: Counter[str] = Counter()
    for rec in records:
        if isinstance(rec["arrival_ts"], float):
            variants["arrival_ts_as_float"] += 1
        data = rec["data"]
        field = {"business": "amount", "session_end": "length"}.get(data["category"])
        if field and isinstance(data[field], str):
            variants[f"{field}_as_string"] += 1
        if field and isinstance(data[field], float):
            variants[f"{field}_as_float"] += 1
    assert dict(variants) == summary.benign_variants
    assert variants["arrival_ts_as_float"] > 0
    assert variants["length_as_string"] > 0
    assert variants["length_as_float"] > 0


def test_files_layout_and_dt_is_the_arrival_date(
    faulty: Dataset, classified: dict[str, Any]
) -> None:
    summary, root = faulty
    names = {p.relative_to(root).as_posix() for p, _, _ in classified["lines"]}
    pattern = re.compile(r"events/dt=(\d{4}-\d\d-\d\d)/(events|late)-\d{5}\.json")
    assert all(pattern.fullmatch(n) for n in names), names
    dts = {pattern.fullmatch(n).group(1) for n in names}  # type: ignore[union-attr]
    assert dts == {f"2024-03-0{d}" for d in range(1, 7)}
    for path, rec in classified["valid"].values():
        arrival = coerce_int(rec["arrival_ts"])
        assert path.parent.name == f"dt={utc_date(arrival)}"
    for day in sorted(p for p in (root / "events").iterdir()):
        files = sorted(f.name for f in day.iterdir())
        assert files[-1].startswith("late-"), "late files sort after the regular ones"
    assert (root / SUMMARY_NAME).exists()
    on_disk = json.loads((root / SUMMARY_NAME).read_text())
    assert on_disk == summary.to_dict()
    per_dt = Counter(p.parent.name.removeprefix("dt=") for p, _, _ in classified["lines"])
    assert {d: v["read"] for d, v in summary.by_dt.items()} == dict(per_dt)


_STR = str
_TYPES: dict[str, tuple[type, ...]] = {
    "country_code": (_STR,),
    "game_id": (int,),
    "ip": (_STR,),
}
_DATA_TYPES: dict[str, tuple[type, ...]] = {
    "v": (int,),
    "user_id": (_STR,),
    "session_id": (_STR,),
    "session_num": (int,),
    "client_ts": (int,),
    "platform": (_STR,),
    "os_version": (_STR,),
    "manufacturer": (_STR,),
    "device": (_STR,),
    "build": (_STR,),
    "sdk_version": (_STR,),
    "connection_type": (_STR,),
    "android_id": (_STR,),
    "jailbroken": (bool,),
    "limited_ad_tracking": (bool,),
    "event_id": (_STR,),
    "cart_type": (_STR,),
    "transaction_num": (int,),
    "attempt_num": (int,),
    "score": (int,),
    "value": (float, int),
    "severity": (_STR,),
    "message": (_STR,),
    "ad_action": (_STR,),
    "ad_type": (_STR,),
    "ad_placement": (_STR,),
    "currency": (_STR,),
}
UUID = re.compile(
    r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-4[0-9a-fA-F]{3}-[89abAB][0-9a-fA-F]{3}-[0-9a-fA-F]{12}"
)


def test_every_valid_record_satisfies_the_contract(classified: dict[str, Any]) -> None:
    for _, rec in classified["valid"].values():
        for key, types in _TYPES.items():
            if key in rec:
                assert isinstance(rec[key], types), (key, rec)
        assert re.fullmatch(r"[A-Z]{2}", rec["country_code"])
        data = rec["data"]
        assert data["v"] == 2
        for key, types in _DATA_TYPES.items():
            if key in data:
                assert isinstance(data[key], types) and not (
                    bool not in types and isinstance(data[key], bool)
                ), (key, rec)
        assert UUID.fullmatch(data["session_id"])
        assert data["session_num"] >= 1
        assert data["platform"] in ("ios", "android")
        assert data["os_version"].startswith(data["platform"] + " ")
        category = data["category"]
        if category == "resource":
            assert isinstance(data["amount"], float)
            assert data["event_id"].split(":")[0] in ("Source", "Sink")
        if category == "progression":
            assert data["event_id"].split(":")[0] in ("Start", "Complete", "Fail")
        if category == "business":
            assert re.fullmatch(r"[a-z]+:[a-z_]+", data["event_id"])
        meta = rec["user_meta"]
        for key in ("install_ts", "install_hour", "cohort_week", "cohort_month"):
            assert isinstance(meta[key], int)
        assert meta["install_hour"] % 3600 == 0 and meta["install_hour"] <= meta["install_ts"]
        assert meta["cohort_week"] <= meta["install_hour"]
        assert meta["is_paying"] in ("true", "false")
        assert meta["is_converting"] in ("true", "false")
        assert all(c in CURRENCIES and isinstance(v, int) for c, v in meta["revenue"].items())
        assert ("pay_ft" in meta) == (meta["is_paying"] == "true")
        if not event_ts(rec)[1]:
            assert data["client_ts"] <= coerce_int(rec["arrival_ts"]) + 86_400


def test_user_meta_follows_each_players_history(classified: dict[str, Any]) -> None:
    by_user: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for _, rec in classified["valid"].values():
        by_user[rec["data"]["user_id"]].append(rec)
    payers = 0
    for user, recs in by_user.items():
        assert len({r["user_meta"]["install_ts"] for r in recs}) == 1, user
        purchases = sorted(
            (r for r in recs if r["data"]["category"] == "business"),
            key=lambda r: r["data"]["transaction_num"],
        )
        if not purchases:
            assert all(r["user_meta"]["is_paying"] == "false" for r in recs), user
            continue
        payers += 1
        assert [p["data"]["transaction_num"] for p in purchases] == list(
            range(1, len(purchases) + 1)
        )
        total: Counter[str] = Counter()
        for i, p in enumerate(purchases):
            total[p["data"]["currency"]] += coerce_int(p["data"]["amount"])
            meta = p["user_meta"]
            assert meta["revenue"] == dict(total), user
            assert meta["is_converting"] == ("true" if i == 0 else "false")
            assert meta["is_paying"] == "true"
        first = purchases[0]
        first_session = first["data"]["session_num"]
        assert first["user_meta"]["pay_ft"] <= first["data"]["client_ts"] or event_ts(first)[1]
        for r in recs:
            if r["data"]["session_num"] < first_session:
                assert r["user_meta"]["is_paying"] == "false"
            if r["data"]["session_num"] > first_session:
                assert r["user_meta"]["is_paying"] == "true"
                assert r["user_meta"]["is_converting"] == "false"
    assert payers > 0


def test_sessions_have_a_start_an_end_and_a_consistent_length(
    classified: dict[str, Any],
) -> None:
    sessions: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for _, rec in classified["valid"].values():
        sessions[rec["data"]["session_id"]].append(rec)
    for sid, recs in sessions.items():
        cats = Counter(r["data"]["category"] for r in recs)
        assert cats["user"] == 1 and cats["session_end"] == 1, sid
        assert len({r["data"]["user_id"] for r in recs}) == 1
        assert len({r["data"]["session_num"] for r in recs}) == 1
        start = next(r for r in recs if r["data"]["category"] == "user")
        end = next(r for r in recs if r["data"]["category"] == "session_end")
        if not (event_ts(start)[1] or event_ts(end)[1]):
            length = coerce_int(end["data"]["length"])
            assert end["data"]["client_ts"] - start["data"]["client_ts"] == length


def test_summary_figures_match_the_metric_definitions(
    faulty: Dataset, classified: dict[str, Any]
) -> None:
    summary, _ = faulty
    expected = figures([rec for _, rec in classified["valid"].values()])
    got = summary.figures["by_date"]
    assert set(got) == set(expected)
    for day, row in expected.items():
        for key in ("dau", "sessions", "playtime_s", "new_payers", "installs"):
            assert got[day][key] == row[key], (day, key)
        assert got[day]["revenue_usd"] == pytest.approx(row["revenue_usd"], rel=1e-9, abs=1e-6)
