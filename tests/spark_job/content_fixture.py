"""A raw data set built to pin every value the job computes, not to be realistic.

One valid base event per category; then every contract field of every base is set, in turn,
to each of ~90 awkward JSON values (numbers in every spelling, strings that look like
numbers, booleans, objects, arrays, null, too-long and non-ASCII text) or removed, and a set
of line-level oddities (blank lines, glued objects, truncation, trailing text, non-objects)
is added. Many mutations of optional fields coerce to the same typed values, so the data set
also holds plenty of duplicates.

The job's output on these lines was hashed on the code before the speed work (see
`test_content_hash.py`); any change to validation, coercion, keys, de-duplication or the
tables shows up as a different digest. Pure Python, deterministic.
"""

from __future__ import annotations

import gzip
import json
from pathlib import Path
from typing import Any

from emr_jobs.contract import DATA_FIELDS, TOP_FIELDS, USER_META_FIELDS

ARRIVAL = 1_772_409_600  # 2026-03-02T00:00:00Z
PARTITION = "dt=2026-03-02"

_RAW = "@@raw-json@@"  # placeholder value, replaced by a raw JSON text when rendered

# JSON texts (not Python values): exact spellings matter to the coercion rules.
NUMBERS = (
    "0", "-0", "1", "-1", "7", "99", "99.0", "99.00000", "99.5", "-99.0", "1e2", "1E2",
    "1e+2", "1.5e1", "1.55e1", "1e-2", "0.5e1", "12345678901234567890e-10", "1e18",
    "1e19", "1e30", "1e308", "1e309", "-1e309", "2147483647", "2147483648", "-2147483648",
    "-2147483649", "9223372036854775807", "9223372036854775808", "-9223372036854775808",
    "-9223372036854775809", "100000000000000000000000000000000000000", "599.99999999999",
    "0.000000000000000000001", "1.000000000000000000001", "1262303999", "1262304000",
    "1772409600", "1772496000", "1772496001", "253402300799", "253402300800", "-5.0",
    "NaN", "Infinity", "-Infinity", "01", "+1", ".5", "5.", "1e", "0x10",
)  # fmt: skip
STRINGS = (
    "", " ", "  7  ", "7", "-7", "99.0", " 99.0 ", "1e2", " 1E+2", "99.5", "abc", "true",
    "TRUE", " False ", "yes", "null", "NaN", "Infinity", "-Infinity", "1e309",
    "9223372036854775808", "USD", "usd", "EUR", "XXX", "JPY", "KWD", "business", "user",
    "{}", "{not an object}", "[1]", "ios", "x" * 2, "x" * 3, "x" * 33, "x" * 65, "x" * 129,
    "x" * 257, "é" * 40, "é" * 65, "日本" * 30, "a:b", "gems:pack_small", ":", "a:", ":b",
    "a:b:c", "tab\there", "line\nbreak", 'quote"inside', "} {", "}{", "\u0000", "\ud83d\ude00",
)  # fmt: skip
OTHERS = (
    "true", "false", "null", "{}", '{"a":1}', '{"USD":2,"EUR":1}', '{"EUR":1,"USD":2}',
    '{"b":{"c":[1,2]}}', '{"USD":"3"}', "[]", "[1,2]", '["a"]', "[{}]",
)  # fmt: skip

# Arrival times whose microseconds overflow 64 bits: the job before the speed work failed on
# them (`timestamp_seconds` raised "long overflow"), so they are not part of the recording.
OVERFLOWING_ARRIVALS = ("1e18", "9223372036854775807", "-9223372036854775808")

FIELD_VALUES: tuple[str, ...] = (
    *NUMBERS,
    *(json.dumps(s) for s in STRINGS),
    *OTHERS,
)

