"""Deterministic 64-bit keys, reproducible outside Spark.

A key is Spark's `xxhash64` (seed 42) of ONE string: the key kind and the natural-key parts
joined by the unit separator U+001F, nulls as empty strings:

    user_key    = xxhash64("user\\x1f<user_id>")
    session_key = xxhash64("session\\x1f<session_id>")
    device_key  = xxhash64("device\\x1f<platform>\\x1f<os_version>\\x1f<manufacturer>\\x1f<device>")
    item_key    = xxhash64("item\\x1f<item_type>\\x1f<item_id>\\x1f<cart_type>")
Outside Spark the same value is `xxhash.xxh64_intdigest(s.encode("utf-8"), seed=42)` read
as a signed 64-bit integer (see `python_key`). Hashing one joined string (rather than
`xxhash64(a, b)`, which chains seeds) is what makes that possible.

`event_key` identifies an event by ALL its contract fields (so exact duplicates share it)
and only needs to be stable from run to run, not computable elsewhere: it is Spark's
multi-column `xxhash64` over the typed fields plus a bit mask of which fields are null
(Spark's hash skips nulls, so without the mask `(null, 5)` and `(5, null)` would collide).
Building one string of ~45 fields per event cost more than the rest of validation together
(measured); hashing typed values does not.
"""

from __future__ import annotations

from pyspark.sql import Column
from pyspark.sql import functions as F

SEPARATOR = "\x1f"
SEED = 42


def key_string(kind: str, *parts: str | None) -> str:
    """The string a key hashes (pure Python, for documentation and reproduction)."""
    return SEPARATOR.join([kind, *("" if p is None else p for p in parts)])


def python_key(kind: str, *parts: str | None) -> int:
    """The key as Spark computes it, without Spark (needs the `xxhash` package)."""
    import xxhash

    unsigned = xxhash.xxh64_intdigest(key_string(kind, *parts).encode("utf-8"), seed=SEED)
    return unsigned - (1 << 64) if unsigned >= 1 << 63 else unsigned


def key_column(kind: str, *parts: Column) -> Column:
    """Spark column computing the key of `kind` from string columns (nulls as '')."""
    joined = F.concat_ws(SEPARATOR, F.lit(kind), *(F.coalesce(p, F.lit("")) for p in parts))
    return F.xxhash64(joined)


def row_key_column(kind: str, *parts: Column) -> Column:
    """Stable 64-bit hash of typed columns, nulls distinguished by a bit mask (max 63 parts)."""
    if len(parts) > 63:
        raise ValueError(f"row_key_column takes at most 63 columns, got {len(parts)}")
    mask = F.lit(0).cast("long")
    for bit, part in enumerate(parts):
        mask = mask + F.when(part.isNull(), F.lit(1 << bit)).otherwise(F.lit(0)).cast("long")
    return F.xxhash64(F.lit(kind), mask, *parts)


def date_key_column(day: Column) -> Column:
    """yyyymmdd as an integer from a DATE column (independent of the session time zone)."""
    return (F.year(day) * 10000 + F.month(day) * 100 + F.dayofmonth(day)).cast("int")
