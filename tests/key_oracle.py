"""The documented key rule, re-implemented for the tests (the one copy every test uses).

A dimension or session key is xxh64 with seed 42 of the UTF-8 bytes of ONE string, the key
kind and the natural-key parts joined by the unit separator U+001F (a null part as ''), read
as a signed 64-bit integer (`liberta_core/tables.py`, `emr_jobs/keys.py` docstring):

    user_key    = key("user", user_id)
    session_key = key("session", session_id)
    device_key  = key("device", platform, os_version, manufacturer, device)
    item_key    = key("item", item_type, item_id, cart_type)

Independent of the code under test on purpose: no Spark and no `emr_jobs` import, only the
`xxhash` package. A test that compares the job's keys with these values checks the rule, not
the job against itself.
"""

from __future__ import annotations

import xxhash

SEPARATOR = "\x1f"  # U+001F, the unit separator
SEED = 42


def key_text(kind: str, *parts: str | None) -> str:
    """The string a key hashes: kind and parts joined by U+001F, None as ''."""
    return SEPARATOR.join([kind, *("" if p is None else p for p in parts)])


def key(kind: str, *parts: str | None) -> int:
    """The key of `kind` for a natural key, as a signed 64-bit integer."""
    unsigned = xxhash.xxh64_intdigest(key_text(kind, *parts).encode("utf-8"), seed=SEED)
    return unsigned - 2**64 if unsigned >= 2**63 else unsigned
