"""An independent reading of the raw-event contract, written from docs/raw-events.md and
docs/metrics.md (not from the generator's code), to check what the generator writes."""

from __future__ import annotations

import bz2
import csv
import datetime as dt
import gzip
import json
import re
from collections import defaultdict
from pathlib import Path
from typing import Any

from emr_jobs import lzop

CATEGORIES = {
    "user",
    "session_end",
    "business",
    "progression",
    "resource",
    "design",
    "error",
    "ads",
}
CURRENCY_CSV = Path(__file__).resolve().parents[2] / "emr_jobs" / "data" / "currencies.csv"
EPOCH_2010 = int(dt.datetime(2010, 1, 1, tzinfo=dt.UTC).timestamp())
_INT_TEXT = re.compile(r"-?[0-9]+")

# The data set most tests read: every fault kind at a known rate, uncompressed.
FAULTY = {
    "events": 24_000,
    "start_date": dt.date(2024, 3, 1),
    "days": 6,
    "players": 500,
    "seed": 11,
    "compression": "none",
    "files_per_day": 3,
    "duplicate_rate": 0.05,
    "late_rate": 0.1,
    "corrupt_rate": 0.16,  # 2 % per fault kind
}


def rate_table() -> dict[str, tuple[int, float]]:
    with CURRENCY_CSV.open() as fh:
        rows = csv.DictReader(line for line in fh if not line.startswith("#"))
        return {r["code"]: (int(r["minor_digits"]), float(r["usd_per_unit"])) for r in rows}


class Missing(Exception):
    pass


class WrongType(Exception):
    pass


def coerce_int(value: Any) -> int:
    """docs/metrics.md: "99" and 99.0 are coerced; anything else (abc, 99.5, true) is unusable."""
    if value is None:
        raise Missing
    if isinstance(value, bool):
        raise WrongType
    if isinstance(value, int):
        return value
    if isinstance(value, float):
        if value.is_integer():
            return int(value)
        raise WrongType
    if isinstance(value, str) and _INT_TEXT.fullmatch(value.strip()):
        return int(value)
    raise WrongType


def classify(line: str, currencies: set[str]) -> tuple[str, dict[str, Any] | None]:
    """('valid', record) or (reason group, None); reason groups are named like the
    generator's fault kinds except that all unparseable lines are 'invalid_json'."""
    try:
        rec = json.loads(line)
    except ValueError:
        return "invalid_json", None
    if not isinstance(rec, dict):
        return "invalid_json", None
    data = rec.get("data")
    if not isinstance(data, dict):
        return "missing_field", None
    try:
        coerce_int(rec.get("arrival_ts"))
    except Missing:
        return "missing_field", None
    except WrongType:
        return "wrong_type", None
    category = data.get("category")
    if category is None:
        return "missing_field", None
    if category not in CATEGORIES:
        return "unknown_category", None
    for key in ("user_id", "session_id"):
        value = data.get(key)
        if value is None or value == "":
            return "missing_field", None
        if not isinstance(value, str):
            return "wrong_type", None
    if category == "session_end":
        try:
            if coerce_int(data.get("length")) < 0:
                return "negative_amount", None
        except Missing:
            return "missing_field", None
        except WrongType:
            return "wrong_type", None
    if category == "business":
        try:
            amount = coerce_int(data.get("amount"))
        except Missing:
            return "missing_field", None
        except WrongType:
            return "wrong_type", None
        currency = data.get("currency")
        if currency is None:
            return "missing_field", None
        if currency not in currencies:
            return "unknown_currency", None
        if amount < 0:
            return "negative_amount", None
    return "valid", rec


def read_lines(path: Path) -> list[str]:
    raw = path.read_bytes()
    name = path.name
    if name.endswith(".gz"):
        raw = gzip.decompress(raw)
    elif name.endswith(".bz2"):
        raw = bz2.decompress(raw)
    elif name.endswith(".lzo"):
        raw = lzop.decompress(raw)
    elif not name.endswith(".json"):
        raise AssertionError(f"unexpected file {path}")
    text = raw.decode("utf-8")
    assert text.endswith("\n"), f"{path} does not end with a newline"
    return text[:-1].split("\n")


def event_ts(rec: dict[str, Any]) -> tuple[int, bool]:
    """docs/metrics.md event time: client_ts unless missing, > arrival + 24 h or before 2010."""
    arrival = coerce_int(rec["arrival_ts"])
    client = rec["data"].get("client_ts")
    if client is None or client > arrival + 86_400 or client < EPOCH_2010:
        return arrival, True
    return client, False


def utc_date(ts: int) -> str:
    return dt.datetime.fromtimestamp(ts, dt.UTC).date().isoformat()


def figures(records: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """docs/metrics.md figures by date, from distinct valid records."""
    rates = rate_table()
    dau: dict[str, set[str]] = defaultdict(set)
    sessions: dict[str, set[str]] = defaultdict(set)
    playtime: dict[str, int] = defaultdict(int)
    revenue: dict[str, float] = defaultdict(float)
    first_pay: dict[str, int] = {}
    install: dict[str, int] = {}
    for rec in records:
        data = rec["data"]
        ts, _ = event_ts(rec)
        day = utc_date(ts)
        user = data["user_id"]
        dau[day].add(user)
        sessions[day].add(data["session_id"])
        if data["category"] == "session_end":
            playtime[day] += coerce_int(data["length"])
        if data["category"] == "business":
            digits, usd = rates[data["currency"]]
            revenue[day] += coerce_int(data["amount"]) / 10**digits * usd
            first_pay[user] = min(first_pay.get(user, ts), ts)
        meta_install = rec["user_meta"]["install_ts"]
        install[user] = min(install.get(user, meta_install), meta_install)
    new_payers: dict[str, int] = defaultdict(int)
    for ts in first_pay.values():
        new_payers[utc_date(ts)] += 1
    installs: dict[str, int] = defaultdict(int)
    for ts in install.values():
        installs[utc_date(ts)] += 1
    days = sorted(set(dau) | set(installs))
    return {
        d: {
            "dau": len(dau[d]),
            "sessions": len(sessions[d]),
            "playtime_s": playtime[d],
            "revenue_usd": revenue[d],
            "new_payers": new_payers[d],
            "installs": installs[d],
        }
        for d in days
    }
