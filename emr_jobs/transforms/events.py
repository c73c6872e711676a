"""From validated, typed records to the event rows every table is built from.

Adds the event time (docs/metrics.md), the deterministic keys (`emr_jobs.keys`) and the values
the warehouse columns take (strings bounded to their column widths). The result is what the
job stages as Parquet: one row per input line, valid or not.
"""

from __future__ import annotations

from pyspark.sql import Column, DataFrame
from pyspark.sql import functions as F

from emr_jobs.contract import MAX_CLIENT_AHEAD_SECONDS, MIN_CLIENT_EPOCH_SECONDS
from emr_jobs.keys import date_key_column, key_column, row_key_column
from emr_jobs.validate import as_text

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


def _event_id_for_fact(c: dict[str, Column]) -> Column:
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
    return F.when((chosen != "") & (F.octet_length(chosen) <= 256), chosen)


def _bounded(column: Column, max_bytes: int) -> Column:
    return F.when((column != "") & (F.octet_length(column) <= max_bytes), column)


def stage_events(validated: DataFrame) -> DataFrame:
    """Validated records -> the staged event rows (`STAGED_COLUMNS`)."""
    c = {name[2:]: F.col(name) for name in validated.columns if name.startswith("c_")}
    valid = F.col("reason").isNull()
    epoch, corrected = event_time(c["client_ts"], c["arrival_ts"])

    event_key_parts = [c[name] for name in EVENT_KEY_FIELDS]
    platform = as_text("c_platform", 32)
    os_version = as_text("c_os_version", 64)
    manufacturer = as_text("c_manufacturer", 64)
    device = as_text("c_device", 128)
    is_business = c["category"] == "business"
    business_event_id = F.when(is_business, F.coalesce(c["event_id"], F.lit("")))
    has_type = business_event_id.contains(":")
    item_type = _bounded(F.when(has_type, F.substring_index(business_event_id, ":", 1)), 64)
    item_id = _bounded(
        F.when(has_type, F.expr("substr(c_event_id, instr(c_event_id, ':') + 1)")).otherwise(
            business_event_id
        ),
        128,
    )
    cart_type = _bounded(c["cart_type"], 64)
    install_ts = F.when(c["install_ts"].between(0, 253_402_300_799), c["install_ts"])

    staged = validated.select(
        "source_file",
        "split_start",
        "row_id",
        "reason",
        F.when(~valid, F.col("value")).alias("line"),
        row_key_column("event", *event_key_parts).alias("event_key"),
        key_column("user", c["user_id"]).alias("user_key"),
        key_column("session", c["session_id"]).alias("session_key"),
        key_column("device", platform, os_version, manufacturer, device).alias("device_key"),
        F.when(is_business, key_column("item", item_type, item_id, cart_type)).alias("item_key"),
        c["arrival_ts"].alias("arrival_epoch"),
        F.timestamp_seconds(c["arrival_ts"]).alias("arrival_ts"),
        F.timestamp_seconds(epoch).alias("event_ts"),
        _epoch_day(epoch).alias("event_date"),
        corrected.alias("is_time_corrected"),
        c["category"].alias("category"),
        c["user_id"].alias("user_id"),
        c["session_id"].alias("session_id"),
        F.when(c["session_num"].between(-(2**31), 2**31 - 1), c["session_num"].cast("int")).alias(
            "session_num"
        ),
        c["length"].alias("length_s"),
        F.coalesce(c["design_value"], c["resource_amount"]).alias("value"),
        F.when(c["attempt_num"].between(-(2**31), 2**31 - 1), c["attempt_num"].cast("int")).alias(
            "attempt_num"
        ),
        c["score"].alias("score"),
        F.when(c["game_id"].between(-(2**31), 2**31 - 1), c["game_id"].cast("int")).alias(
            "game_id"
        ),
        _bounded(c["country_code"], 2).alias("country_code"),
        _event_id_for_fact(c).alias("event_id"),
        platform.alias("platform"),
        os_version.alias("os_version"),
        manufacturer.alias("manufacturer"),
        device.alias("device"),
        item_type.alias("item_type"),
        item_id.alias("item_id"),
        cart_type.alias("cart_type"),
        c["currency"].alias("currency"),
        c["amount_minor"].alias("amount_minor"),
        c["amount_usd"].alias("amount_usd"),
        F.when(
            c["transaction_num"].between(-(2**31), 2**31 - 1), c["transaction_num"].cast("int")
        ).alias("transaction_num"),
        c["is_converting"].alias("is_converting"),
        F.timestamp_seconds(install_ts).alias("install_ts"),
        _epoch_day(install_ts).alias("install_date"),
        _bounded(c["first_build"], 64).alias("first_build"),
        _bounded(c["origin"], 64).alias("origin"),
    )
    return staged.withColumn("date_key", date_key_column(F.col("event_date"))).select(
        *STAGED_COLUMNS
    )
