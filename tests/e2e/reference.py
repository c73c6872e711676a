"""An independent reading of the raw files, straight from docs/metrics.md and docs/raw-events.md.

The end-to-end test compares the warehouse views with what this module computes from the raw
files the pipeline read. It shares no code with the pipeline on purpose: plain Python, the
`json`, `gzip`, `bz2` and `csv` modules, and the rules as the documents state them.
"""

from __future__ import annotations

import bz2
import csv
import gzip
import json
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path

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
EARLIEST_CLOCK = datetime(2010, 1, 1, tzinfo=UTC).timestamp()
CURRENCIES_CSV = Path(__file__).resolve().parents[2] / "emr_jobs" / "data" / "currencies.csv"


def currency_table() -> dict[str, tuple[int, Decimal]]:
    with CURRENCIES_CSV.open(encoding="utf-8") as handle:
        rows = csv.DictReader(line for line in handle if not line.startswith("#"))
        return {r["code"]: (int(r["minor_digits"]), Decimal(r["usd_per_unit"])) for r in rows}


def read_lines(path: Path) -> list[str]:
    data = path.read_bytes()
    if path.name.endswith(".gz"):
        data = gzip.decompress(data)
    elif path.name.endswith(".bz2"):
        data = bz2.decompress(data)
    elif not path.name.endswith(".json"):
        raise ValueError(f"the reference reader does not read {path.name}")
    return [line for line in data.decode("utf-8").split("\n") if line.strip()]


def as_int(value: object) -> int | None:
    """Integers, integral floats and strings holding an integer; None for anything else."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, float):
        return int(value) if value.is_integer() else None
    if isinstance(value, str):
        try:
            return as_int(json.loads(value))
        except ValueError:
            return None
    return None


@dataclass(frozen=True)
class Event:
    user_id: str
    session_id: str
    category: str
    event_day: date
    event_ts: float
    length: int | None
    currency: str | None
    amount: int | None
    install_ts: int | None


def parse_valid(line: str, currencies: dict) -> Event | None:
    try:
        record = json.loads(line)
    except ValueError:
        return None
    if not isinstance(record, dict) or not isinstance(record.get("data"), dict):
        return None
    data = record["data"]
    meta = record.get("user_meta") if isinstance(record.get("user_meta"), dict) else {}
    arrival = as_int(record.get("arrival_ts"))
    category = data.get("category")
    user_id, session_id = data.get("user_id"), data.get("session_id")
    if arrival is None or category not in CATEGORIES:
        return None
    if not (isinstance(user_id, str) and user_id and isinstance(session_id, str) and session_id):
        return None
    length = currency = amount = None
    if category == "session_end":
        length = as_int(data.get("length"))
        if length is None or length < 0:
            return None
    if category == "business":
        currency, amount = data.get("currency"), as_int(data.get("amount"))
        if currency not in currencies or amount is None or amount < 0:
            return None
    client = as_int(data.get("client_ts"))
    corrected = client is None or client > arrival + 86_400 or client < EARLIEST_CLOCK
    event_ts = arrival if corrected else client
    return Event(
        user_id=user_id,
        session_id=session_id,
        category=category,
        event_day=datetime.fromtimestamp(event_ts, UTC).date(),
        event_ts=event_ts,
        length=length,
        currency=currency,
        amount=amount,
        install_ts=as_int(meta.get("install_ts")),
    )


@dataclass
class Figures:
    read: int = 0
    valid: int = 0
    invalid: int = 0
    duplicates: int = 0
    dau: dict[date, int] = field(default_factory=dict)
    sessions: dict[date, int] = field(default_factory=dict)
    playtime: dict[date, int] = field(default_factory=dict)
    revenue_usd: dict[date, Decimal] = field(default_factory=dict)
    new_payers: dict[date, int] = field(default_factory=dict)
    installs: dict[date, int] = field(default_factory=dict)
    retention_d1: dict[date, tuple[int, int]] = field(default_factory=dict)
    paying_players: int = 0


def canonical(line: str) -> str:
    """Exact duplicates: equal JSON content (the generator repeats lines byte for byte)."""
    return json.dumps(json.loads(line), sort_keys=True)


def compute(raw_events_dir: Path) -> Figures:
    currencies = currency_table()
    figures = Figures()
    seen: set[str] = set()
    events: list[Event] = []
    for path in sorted(raw_events_dir.rglob("*.json*")):
        for line in read_lines(path):
            figures.read += 1
            event = parse_valid(line, currencies)
            if event is None:
                figures.invalid += 1
                continue
            key = canonical(line)
            if key in seen:
                figures.duplicates += 1
                continue
            seen.add(key)
            figures.valid += 1
            events.append(event)

    active: dict[date, set[str]] = defaultdict(set)
    sessions: dict[date, set[str]] = defaultdict(set)
    playtime: dict[date, int] = defaultdict(int)
    revenue: dict[date, Decimal] = defaultdict(Decimal)
    first_payment: dict[str, float] = {}
    install: dict[str, int] = {}
    for e in events:
        active[e.event_day].add(e.user_id)
        sessions[e.event_day].add(e.session_id)
        if e.length is not None:
            playtime[e.event_day] += e.length
        if e.category == "business":
            digits, rate = currencies[e.currency]
            revenue[e.event_day] += Decimal(e.amount) / (10**digits) * rate
            first_payment[e.user_id] = min(first_payment.get(e.user_id, e.event_ts), e.event_ts)
        if e.install_ts is not None:
            install[e.user_id] = min(install.get(e.user_id, e.install_ts), e.install_ts)

    figures.dau = {d: len(users) for d, users in active.items()}
    figures.sessions = {d: len(ids) for d, ids in sessions.items()}
    figures.playtime = dict(playtime)
    figures.revenue_usd = dict(revenue)
    payers_by_day: dict[date, int] = defaultdict(int)
    for ts in first_payment.values():
        payers_by_day[datetime.fromtimestamp(ts, UTC).date()] += 1
    figures.new_payers = dict(payers_by_day)
    figures.paying_players = len(first_payment)
    installs_by_day: dict[date, set[str]] = defaultdict(set)
    for user, ts in install.items():
        installs_by_day[datetime.fromtimestamp(ts, UTC).date()].add(user)
    figures.installs = {d: len(users) for d, users in installs_by_day.items()}
    last_day = max(active) if active else None
    for cohort, users in installs_by_day.items():
        next_day = cohort + timedelta(days=1)
        if last_day is not None and next_day <= last_day:
            retained = len(users & active.get(next_day, set()))
            figures.retention_d1[cohort] = (retained, len(users))
    return figures
