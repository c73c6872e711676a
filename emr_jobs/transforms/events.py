"""From validated, typed records to the event rows every table is built from.

Adds the event time (docs/metrics.md), the deterministic keys (`emr_jobs.keys`) and the values
the warehouse columns take (strings bounded to their column widths). The result is what the
job stages as Parquet: one row per input line, valid or not.
"""

from __future__ import annotations

from collections.abc import Mapping

from pyspark.sql import Column, DataFrame
from pyspark.sql import functions as F

from emr_jobs.contract import MAX_CLIENT_AHEAD_SECONDS, MIN_CLIENT_EPOCH_SECONDS
from emr_jobs.currencies import Currency
from emr_jobs.keys import date_key_column, key_column, row_key_column
from emr_jobs.limits import (
    CART_TYPE_BYTES,
    COUNTRY_CODE_BYTES,
    DEVICE_BYTES,
    EVENT_ID_BYTES,
    FIRST_BUILD_BYTES,
    INT_MAX,
    INT_MIN,
    ITEM_ID_BYTES,
    ITEM_TYPE_BYTES,
    MANUFACTURER_BYTES,
    ORIGIN_BYTES,
    OS_VERSION_BYTES,
    PLATFORM_BYTES,
)
from emr_jobs.plain_parse import plain_record
from emr_jobs.validate import (
    field_values,
    parse_lines,
    plain_reason_column,
    reason_column,
    slot_name,
    typed_columns,
)
from liberta_core.tables import MAX_TIMESTAMP_EPOCH_SECONDS

# Contract fields in the order the event key hashes them (typed column `c_<name>`).
EVENT_KEY_FIELDS: tuple[str, ...] = (
    "arrival_ts", "country_code", "game_id", "ip",
    "category", "v", "user_id", "session_id", "session_num", "client_ts",
    "platform", "os_version", "manufacturer", "device", "build", "sdk_version",
    "connection_type", "android_id", "jailbroken", "limited_ad_tracking",
    "length", "currency", "amount_minor", "resource_amount", "event_id", "cart_type",
    "transaction_num", "attempt_num", "score", "design_value", "severity", "message",
    "ad_action", "ad_type", "ad_placement",
    "install_ts", "install_hour", "cohort_week", "cohort_month", "first_build", "origin",
    "is_converting", "is_paying", "pay_ft", "revenue",
)  # fmt: skip

STAGED_COLUMNS: tuple[str, ...] = (
    "source_file", "split_start", "row_id", "reason", "line",
    "event_key", "user_key", "session_key", "device_key", "item_key",
    "arrival_epoch", "arrival_ts", "event_ts", "event_date", "date_key", "is_time_corrected",
    "category", "user_id", "session_id", "session_num", "length_s", "value",
    "attempt_num", "score", "game_id", "country_code", "event_id",
    "platform", "os_version", "manufacturer", "device",
    "item_type", "item_id", "cart_type",
    "currency", "amount_minor", "amount_usd", "transaction_num", "is_converting",
    "install_ts", "install_date", "first_build", "origin",
)  # fmt: skip
# Staged columns with a value (nearly) unique per row: staged without a dictionary (see
# `emr_jobs.write.write_parquet`). `line` is null except on invalid rows, each its own text.
PER_ROW_COLUMNS: tuple[str, ...] = (
    "row_id", "event_key", "arrival_epoch", "arrival_ts", "event_ts", "line",
)  # fmt: skip


def _epoch_day(seconds: Column) -> Column:
    """UTC calendar date of unix seconds, independent of the session time zone."""
    return F.date_from_unix_date(F.floor(seconds / 86400).cast("int"))


def event_time(client_ts: Column, arrival_ts: Column) -> tuple[Column, Column]:
    """(event epoch seconds, is_time_corrected) per docs/metrics.md.

    client_ts is believed unless missing, before 2010-01-01 or more than 24 h after arrival;
    then arrival_ts is used and the row is flagged.
    """
    believed = (
        client_ts.isNotNull()
        & (client_ts >= MIN_CLIENT_EPOCH_SECONDS)
        & (client_ts <= arrival_ts + MAX_CLIENT_AHEAD_SECONDS)
    )
    return F.when(believed, client_ts).otherwise(arrival_ts), ~believed