BASE_DATA: dict[str, Any] = {
    "category": "user",
    "v": 2,
    "user_id": "user-1",
    "session_id": "sess-1",
    "session_num": 3,
    "client_ts": ARRIVAL - 600,
    "platform": "android",
    "os_version": "13",
    "manufacturer": "samsung",
    "device": "SM-G991B",
    "build": "1.0.0",
    "sdk_version": "rest api v2",
    "connection_type": "wifi",
    "android_id": "abcdef",
    "jailbroken": False,
    "limited_ad_tracking": "true",
}
BY_CATEGORY: dict[str, dict[str, Any]] = {
    "user": {},
    "session_end": {"length": 321},
    "business": {
        "currency": "EUR",
        "amount": 499,
        "event_id": "gems:pack_small",
        "cart_type": "shop",
        "transaction_num": 2,
    },
    "progression": {"event_id": "Complete:world1:level3", "attempt_num": 2, "score": 1200},
    "resource": {"event_id": "Sink:Gems:shop", "amount": 12.5},
    "design": {"event_id": "ui:button:ok", "value": 3.25},
    "error": {"severity": "warning", "message": "low memory"},
    "ads": {"ad_action": "show", "ad_type": "rewarded", "ad_placement": "shop"},
}
BASE_META: dict[str, Any] = {
    "install_ts": ARRIVAL - 86_400 * 3,
    "install_hour": ARRIVAL - 86_400 * 3,
    "cohort_week": ARRIVAL - 86_400 * 7,
    "cohort_month": ARRIVAL - 86_400 * 20,
    "first_build": "0.9.0",
    "origin": "organic",
    "is_converting": "false",
    "is_paying": "true",
    "pay_ft": ARRIVAL - 86_400,
    "revenue": {"EUR": 499, "USD": 100},
}


def base_event(category: str, serial: int) -> dict[str, Any]:
    """A valid event of `category`; `serial` makes its user, session and times its own."""
    data = {**BASE_DATA, **BY_CATEGORY[category], "category": category}
    data["user_id"] = f"user-{serial % 37}"
    data["session_id"] = f"sess-{serial % 101}"
    data["client_ts"] = ARRIVAL - 600 + serial
    return {
        "arrival_ts": ARRIVAL + serial,
        "country_code": "DE",
        "game_id": 7,
        "ip": "10.0.0.1",
        "data": data,
        "user_meta": dict(BASE_META),
    }


def _render(record: dict[str, Any], raw: str | None = None) -> str:
    """Compact JSON of `record`, with the placeholder value replaced by the JSON text `raw`."""
    text = json.dumps(record, separators=(",", ":"), ensure_ascii=False)
    return text if raw is None else text.replace(json.dumps(_RAW), raw, 1)


def _set(record: dict[str, Any], path: str, raw: str | None) -> str:
    """The line of `record` with the field at `path` set to the JSON text `raw` (None: removed)."""
    copy = json.loads(json.dumps(record))
    parts = path.split(".")
    target = copy
    for part in parts[:-1]:
        target = target[part]
    if raw is None:
        target.pop(parts[-1], None)
    else:
        target[parts[-1]] = _RAW
    return _render(copy, raw)


def mutations() -> list[tuple[str, str]]:
    """(category of the base event, field path) pairs to mutate.

    Fields common to all categories on a `user` and a `business` event; fields of a category
    on that category, and on a `user` event (where the job must ignore them).
    """
    specific = {f for fields in BY_CATEGORY.values() for f in fields}
    common = [
        *TOP_FIELDS,
        *(f"data.{f}" for f in DATA_FIELDS if f not in specific),
        *(f"user_meta.{f}" for f in USER_META_FIELDS),
        "data",
        "user_meta",
    ]
    pairs = [(category, path) for category in ("user", "business") for path in common]
    for category, fields in BY_CATEGORY.items():
        for name in fields:
            pairs.append((category, f"data.{name}"))
    pairs.extend(("user", f"data.{name}") for name in DATA_FIELDS if name in specific)
    return pairs


