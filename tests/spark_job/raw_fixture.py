"""A small, hand-made raw export and the tables the job must build from it.

Every expected value below was worked out by hand from `docs/raw-events.md`,
`docs/metrics.md`, `liberta_core/tables.py` and `emr_jobs/data/currencies.csv`
(comments show the arithmetic); none comes from the job's code. Keys follow the documented
rule, computed by the tests' one oracle `tests/key_oracle.py`.

Window [2026-03-02T00:00Z, 2026-03-04T00:00Z) -> partitions dt=2026-03-02 and dt=2026-03-03.
Weekdays: 2026-02-28 Sat, 03-01 Sun, 03-02 Mon, 03-03 Tue, 03-04 Wed.

Valid events E1..E19 (19), exact duplicates (3), bad records B1..B17 (17): read 39.

| file (partition)           | lines                                   | read | bad |
|----------------------------|-----------------------------------------|------|-----|
| a.json      (2026-03-02)   | E1 E2 B1 E3 E3(dup) B2 E4               | 7    | 2   |
| b.json.gz   (2026-03-02)   | E5 B3 E6 E7 B4 E8                       | 6    | 2   |
| e.json.lzo  (2026-03-02)   | E9 E5(dup) B6 E6(dup*) E10 B7           | 6    | 2   |
| c.json.bz2  (2026-03-03)   | E11 B8 E12 E13 B9 E14 B10 E15 B5        | 9    | 4   |
| d.json.lzo  (2026-03-03)   | B11 E16 B12                             | 3    | 2   |
| f.json.gz   (2026-03-03)   | E17 B13 E18 B14 B15 B16 B17 E19         | 8    | 5   |

(dup*: same contract fields as E6, but other key order and fields outside the contract.)
Worst file by bad share: d.json.lzo (2/3; f.json.gz is 5/8).

f.json.gz holds the cases of the retired `tests/emr_jobs` data set that the rest did not cover:
`arrival_ts` as a numeric string, a session of a single event (a purchase in the player's
second session), a business `event_id` without an item type and no `cart_type`, a non-empty
`user_meta.revenue`, a `length` as an integral float, unusable optional `v` and `jailbroken`,
a blank line, a non-integral `arrival_ts`, a `data` that is not an object, a bare record
without user id or `user_meta`, and an `amount` that is not a number.

Outside the window: dt=2026-03-01/old.json.gz (not gzip), dt=2026-03-04/new.json.lzo (not
lzop), and a valid event in dt=2026-03-01/valid.json (`user-early`, arrived 1 s before the
window) and dt=2026-03-04/valid.json (`user-late`, arrived at the window's end): reading any
of them would fail the run or show up in the tables.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

from tests.key_oracle import key

SINCE = datetime(2026, 3, 2, tzinfo=UTC)
UNTIL = datetime(2026, 3, 4, tzinfo=UTC)
PARTITIONS = ["2026-03-02", "2026-03-03"]

_MISSING = object()


def at(text: str) -> datetime:
    """`2026-03-02T08:00:00` as an aware UTC datetime."""
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


def ts(text: str) -> int:
    """`2026-03-02T08:00:00` (UTC) as unix seconds."""
    return int(at(text).timestamp())


# ----------------------------------------------------------------------------------------
# players, sessions, devices

DEV_A13 = {
    "platform": "android",
    "os_version": "13",
    "manufacturer": "samsung",
    "device": "SM-G991B",
}
DEV_A14 = {
    "platform": "android",
    "os_version": "14",
    "manufacturer": "samsung",
    "device": "SM-G991B",
}
DEV_I = {"platform": "ios", "os_version": "17.2", "manufacturer": "Apple", "device": "iPhone14,2"}
# manufacturer and device absent (E9, E13) or empty (E10): '' in the natural key
DEV_C = {"platform": "android", "os_version": "12"}

META_A = {
    "install_ts": ts("2026-02-28T23:30:00"),  # install date 2026-02-28 (UTC, not 03-01)
    "first_build": "1.0.0",
    "origin": "organic",
    "is_paying": "true",  # collector's claim; d_user.is_paying follows business events only
    "is_converting": "false",
}
META_B = {
    "install_ts": ts("2026-03-01T10:00:00"),
    "first_build": "1.0.1",
    "origin": "adnetwork_x",
    "is_paying": "false",
}
META_C = {
    "install_ts": ts("2026-03-02T23:00:00"),
    "first_build": "0.9",
    "origin": "organic",
    "is_paying": "false",
}

U_A, U_B, U_C = key("user", "user-a"), key("user", "user-b"), key("user", "user-c")
S_A1, S_A2 = key("session", "sess-a1"), key("session", "sess-a2")
S_B1, S_B2 = key("session", "sess-b1"), key("session", "sess-b2")
S_C1 = key("session", "sess-c1")
K_A13 = key("device", "android", "13", "samsung", "SM-G991B")
K_A14 = key("device", "android", "14", "samsung", "SM-G991B")
K_I = key("device", "ios", "17.2", "Apple", "iPhone14,2")
K_C = key("device", "android", "12", "", "")
I_GEMS = key("item", "gems", "pack_small", "shop")
I_GOLD = key("item", "gold", "chest", "store")
I_NONE = key("item", "", "", "")
U_D = key("user", "user-d")
S_D1, S_D2 = key("session", "sess-d1"), key("session", "sess-d2")
I_COINS = key("item", "", "Coins", "")  # event_id "Coins": no item type, no cart_type


def event(
    *,
    arrival: Any,
    category: Any,
    user: Any,
    session: Any,
    client: Any = _MISSING,
    session_num: Any = 1,
    game_id: Any = 7,
    country: str = "DE",
    device: dict[str, str] = DEV_A13,
    meta: dict[str, Any] = META_A,
    **fields: Any,
) -> dict[str, Any]:
    """One raw event; `_MISSING` leaves a field out."""
    data: dict[str, Any] = {
        "category": category,
        "v": 2,
        "user_id": user,
        "session_id": session,
        "session_num": session_num,
        "client_ts": client,
        **device,
        "build": "1.0.0",
        "sdk_version": "rest api v2",
        "connection_type": "wifi",
        **fields,
    }
    record = {
        "arrival_ts": arrival,
        "country_code": country,
        "game_id": game_id,
        "ip": "10.0.0.1",
        "data": {k: v for k, v in data.items() if v is not _MISSING},
        "user_meta": dict(meta),
    }
    return {k: v for k, v in record.items() if v is not _MISSING}


def line(record: dict[str, Any]) -> str:
    return json.dumps(record, separators=(",", ":"))


# ----------------------------------------------------------------------------------------
# valid events

A = {"user": "user-a", "device": DEV_A13, "meta": META_A, "country": "DE"}
E1 = line(
    event(
        arrival=ts("2026-03-02T08:00:05"),
        client=ts("2026-03-02T08:00:00"),
        category="user",
        session="sess-a1",
        session_num="1",
        **A,
    )
)  # "1" coerced
E2 = line(
    event(
        arrival=ts("2026-03-02T08:05:03"),
        client=ts("2026-03-02T08:05:00"),
        category="progression",
        session="sess-a1",
        event_id="Complete:world1:level2",
        attempt_num="2",
        score=1500.0,
        **A,
    )
)  # "2" and 1500.0 coerced
E3 = line(
    event(
        arrival=ts("2026-03-02T08:10:02"),
        client=ts("2026-03-02T08:10:00"),
        category="session_end",
        session="sess-a1",
        length=600,
        **A,
    )
)
E4 = line(
    event(
        arrival=ts("2026-03-02T08:06:04"),
        client=ts("2026-03-02T08:06:00"),
        category="design",
        session="sess-a1",
        event_id="Tutorial:step1",
        value=2.5,
        **A,
    )
)
# user-a's second day: new OS version, new country, other build/origin/game/install claims
A2 = {
    "user": "user-a",
    "device": DEV_A14,
    "country": "AT",
    "game_id": 8,
    "meta": {
        **META_A,
        "install_ts": ts("2026-03-01T00:00:00"),
        "first_build": "9.9.9",
        "origin": "paid_campaign",
    },
}
E11 = line(
    event(
        arrival=ts("2026-03-03T09:00:04"),
        client=ts("2026-03-03T09:00:00"),
        category="user",
        session="sess-a2",
        session_num=2,
        **A2,
    )
)
E12 = line(
    event(
        arrival=ts("2026-03-03T09:01:07"),
        client=ts("2026-03-03T09:01:00"),
        category="resource",
        session="sess-a2",
        session_num=2,
        event_id="Sink:Gems:boost",
        amount=25.5,
        **A2,
    )
)  # latest valid arrival

B = {"user": "user-b", "device": DEV_I, "meta": META_B, "country": "JP"}
E5 = line(
    event(
        arrival=ts("2026-03-02T20:00:10"),
        client=ts("2026-03-02T20:00:00"),
        category="user",
        session="sess-b1",
        game_id=7.0,
        **B,
    )
)  # 7.0 coerced
E6_RECORD = event(
    arrival=ts("2026-03-02T20:05:02"),
    client=ts("2026-03-02T20:05:00"),
    category="business",
    session="sess-b1",
    currency="JPY",
    amount=480,
    event_id="gems:pack_small",
    cart_type="shop",
    transaction_num=1,
    **{**B, "meta": {**META_B, "is_converting": "true"}},
)
E6 = line(E6_RECORD)
E7 = line(
    event(
        arrival=ts("2026-03-02T20:06:03"),
        client=ts("2026-03-02T20:06:00"),
        category="business",
        session="sess-b1",
        currency="KWD",
        amount=1250.0,
        event_id="gold:chest",
        cart_type="store",
        transaction_num=2,
        **{**B, "meta": {**META_B, "is_converting": "false"}},
    )
)  # 1250.0 coerced
E8 = line(
    event(
        arrival=ts("2026-03-02T20:07:01"),
        client=ts("2026-03-02T20:07:00"),
        category="business",
        session="sess-b1",
        currency="USD",
        amount="199",
        **B,
    )
)  # "199" coerced; no event_id, cart_type, transaction_num, is_converting
# late: played offline on 03-02 20:10, arrived 03-03 01:00 (not a correction)
E14 = line(
    event(
        arrival=ts("2026-03-03T01:00:00"),
        client=ts("2026-03-02T20:10:00"),
        category="progression",
        session="sess-b1",
        event_id="Fail:world1:level1",
        attempt_num=1,
        **B,
    )
)
B2_ = {"user": "user-b", "device": DEV_I, "meta": META_B, "country": "US"}
# client exactly 24 h after arrival: believed (only MORE than 24 h is corrected)
E15 = line(
    event(
        arrival=ts("2026-03-03T02:00:00"),
        client=ts("2026-03-04T02:00:00"),
        category="user",
        session="sess-b2",
        session_num=2,
        **B2_,
    )
)
E16 = line(
    event(
        arrival=ts("2026-03-03T02:05:05"),
        client=ts("2026-03-03T02:05:00"),
        category="business",
        session="sess-b2",
        session_num=2,
        currency="EUR",
        amount=999,
        event_id="gems:pack_small",
        cart_type="shop",
        transaction_num=3,
        **{**B2_, "meta": {**META_B, "is_converting": "false"}},
    )
)

C = {"user": "user-c", "meta": META_C, "country": "BR"}
# client_ts missing -> time-corrected; session_num unusable -> null, record still valid
E9 = line(
    event(
        arrival=ts("2026-03-02T23:50:00"),
        category="error",
        session="sess-c1",
        session_num="first",
        severity="critical",
        message="boom",
        device=DEV_C,
        **C,
    )
)
# client_ts more than 24 h after arrival (24 h 5 min) -> time-corrected
E10 = line(
    event(
        arrival=ts("2026-03-02T23:55:00"),
        client=ts("2026-03-04T00:00:00"),
        category="ads",
        session="sess-c1",
        ad_action="show",
        ad_type="rewarded_video",
        ad_placement="shop",
        device={**DEV_C, "manufacturer": ""},
        **C,
    )
)
# client_ts before 2010-01-01 -> time-corrected; length "120" coerced
E13 = line(
    event(
        arrival=ts("2026-03-03T00:10:00"),
        client=ts("2009-12-31T23:59:59"),
        category="session_end",
        session="sess-c1",
        length="120",
        device=DEV_C,
        **C,
    )
)

# user-d: two sessions on 03-03 (the second holds only a purchase), on user-a's second
# device (DEV_A14), from France
META_D = {
    "install_ts": ts("2026-03-03T04:55:00"),
    "first_build": "1.1",
    "origin": "ads_network",
    "is_paying": "false",
    "is_converting": "false",
    "revenue": {},
}
META_D_PAID = {**META_D, "is_paying": "true", "revenue": {"GBP": 250}}
D = {"user": "user-d", "device": DEV_A14, "country": "FR"}
# arrival_ts as a numeric string: coerced
E17 = line(
    event(
        arrival=str(ts("2026-03-03T05:00:05")),
        client=ts("2026-03-03T05:00:00"),
        category="user",
        session="sess-d1",
        meta=META_D,
        **D,
    )
)
# a session of one event; event_id without an item type ("Coins"), no cart_type;
# user_meta.revenue given
E18 = line(
    event(
        arrival=ts("2026-03-03T05:10:01"),
        client=ts("2026-03-03T05:10:00"),
        category="business",
        session="sess-d2",
        session_num=2,
        currency="GBP",
        amount=250,
        event_id="Coins",
        transaction_num=1,
        meta={**META_D_PAID, "is_converting": "true"},
        **D,
    )
)
# length as an integral float (300.0); unusable optional v and jailbroken -> null, still valid
E19 = line(
    event(
        arrival=ts("2026-03-03T05:05:02"),
        client=ts("2026-03-03T05:05:00"),
        category="session_end",
        session="sess-d1",
        length=300.0,
        v="two",
        jailbroken="maybe",
        meta=META_D,
        **D,
    )
)

# E6 again: other key order, plus fields outside the contract -> still a duplicate of E6
E6_REORDERED = json.dumps(
    {
        "user_meta": dict(reversed(list(E6_RECORD["user_meta"].items()))),
        "data": {**dict(reversed(list(E6_RECORD["data"].items()))), "x_debug": "retry"},
        "collector": "edge-2",
        **{k: v for k, v in E6_RECORD.items() if k not in ("data", "user_meta")},
    }
)

# ----------------------------------------------------------------------------------------
# bad records: (line, reason)

B1 = "this is not json"
B2 = line(
    event(
        arrival=ts("2026-03-02T08:07:00"),
        client=ts("2026-03-02T08:07:00"),
        category="progression",
        session="sess-a1",
        event_id="Start:world1:level3",
        **A,
    )
)[:57]  # truncated mid-record
B3 = line(
    event(
        arrival=ts("2026-03-02T20:01:00"),
        client=ts("2026-03-02T20:01:00"),
        category="user",
        session="sess-b1",
        **{**B, "user": _MISSING},
    )
)
B4 = line(
    event(
        arrival=ts("2026-03-02T20:30:00"),
        client=ts("2026-03-02T20:30:00"),
        category="session_end",
        session="sess-b1",
        length="abc",
        **B,
    )
)
B6 = line(
    event(
        arrival=ts("2026-03-02T23:51:00"),
        client=ts("2026-03-02T23:51:00"),
        category="purchase",
        session="sess-c1",
        device=DEV_C,
        **C,
    )
)
B7 = line(
    event(
        arrival=ts("2026-03-02T23:52:00"),
        client=ts("2026-03-02T23:52:00"),
        category="business",
        session="sess-c1",
        currency="XXX",
        amount=100,
        device=DEV_C,
        **C,
    )
)
B8 = line(
    event(
        arrival=ts("2026-03-03T23:00:00"),
        client=ts("2026-03-03T23:00:00"),
        category="business",
        session="sess-a2",
        currency="USD",
        amount=-100,
        **A2,
    )
)
B9 = line(
    event(
        arrival=ts("2026-03-03T22:00:00"),
        client=ts("2026-03-03T22:00:00"),
        category="session_end",
        session="sess-a2",
        length=-5,
        **A2,
    )
)
B10 = line(
    event(
        arrival=ts("2026-03-03T22:30:00"),
        client=ts("2026-03-03T22:30:00"),
        category="design",
        session="",
        event_id="x:y",
        **A2,
    )
)
B5 = line(
    event(
        arrival=ts("2026-03-03T23:30:00"),
        client=ts("2026-03-03T23:30:00"),
        category="business",
        session="sess-a2",
        currency="USD",
        amount=99.5,
        **A2,
    )
)
B11 = line(
    event(
        arrival=_MISSING,
        client=ts("2026-03-03T03:00:00"),
        category="user",
        session="sess-b2",
        **B2_,
    )
)
B12 = line(
    event(
        arrival=ts("2026-03-03T03:01:00"),
        client=ts("2026-03-03T03:01:00"),
        category=_MISSING,
        session="sess-b2",
        **B2_,
    )
)

B13 = ""  # a blank line
B14 = line(
    event(
        arrival=ts("2026-03-03T05:03:00") + 0.5,
        client=ts("2026-03-03T05:03:00"),
        category="user",
        session="sess-d1",
        meta=META_D,
        **D,
    )
)  # arrival_ts not an integer
B15 = line({"arrival_ts": ts("2026-03-03T05:03:10"), "data": "oops"})  # data not an object
# no user id, and nothing but arrival_ts, category and session_id
B16 = line(
    {"arrival_ts": ts("2026-03-03T05:03:20"), "data": {"category": "user", "session_id": "sess-d1"}}
)
B17 = line(
    event(
        arrival=ts("2026-03-03T05:04:00"),
        client=ts("2026-03-03T05:04:00"),
        category="business",
        session="sess-d1",
        currency="GBP",
        amount="abc",
        meta=META_D,
        **D,
    )
)  # amount not a number

OUTSIDE_BEFORE = line(
    event(
        arrival=ts("2026-03-01T23:59:59"),
        client=ts("2026-03-01T23:59:00"),
        category="user",
        session="sess-early",
        user="user-early",
        device=DEV_I,
        meta=META_B,
    )
)
OUTSIDE_AFTER = line(
    event(
        arrival=ts("2026-03-04T00:00:00"),
        client=ts("2026-03-04T00:00:00"),
        category="user",
        session="sess-late",
        user="user-late",
        device=DEV_I,
        meta=META_B,
    )
)

# ----------------------------------------------------------------------------------------
# files


@dataclass(frozen=True)
class RawFile:
    partition: str
    name: str
    lines: tuple[str, ...]

    @property
    def relpath(self) -> str:
        return f"dt={self.partition}/{self.name}"


FILE_A = RawFile("2026-03-02", "a.json", (E1, E2, B1, E3, E3, B2, E4))
FILE_B = RawFile("2026-03-02", "b.json.gz", (E5, B3, E6, E7, B4, E8))
FILE_E = RawFile("2026-03-02", "e.json.lzo", (E9, E5, B6, E6_REORDERED, E10, B7))
FILE_C = RawFile("2026-03-03", "c.json.bz2", (E11, B8, E12, E13, B9, E14, B10, E15, B5))
FILE_D = RawFile("2026-03-03", "d.json.lzo", (B11, E16, B12))
FILE_F = RawFile("2026-03-03", "f.json.gz", (E17, B13, E18, B14, B15, B16, B17, E19))
WINDOW_FILES = (FILE_A, FILE_B, FILE_E, FILE_C, FILE_D, FILE_F)


# Outside the window: files no reader could open, and valid events of other users.
OUTSIDE_FILES: dict[str, bytes] = {
    "dt=2026-03-01/old.json.gz": b"this is not gzip data\n" * 4,
    "dt=2026-03-01/valid.json": (OUTSIDE_BEFORE + "\n").encode(),
    "dt=2026-03-04/new.json.lzo": b"\x00\x01 not an lzop file " * 4,
    "dt=2026-03-04/valid.json": (OUTSIDE_AFTER + "\n").encode(),
}


# ----------------------------------------------------------------------------------------
# expected counts and quarantine

COUNTS = {"read": 39, "valid": 19, "quarantined": 17, "duplicates": 3, "time_corrected": 3}
HIGH_WATER_MARK = "2026-03-03T09:01:07Z"  # E12's arrival; later bad records do not count

BY_REASON = {
    "invalid_json": 2,  # B1, B2
    "missing_field:data.user_id": 2,  # B3, B16
    "wrong_type:data.length": 1,  # B4 ("abc")
    "wrong_type:data.amount": 2,  # B5 (99.5), B17 ("abc")
    "unknown_category": 1,  # B6
    "unknown_currency": 1,  # B7
    "negative_value:data.amount": 1,  # B8
    "negative_value:data.length": 1,  # B9
    "empty_value:data.session_id": 1,  # B10
    "missing_field:arrival_ts": 1,  # B11
    "missing_field:data.category": 1,  # B12
    "empty_line": 1,  # B13
    "wrong_type:arrival_ts": 1,  # B14 (... .5)
    "wrong_type:data": 1,  # B15 ("oops")
}

# (file, 1-based line number, reason, original line)
QUARANTINE = [
    (FILE_A, 3, "invalid_json", B1),
    (FILE_A, 6, "invalid_json", B2),
    (FILE_B, 2, "missing_field:data.user_id", B3),
    (FILE_B, 5, "wrong_type:data.length", B4),
    (FILE_E, 3, "unknown_category", B6),
    (FILE_E, 6, "unknown_currency", B7),
    (FILE_C, 2, "negative_value:data.amount", B8),
    (FILE_C, 5, "negative_value:data.length", B9),
    (FILE_C, 7, "empty_value:data.session_id", B10),
    (FILE_C, 9, "wrong_type:data.amount", B5),
    (FILE_D, 1, "missing_field:arrival_ts", B11),
    (FILE_D, 3, "missing_field:data.category", B12),
    (FILE_F, 2, "empty_line", B13),
    (FILE_F, 4, "wrong_type:arrival_ts", B14),
    (FILE_F, 5, "wrong_type:data", B15),
    (FILE_F, 6, "missing_field:data.user_id", B16),
    (FILE_F, 7, "wrong_type:data.amount", B17),
]

# (file, read, quarantined)
FILE_STATS = [
    (FILE_A, 7, 2),
    (FILE_B, 6, 2),
    (FILE_E, 6, 2),
    (FILE_C, 9, 4),
    (FILE_D, 3, 2),
    (FILE_F, 8, 5),
]
WORST_FILE = FILE_D

# ----------------------------------------------------------------------------------------
# expected tables (column order of liberta_core/tables.py)

D_USER = [
    # user_key, user_id, game_id, install_ts, install_date, first_build, origin, country_code,
    # platform, first_seen_ts, last_seen_ts, is_paying, first_payment_ts
    (U_A, "user-a", 7, at("2026-02-28T23:30:00"), date(2026, 2, 28), "1.0.0", "organic",
     "AT", "android", at("2026-03-02T08:00:00"), at("2026-03-03T09:01:00"), False, None),
    (U_B, "user-b", 7, at("2026-03-01T10:00:00"), date(2026, 3, 1), "1.0.1", "adnetwork_x",
     "US", "ios", at("2026-03-02T20:00:00"), at("2026-03-04T02:00:00"), True,
     at("2026-03-02T20:05:00")),
    (U_C, "user-c", 7, at("2026-03-02T23:00:00"), date(2026, 3, 2), "0.9", "organic",
     "BR", "android", at("2026-03-02T23:50:00"), at("2026-03-03T00:10:00"), False, None),
    # first_build and origin of the earliest event (E17); last seen and paid with E18
    (U_D, "user-d", 7, at("2026-03-03T04:55:00"), date(2026, 3, 3), "1.1", "ads_network",
     "FR", "android", at("2026-03-03T05:00:00"), at("2026-03-03T05:10:00"), True,
     at("2026-03-03T05:10:00")),
]  # fmt: skip

D_DATE = [
    # date_key, calendar_date, year, quarter, month, day_of_month, day_of_week (ISO),
    # iso_week, is_weekend, month_name, day_name
    (20260228, date(2026, 2, 28), 2026, 1, 2, 28, 6, 9, True, "February", "Saturday"),
    (20260301, date(2026, 3, 1), 2026, 1, 3, 1, 7, 9, True, "March", "Sunday"),
    (20260302, date(2026, 3, 2), 2026, 1, 3, 2, 1, 10, False, "March", "Monday"),
    (20260303, date(2026, 3, 3), 2026, 1, 3, 3, 2, 10, False, "March", "Tuesday"),
    (20260304, date(2026, 3, 4), 2026, 1, 3, 4, 3, 10, False, "March", "Wednesday"),
]

D_DEVICE = [
    (K_A13, "android", "13", "samsung", "SM-G991B"),
    (K_A14, "android", "14", "samsung", "SM-G991B"),
    (K_I, "ios", "17.2", "Apple", "iPhone14,2"),
    (K_C, "android", "12", "", ""),
]

D_ITEM = [
    (I_GEMS, "gems", "pack_small", "shop"),
    (I_GOLD, "gold", "chest", "store"),
    (I_NONE, "", "", ""),
    (I_COINS, "", "Coins", ""),
]

F_EVENT_NO_KEY = [
    # user_key, session_key, date_key, device_key, event_ts, arrival_ts, is_time_corrected,
    # category, event_id, session_num, length_s, value, attempt_num, score, game_id,
    # country_code
    (U_A, S_A1, 20260302, K_A13, at("2026-03-02T08:00:00"), at("2026-03-02T08:00:05"), False,
     "user", None, 1, None, None, None, None, 7, "DE"),  # E1
    (U_A, S_A1, 20260302, K_A13, at("2026-03-02T08:05:00"), at("2026-03-02T08:05:03"), False,
     "progression", "Complete:world1:level2", 1, None, None, 2, 1500, 7, "DE"),  # E2
    (U_A, S_A1, 20260302, K_A13, at("2026-03-02T08:10:00"), at("2026-03-02T08:10:02"), False,
     "session_end", None, 1, 600, None, None, None, 7, "DE"),  # E3
    (U_A, S_A1, 20260302, K_A13, at("2026-03-02T08:06:00"), at("2026-03-02T08:06:04"), False,
     "design", "Tutorial:step1", 1, None, 2.5, None, None, 7, "DE"),  # E4
    (U_B, S_B1, 20260302, K_I, at("2026-03-02T20:00:00"), at("2026-03-02T20:00:10"), False,
     "user", None, 1, None, None, None, None, 7, "JP"),  # E5
    (U_B, S_B1, 20260302, K_I, at("2026-03-02T20:05:00"), at("2026-03-02T20:05:02"), False,
     "business", "gems:pack_small", 1, None, None, None, None, 7, "JP"),  # E6
    (U_B, S_B1, 20260302, K_I, at("2026-03-02T20:06:00"), at("2026-03-02T20:06:03"), False,
     "business", "gold:chest", 1, None, None, None, None, 7, "JP"),  # E7
    (U_B, S_B1, 20260302, K_I, at("2026-03-02T20:07:00"), at("2026-03-02T20:07:01"), False,
     "business", None, 1, None, None, None, None, 7, "JP"),  # E8
    (U_C, S_C1, 20260302, K_C, at("2026-03-02T23:50:00"), at("2026-03-02T23:50:00"), True,
     "error", "critical", None, None, None, None, None, 7, "BR"),  # E9
    (U_C, S_C1, 20260302, K_C, at("2026-03-02T23:55:00"), at("2026-03-02T23:55:00"), True,
     "ads", "show:rewarded_video:shop", 1, None, None, None, None, 7, "BR"),  # E10
    (U_A, S_A2, 20260303, K_A14, at("2026-03-03T09:00:00"), at("2026-03-03T09:00:04"), False,
     "user", None, 2, None, None, None, None, 8, "AT"),  # E11
    (U_A, S_A2, 20260303, K_A14, at("2026-03-03T09:01:00"), at("2026-03-03T09:01:07"), False,
     "resource", "Sink:Gems:boost", 2, None, 25.5, None, None, 8, "AT"),  # E12
    (U_C, S_C1, 20260303, K_C, at("2026-03-03T00:10:00"), at("2026-03-03T00:10:00"), True,
     "session_end", None, 1, 120, None, None, None, 7, "BR"),  # E13
    (U_B, S_B1, 20260302, K_I, at("2026-03-02T20:10:00"), at("2026-03-03T01:00:00"), False,
     "progression", "Fail:world1:level1", 1, None, None, 1, None, 7, "JP"),  # E14
    (U_B, S_B2, 20260304, K_I, at("2026-03-04T02:00:00"), at("2026-03-03T02:00:00"), False,
     "user", None, 2, None, None, None, None, 7, "US"),  # E15
    (U_B, S_B2, 20260303, K_I, at("2026-03-03T02:05:00"), at("2026-03-03T02:05:05"), False,
     "business", "gems:pack_small", 2, None, None, None, None, 7, "US"),  # E16
    (U_D, S_D1, 20260303, K_A14, at("2026-03-03T05:00:00"), at("2026-03-03T05:00:05"), False,
     "user", None, 1, None, None, None, None, 7, "FR"),  # E17 (arrival_ts as a string)
    (U_D, S_D2, 20260303, K_A14, at("2026-03-03T05:10:00"), at("2026-03-03T05:10:01"), False,
     "business", "Coins", 2, None, None, None, None, 7, "FR"),  # E18
    (U_D, S_D1, 20260303, K_A14, at("2026-03-03T05:05:00"), at("2026-03-03T05:05:02"), False,
     "session_end", None, 1, 300, None, None, None, 7, "FR"),  # E19 (length 300.0)
]  # fmt: skip

F_SESSION = [
    # session_key, session_id, user_key, device_key, date_key, start_ts, end_ts, length_s,
    # session_num
    (S_A1, "sess-a1", U_A, K_A13, 20260302, at("2026-03-02T08:00:00"),
     at("2026-03-02T08:10:00"), 600, 1),
    (S_A2, "sess-a2", U_A, K_A14, 20260303, at("2026-03-03T09:00:00"),
     at("2026-03-03T09:01:00"), None, 2),
    (S_B1, "sess-b1", U_B, K_I, 20260302, at("2026-03-02T20:00:00"),
     at("2026-03-02T20:10:00"), None, 1),
    # starts with E16 (03-03 02:05); E15's believed client time 03-04 02:00 ends it
    (S_B2, "sess-b2", U_B, K_I, 20260303, at("2026-03-03T02:05:00"),
     at("2026-03-04T02:00:00"), None, 2),
    # E9 (null session_num) starts it; E10 and E13 say 1
    (S_C1, "sess-c1", U_C, K_C, 20260302, at("2026-03-02T23:50:00"),
     at("2026-03-03T00:10:00"), 120, 1),
    # E17, E19 (length 300.0)
    (S_D1, "sess-d1", U_D, K_A14, 20260303, at("2026-03-03T05:00:00"),
     at("2026-03-03T05:05:00"), 300, 1),
    # E18 alone: starts and ends with it, no end seen
    (S_D2, "sess-d2", U_D, K_A14, 20260303, at("2026-03-03T05:10:00"),
     at("2026-03-03T05:10:00"), None, 2),
]  # fmt: skip

F_REVENUE_NO_KEY = [
    # user_key, session_key, date_key, device_key, item_key, event_ts, currency, amount_minor,
    # amount_usd, transaction_num, is_first_purchase, country_code
    # JPY: 0 minor digits: 480 * 0.0067 = 3.216
    (U_B, S_B1, 20260302, K_I, I_GEMS, at("2026-03-02T20:05:00"), "JPY", 480,
     Decimal("3.216000"), 1, True, "JP"),
    # KWD: 3 minor digits: 1.250 * 3.25 = 4.0625
    (U_B, S_B1, 20260302, K_I, I_GOLD, at("2026-03-02T20:06:00"), "KWD", 1250,
     Decimal("4.062500"), 2, False, "JP"),
    # USD: 1.99 * 1.0
    (U_B, S_B1, 20260302, K_I, I_NONE, at("2026-03-02T20:07:00"), "USD", 199,
     Decimal("1.990000"), None, None, "JP"),
    # EUR: 9.99 * 1.08 = 10.7892
    (U_B, S_B2, 20260303, K_I, I_GEMS, at("2026-03-03T02:05:00"), "EUR", 999,
     Decimal("10.789200"), 3, False, "US"),
    # GBP: 2 minor digits: 2.50 * 1.27 = 3.175; is_converting "true"
    (U_D, S_D2, 20260303, K_A14, I_COINS, at("2026-03-03T05:10:00"), "GBP", 250,
     Decimal("3.175000"), 1, True, "FR"),
]  # fmt: skip

ROWS = {
    "d_user": len(D_USER),
    "d_date": len(D_DATE),
    "d_device": len(D_DEVICE),
    "d_item": len(D_ITEM),
    "f_event": len(F_EVENT_NO_KEY),
    "f_session": len(F_SESSION),
    "f_revenue": len(F_REVENUE_NO_KEY),
}