def _event_id_for_fact(c: Mapping[str, Column]) -> Column:
    """f_event.event_id: data.event_id; error: severity; ads: ad_action:ad_type:ad_placement."""
    ads_parts = [c["ad_action"], c["ad_type"], c["ad_placement"]]
    ads = F.when(
        F.coalesce(*ads_parts).isNotNull(),
        F.concat_ws(":", *(F.coalesce(p, F.lit("")) for p in ads_parts)),
    )
    chosen = (
        F.when(c["category"] == "error", c["severity"])
        .when(c["category"] == "ads", ads)
        .otherwise(c["event_id"])
    )
    return _bounded(chosen, EVENT_ID_BYTES)


def _bounded(column: Column, max_bytes: int) -> Column:
    return F.when((column != "") & (F.octet_length(column) <= max_bytes), column)


def staged_columns(c: Mapping[str, Column], reason: Column) -> list[Column]:
    """The `STAGED_COLUMNS`, from typed values `c` (by short name) and the record's `reason`.

    Also needs the columns `source_file`, `split_start`, `row_id` and `value` (the line).
    """
    valid = reason.isNull()
    epoch, corrected = event_time(c["client_ts"], c["arrival_ts"])

    event_key_parts = [c[name] for name in EVENT_KEY_FIELDS]
    platform = _bounded(c["platform"], PLATFORM_BYTES)
    os_version = _bounded(c["os_version"], OS_VERSION_BYTES)
    manufacturer = _bounded(c["manufacturer"], MANUFACTURER_BYTES)
    device = _bounded(c["device"], DEVICE_BYTES)
    is_business = c["category"] == "business"
    business_event_id = F.when(is_business, F.coalesce(c["event_id"], F.lit("")))
    has_type = business_event_id.contains(":")
    item_type = _bounded(
        F.when(has_type, F.substring_index(business_event_id, ":", 1)), ITEM_TYPE_BYTES
    )
    item_id = _bounded(
        F.when(
            has_type, c["event_id"].substr(F.instr(c["event_id"], ":") + 1, F.lit(2**31 - 1))
        ).otherwise(business_event_id),
        ITEM_ID_BYTES,
    )
    cart_type = _bounded(c["cart_type"], CART_TYPE_BYTES)
    install_ts = F.when(c["install_ts"].between(0, MAX_TIMESTAMP_EPOCH_SECONDS), c["install_ts"])
    event_date = _epoch_day(epoch)

    columns: dict[str, Column] = {
        "source_file": F.col("source_file"),
        "split_start": F.col("split_start"),
        "row_id": F.col("row_id"),
        "reason": reason,
        "line": F.when(~valid, F.col("value")),
        "event_key": row_key_column("event", *event_key_parts),
        "user_key": key_column("user", c["user_id"]),
        "session_key": key_column("session", c["session_id"]),
        "device_key": key_column("device", platform, os_version, manufacturer, device),
        "item_key": F.when(is_business, key_column("item", item_type, item_id, cart_type)),
        "arrival_epoch": c["arrival_ts"],
        "arrival_ts": _timestamp(c["arrival_ts"]),
        "event_ts": _timestamp(epoch),
        "event_date": event_date,
        "date_key": date_key_column(event_date),
        "is_time_corrected": corrected,
        "category": c["category"],
        "user_id": c["user_id"],
        "session_id": c["session_id"],
        "session_num": _int(c["session_num"]),
        "length_s": c["length"],
        "value": F.coalesce(c["design_value"], c["resource_amount"]),
        "attempt_num": _int(c["attempt_num"]),
        "score": c["score"],
        "game_id": _int(c["game_id"]),
        "country_code": _bounded(c["country_code"], COUNTRY_CODE_BYTES),
        "event_id": _event_id_for_fact(c),
        "platform": platform,
        "os_version": os_version,
        "manufacturer": manufacturer,
        "device": device,
        "item_type": item_type,
        "item_id": item_id,
        "cart_type": cart_type,
        "currency": c["currency"],
        "amount_minor": c["amount_minor"],
        "amount_usd": c["amount_usd"],
        "transaction_num": _int(c["transaction_num"]),
        "is_converting": c["is_converting"],
        "install_ts": F.timestamp_seconds(install_ts),
        "install_date": _epoch_day(install_ts),
        "first_build": _bounded(c["first_build"], FIRST_BUILD_BYTES),
        "origin": _bounded(c["origin"], ORIGIN_BYTES),
    }
    return [columns[name].alias(name) for name in STAGED_COLUMNS]


