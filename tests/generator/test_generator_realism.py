"""The generated population looks like a mobile game's: churn, whales, devices, late play.

Read from the files with the independent reader; bounds are wide (shapes, not exact values).
"""

from __future__ import annotations

from collections import Counter, defaultdict
from pathlib import Path
from typing import Any

import pytest
from generator_contract import classify, coerce_int, rate_table, read_lines

from liberta.generator import GenerationSummary

Dataset = tuple[GenerationSummary, Path]
DAY = 86_400


@pytest.fixture(scope="module")
def records(long_running: Dataset) -> list[dict[str, Any]]:
    _, root = long_running
    currencies = set(rate_table())
    out = []
    for path in sorted((root / "events").rglob("*.json")):
        for line in read_lines(path):
            reason, rec = classify(line, currencies)
            assert reason == "valid", (path, line[:200])
            out.append(rec)
    return out


def test_most_players_churn_within_days_and_a_few_stay_for_months(
    records: list[dict[str, Any]],
) -> None:
    last_seen: dict[str, int] = {}
    install: dict[str, int] = {}
    for rec in records:
        user = rec["data"]["user_id"]
        install[user] = rec["user_meta"]["install_ts"]
        last_seen[user] = max(last_seen.get(user, 0), rec["data"]["client_ts"])
    lifetimes = [(last_seen[u] - install[u]) / DAY for u in install]
    assert len(lifetimes) == 2_000
    short = sum(1 for x in lifetimes if x < 3) / len(lifetimes)
    long = sum(1 for x in lifetimes if x >= 25) / len(lifetimes)
    assert short > 0.5
    assert 0.005 < long < 0.2


def test_retention_decays(long_running: Dataset) -> None:
    summary, _ = long_running
    cohorts = [c for d, c in sorted(summary.figures["retention"].items()) if d <= "2024-03-08"]
    installs = sum(c["installs"] for c in cohorts)
    d1, d7, d30 = (sum(c[k] for c in cohorts) / installs for k in ("d1", "d7", "d30"))
    assert 0.2 < d1 < 0.6
    assert 0.03 < d7 < d1
    assert 0.0 < d30 < d7


def test_payers_are_few_and_whales_pay_most(records: list[dict[str, Any]]) -> None:
    rates = rate_table()
    players = {r["data"]["user_id"] for r in records}
    spend: dict[str, float] = defaultdict(float)
    currencies: Counter[str] = Counter()
    for rec in records:
        data = rec["data"]
        if data["category"] == "business":
            digits, usd = rates[data["currency"]]
            spend[data["user_id"]] += coerce_int(data["amount"]) / 10**digits * usd
            currencies[data["currency"]] += 1
    share = len(spend) / len(players)
    assert 0.015 < share < 0.06
    ranked = sorted(spend.values(), reverse=True)
    top = ranked[: max(1, len(ranked) // 10)]
    assert sum(top) > 0.35 * sum(ranked), "the top 10 % of payers bring most revenue"
    assert len(currencies) >= 6


def test_devices_countries_and_platforms_are_mixed(records: list[dict[str, Any]]) -> None:
    per_user = {r["data"]["user_id"]: r for r in records}
    platforms = Counter(r["data"]["platform"] for r in per_user.values())
    assert 0.25 < platforms["ios"] / len(per_user) < 0.6
    assert len({r["data"]["device"] for r in per_user.values()}) >= 15
    assert len({r["data"]["os_version"] for r in per_user.values()}) >= 10
    assert len({r["country_code"] for r in per_user.values()}) >= 15
    android = [r for r in per_user.values() if r["data"]["platform"] == "android"]
    assert all("android_id" in r["data"] for r in android)
    assert len({r["user_meta"]["origin"] for r in per_user.values()}) >= 4


def test_offline_play_arrives_late(records: list[dict[str, Any]]) -> None:
    delays = [coerce_int(r["arrival_ts"]) - r["data"]["client_ts"] for r in records]
    over_hour = sum(1 for d in delays if d > 3600) / len(delays)
    assert 0.01 < over_hour < 0.2
    assert any(d > DAY for d in delays)
    assert sum(1 for d in delays if d <= 60) / len(delays) > 0.7


def test_event_mix_and_sessions(long_running: Dataset) -> None:
    summary, _ = long_running
    by_cat = summary.valid_by_category
    total = sum(by_cat.values())
    assert set(by_cat) == {
        "user",
        "session_end",
        "business",
        "progression",
        "resource",
        "design",
        "error",
        "ads",
    }
    assert by_cat["user"] == by_cat["session_end"] == summary.sessions["total"]
    assert 8 < total / summary.sessions["total"] < 60
    assert by_cat["progression"] > by_cat["ads"] > by_cat["error"]