def line_oddities(serial: int) -> list[str]:
    good = _render(base_event("user", serial))
    business = _render(base_event("business", serial + 1))
    return [
        "",
        "   ",
        "\t",
        good[:-1],
        good[: len(good) // 2],
        good + " ",
        good + "\t",
        good + "  \t ",
        good + good,
        good + " " + good,
        good + "\t" + good,
        good + "x",
        good + " trailing",
        good + ",",
        good + "}",
        good + "]",
        good + " []",
        good + "null",
        " " + good,
        "\t" + good,
        "[" + good + "]",
        "[]",
        "null",
        "7",
        '"text"',
        "{}",
        '{"arrival_ts":' + str(ARRIVAL) + "}",
        "not json at all",
        "{{}",
        '{"a":}',
        good.replace('"user-', '"us\\u0065r-'),
        good.replace("{", '{"extra":1,', 1),
        good.replace('"data":{', '"data":{"extra":{"x":[1,{"y":2}]},', 1),
        good.replace('"arrival_ts":', '"arrival_ts":1,"arrival_ts":', 1),
        good.replace('"category":"user"', '"category":"user","category":"ads"', 1),
        business.replace('"message"', '"message2"'),
        business.replace('"EUR"', '"EUR "'),
        business.replace('"amount":499', '"amount":"} {"', 1),
        business.replace('"amount":499', '"amount":"}{"', 1),
        good.replace('"user_id":"user-', '"user_id":"} {user-', 1),
        good.replace('"user_id":"user-', '"user_id":"{user-', 1),
        good.replace('"user_id":"user-', '"user_id":"[user-', 1),
        good.replace('"session_id":"sess-', '"session_id":"{\\"user_id\\": {', 1),
        good.replace('"data":{', '"data" : {', 1).replace('"user_id":', '"user_id" :\t', 1),
    ]


def lines() -> list[str]:
    """Every line of the data set, in a fixed order."""
    out: list[str] = []
    serial = 0
    for category, path in mutations():
        for raw in (*FIELD_VALUES, None):
            serial += 1
            if path == "arrival_ts" and raw in OVERFLOWING_ARRIVALS:
                continue
            out.append(_set(base_event(category, serial % 97), path, raw))
    out.extend(line_oddities(serial))
    # valid bases, several times: exact duplicates in one file and across files
    for category in BY_CATEGORY:
        for serial in range(5):
            out.append(_render(base_event(category, 1000 + serial)))
    return out


def byte_lines() -> list[bytes]:
    """Lines that are not valid UTF-8 around the characters the line checks look at."""
    good = _render(base_event("user", 7)).encode("utf-8")
    return [
        good[:-1] + b"\xc3}",
        good + b"\xc3{}",
        good + b"\xe2\x82{}",
        good + b"\xff " + good,
        good.replace(b'"user_id":"', b'"user_id":"\xc3}{\xff', 1),
        good.replace(b'"user_id":"', b'"user_id":"\xc3', 1),
        good.replace(b'"platform":"android"', b'"platform":"andr\xf0\x9f"', 1),
        b"\xef\xbb\xbf" + good,
        b"\xff\xfe",
        good.replace(b"}}", b"}\x0b{}}", 1),
        good.replace(b"}}", b"}\x0c{}}", 1),
    ]


def write(root: Path, files: int = 3) -> Path:
    """The lines as `files` files (gzip and plain) in one partition, and the `byte_lines` in a
    file of their own; returns `root`."""
    all_lines = lines()
    partition = root / PARTITION
    partition.mkdir(parents=True, exist_ok=True)
    (partition / "part-bytes.json").write_bytes(b"\n".join(byte_lines()) + b"\n")
    for index in range(files):
        chunk = all_lines[index::files]
        # every file repeats the valid bases: duplicates across files
        chunk += all_lines[-40:]
        text = ("\n".join(chunk) + "\n").encode("utf-8")
        if index % 2:
            (partition / f"part-{index}.json").write_bytes(text)
        else:
            (partition / f"part-{index}.json.gz").write_bytes(gzip.compress(text, mtime=0))
    return root
