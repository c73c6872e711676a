"""The raw event contract as Spark reads it (see `docs/raw-events.md` and `docs/metrics.md`).

Every scalar is read as a *string*: Spark then hands over the JSON token's text (`99`,
`"99"` and `99.0` all arrive as text), so the job itself decides what is coercible, field by
field, instead of Spark turning a whole record into null when one field has an unexpected
type. (Measured here, it is also faster than a typed schema: Spark's typed conversions cost
more than handing over text.) Objects the job only hashes (`user_meta.revenue`) are kept as
their JSON text.

`data.amount` is an integer for `business` and a float for `resource`.
"""

from __future__ import annotations

from pyspark.sql import types as T

CATEGORIES: tuple[str, ...] = (
    "user",
    "session_end",
    "business",
    "progression",
    "resource",
    "design",
    "error",
    "ads",
)

CORRUPT_COLUMN = "_corrupt_record"

TOP_FIELDS: tuple[str, ...] = ("arrival_ts", "country_code", "game_id", "ip")

DATA_FIELDS: tuple[str, ...] = (
    "category",
    "v",
    "user_id",
    "session_id",
    "session_num",
    "client_ts",
    "platform",
    "os_version",
    "manufacturer",
    "device",
    "build",
    "sdk_version",
    "connection_type",
    "android_id",
    "jailbroken",
    "limited_ad_tracking",
    # by category
    "length",
    "currency",
    "amount",
    "event_id",
    "cart_type",
    "transaction_num",
    "attempt_num",
    "score",
    "value",
    "severity",
    "message",
    "ad_action",
    "ad_type",
    "ad_placement",
)

USER_META_FIELDS: tuple[str, ...] = (
    "install_ts",
    "install_hour",
    "cohort_week",
    "cohort_month",
    "first_build",
    "origin",
    "is_converting",
    "is_paying",
    "pay_ft",
    "revenue",
)


def _strings(names: tuple[str, ...]) -> list[T.StructField]:
    return [T.StructField(name, T.StringType(), True) for name in names]


RAW_SCHEMA = T.StructType(
    [
        *_strings(TOP_FIELDS),
        T.StructField("data", T.StructType(_strings(DATA_FIELDS)), True),
        T.StructField("user_meta", T.StructType(_strings(USER_META_FIELDS)), True),
        T.StructField(CORRUPT_COLUMN, T.StringType(), True),
    ]
)

# Second look at records the full schema rejects: if the line parses with `data` and
# `user_meta` as plain text, the JSON is fine and one of those two is not an object.
SHALLOW_SCHEMA = T.StructType(
    [
        T.StructField("data", T.StringType(), True),
        T.StructField("user_meta", T.StringType(), True),
        T.StructField(CORRUPT_COLUMN, T.StringType(), True),
    ]
)

JSON_OPTIONS = {"mode": "PERMISSIVE", "columnNameOfCorruptRecord": CORRUPT_COLUMN}

# docs/metrics.md: a client time before 2010-01-01 is not believed.
MIN_CLIENT_EPOCH_SECONDS = 1_262_304_000
# docs/metrics.md: a client time more than 24 h after arrival is not believed.
MAX_CLIENT_AHEAD_SECONDS = 24 * 3600
