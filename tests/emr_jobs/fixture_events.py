"""A small hand-made raw data set whose star schema was worked out by hand (see test_job.py).

Times (UTC, unix seconds):
    2026-10-31T09:00:00 = 1793437200   u1 install
    2026-11-01T10:00:00 = 1793527200   u1 session s1 starts
    2026-11-01T23:50:00 = 1793577000   u2 install
    2026-11-01T23:59:30 = 1793577570   u2 session s2 starts (client clock)
    2026-11-02T00:00:10 = 1793577610   ... that event arrives the next day
    2026-11-02T08:00:00 = 1793606400   u1 session s3 (a JPY purchase)
    2026-11-03T10:11:00 = 1793700660   a client clock two days ahead (to be corrected)
"""

from __future__ import annotations

import json
from typing import Any

T_U1_INSTALL = 1793437200
T_S1 = 1793527200
T_U2_INSTALL = 1793577000
T_S2 = 1793577570
T_S3 = 1793606400

IOS = {"platform": "ios", "os_version": "ios 17.1", "manufacturer": "apple", "device": "iphone15"}
ANDROID = {
    "platform": "android",
    "os_version": "android 14",
    "manufacturer": "samsung",
    "device": "SM-S911B",
}
U1_META = {
    "install_ts": T_U1_INSTALL,
    "first_build": "1.0",
    "origin": "organic",
    "is_converting": "false",
    "is_paying": "false",
    "revenue": {},
}
U2_META = {
    "install_ts": T_U2_INSTALL,
    "first_build": "1.1",
    "origin": "ads_network",
    "is_converting": "false",
    "is_paying": "false",
    "revenue": {},
}


def event(
    *,
    arrival: Any,
    category: str,
    user: str,
    session: str,
    client: Any = None,
    device: dict[str, str] = IOS,
    meta: dict[str, Any] = U1_META,
    country: str = "US",
    session_num: int = 1,
    **fields: Any,
) -> dict[str, Any]:
    data: dict[str, Any] = {
        "category": category,
        "v": 2,
        "user_id": user,
        "session_id": session,
        "session_num": session_num,
        **device,
        "build": "1.0",
        **fields,
    }
    if client is not None:
        data["client_ts"] = client
    return {
        "arrival_ts": arrival,
        "country_code": country,
        "game_id": 7,
        "ip": "10.0.0.0",
        "data": data,
        "user_meta": meta,
    }


def dumps(obj: dict[str, Any]) -> str:
    return json.dumps(obj)


U1_BUY = event(
    arrival=T_S1 + 302,
    client=T_S1 + 300,
    category="business",
    user="u1",
    session="s1",
    currency="EUR",
    amount="199",  # a number as a string: coerced
    event_id="Gems:pack_small",
    cart_type="shop",
    transaction_num=1,
    meta={**U1_META, "is_converting": "true", "is_paying": "true", "revenue": {"EUR": 199}},
)

# File a.json.gz in dt=2026-11-01: line numbers matter (quarantine reports them).
DAY1_LINES: list[str] = [
    # 1 session start
    dumps(event(arrival=T_S1 + 5, client=T_S1, category="user", user="u1", session="s1")),
    # 2 purchase, 3 its exact duplicate
    dumps(U1_BUY),
    dumps(U1_BUY),
    # 4 session end, length as an integral float
    dumps(
        event(
            arrival=T_S1 + 601, client=T_S1 + 600, category="session_end", user="u1",
            session="s1", length=99.0,
        )
    ),
    # 5 progression with a client clock two days ahead -> event time = arrival
    dumps(
        event(
            arrival=T_S1 + 660, client=1793700660, category="progression", user="u1",
            session="s1", event_id="Complete:world1:level2", attempt_num=2, score=1500,
        )
    ),
    # 6 truncated
    '{"arrival_ts": 1793527',
    # 7 unknown category
    dumps(event(arrival=T_S1 + 700, category="purchase", user="u1", session="s1")),
    # 8 no user id
    json.dumps(
        {"arrival_ts": T_S1 + 701, "data": {"category": "user", "session_id": "s1"}}
    ),
    # 9 amount not a number
    dumps(
        event(
            arrival=T_S1 + 702, category="business", user="u1", session="s1", currency="USD",
            amount="abc",
        )
    ),
    # 10 negative length
    dumps(
        event(arrival=T_S1 + 703, category="session_end", user="u1", session="s1", length=-5)
    ),
    # 11 unknown currency
    dumps(
        event(
            arrival=T_S1 + 704, category="business", user="u1", session="s1", currency="XXX",
            amount=100,
        )
    ),
    # 12 no arrival time
    json.dumps({"data": {"category": "user", "user_id": "u1", "session_id": "s1"}}),
    # 13 blank line
    "",
    # 14 arrival time not an integer
    dumps(event(arrival=99.5, category="user", user="u1", session="s1")),
    # 15 data not an object
    json.dumps({"arrival_ts": T_S1 + 705, "data": "oops"}),
    # 16 empty session id
    dumps(event(arrival=T_S1 + 706, category="user", user="u1", session="")),
    # 17 amount not integral
    dumps(
        event(
            arrival=T_S1 + 707, category="business", user="u1", session="s1", currency="USD",
            amount=99.5,
        )
    ),
]  # fmt: skip

EXPECTED_QUARANTINE: list[tuple[int, str]] = [
    (6, "invalid_json"),
    (7, "unknown_category"),
    (8, "missing_field:data.user_id"),
    (9, "wrong_type:data.amount"),
    (10, "negative_value:data.length"),
    (11, "unknown_currency"),
    (12, "missing_field:arrival_ts"),
    (13, "empty_line"),
    (14, "wrong_type:arrival_ts"),
    (15, "wrong_type:data"),
    (16, "empty_value:data.session_id"),
    (17, "wrong_type:data.amount"),
]

# File b.json in dt=2026-11-02.
DAY2_LINES: list[str] = [
    # u2 starts a session just before midnight (client clock); it arrives after midnight.
    # Unusable optional values (v, jailbroken) become null without invalidating the record.
    dumps(
        event(
            arrival=T_S2 + 40, client=T_S2, category="design", user="u2", session="s2",
            device=ANDROID, meta=U2_META, country="DE", event_id="tutorial:step1", value=2.5,
            v="two", jailbroken="maybe",
        )
    ),
    # ads event without client time -> event time = arrival (2026-11-02T00:01:00)
    dumps(
        event(
            arrival=T_S2 + 90, category="ads", user="u2", session="s2", device=ANDROID,
            meta=U2_META, country="FR", ad_action="clicked", ad_type="rewarded",
            ad_placement="shop",
        )
    ),
    # u1 buys 480 JPY in a second session; event_id without a type; no cart
    dumps(
        event(
            arrival=T_S3 + 1, client=T_S3, category="business", user="u1", session="s3",
            session_num=2, currency="JPY", amount=480, event_id="Coins", transaction_num=2,
        )
    ),
    # u2's session ends; arrival_ts given as a string
    dumps(
        event(
            arrival=str(T_S2 + 331), client=T_S2 + 330, category="session_end", user="u2",
            session="s2", device=ANDROID, meta=U2_META, country="FR", length=300,
        )
    ),
]  # fmt: skip