# `timestamp_seconds` multiplies by 10^6 and fails the whole job ("long overflow") beyond
# these; such a record is invalid anyway (out_of_range / negative_value:arrival_ts).
_MAX_TIMESTAMP_SECONDS = (2**63 - 1) // 1_000_000


def _timestamp(seconds: Column) -> Column:
    """TIMESTAMP of unix seconds; null where microseconds would not fit 64 bits."""
    bound = _MAX_TIMESTAMP_SECONDS
    return F.when(seconds.between(-bound, bound), F.timestamp_seconds(seconds))


def _int(value: Column) -> Column:
    return F.when(value.between(INT_MIN, INT_MAX), value.cast("int"))


def stage_events(validated: DataFrame) -> DataFrame:
    """Validated records (`emr_jobs.validate.validate`) -> the staged event rows."""
    c = {name[2:]: F.col(name) for name in validated.columns if name.startswith("c_")}
    return validated.select(*staged_columns(c, F.col("reason")))


# While the lines are staged: the plain parser's struct (null where the record is not plain),
# and for the other records the same values and the reason computed by the exact path.
PLAIN_COLUMN = "_plain"
EXACT_COLUMN = "_exact"


def stage_lines(
    lines: DataFrame, currencies: Mapping[str, Currency], *, plain_parser: bool = True
) -> DataFrame:
    """Raw lines -> the staged event rows, as `stage_events(validate(lines, currencies))`.

    One projection over the parsed lines instead of one per step: every typed value goes
    into the staged columns and the reason as an expression, so Spark evaluates it once per
    row and no intermediate row of ~100 columns (each holding a copy of the line) is built.

    With `plain_parser` (the default) the plain records are read by `emr_jobs.plain_parse`;
    only the others are parsed by `from_json` and coerced by the exact expressions, in a
    projection of their own (a struct of the same values, and the reason), so that the
    projection every row takes stays small. The rows are the same either way.
    """
    if not plain_parser:
        typed = typed_columns(currencies)
        reason = reason_column(typed, currencies)
        return parse_lines(lines).select(*staged_columns(typed, reason))

    exact_values = field_values()
    exact_typed = typed_columns(currencies, exact_values)
    is_plain = F.col(PLAIN_COLUMN).isNotNull()
    exact = F.when(
        ~is_plain,
        F.struct(
            F.struct(*(v.alias(slot_name(*key)) for key, v in exact_values.items())).alias(
                "values"
            ),
            reason_column(exact_typed, currencies).alias("reason"),
        ),
    )
    merged = F.coalesce(F.col(PLAIN_COLUMN), F.col(f"{EXACT_COLUMN}.values"))
    values = {key: merged.getField(slot_name(*key)) for key in exact_values}
    typed = typed_columns(currencies, values)
    reason = F.when(is_plain, plain_reason_column(typed, currencies, values)).otherwise(
        F.col(f"{EXACT_COLUMN}.reason")
    )
    with_plain = lines.withColumn(PLAIN_COLUMN, plain_record(lines.sparkSession))
    parsed = parse_lines(with_plain, unless=PLAIN_COLUMN).withColumn(EXACT_COLUMN, exact)
    return parsed.select(*staged_columns(typed, reason))
