"""Dimension tables from de-duplicated valid events (see `liberta_core.tables` for the contract).

`d_user` is every event's view of its player, reduced by the contract's merge rules (the rules
the warehouse merges runs with), so re-running a window, or splitting it, gives the same rows.
"""

from __future__ import annotations

from datetime import date

from pyspark.sql import DataFrame, SparkSession
from pyspark.sql import functions as F

from emr_jobs.keys import date_key_column, key_column
from emr_jobs.transforms.conform import conform
from emr_jobs.transforms.merge import reduce_by_rules
from liberta_core.tables import D_DATE, D_DEVICE, D_ITEM, D_USER


def d_user(events: DataFrame) -> DataFrame:
    is_business = F.col("category") == "business"
    per_event = events.select(
        "user_key",
        "user_id",
        "game_id",
        "install_ts",
        "install_date",
        "first_build",
        "origin",
        "country_code",
        "platform",
        F.col("event_ts").alias("first_seen_ts"),
        F.col("event_ts").alias("last_seen_ts"),
        is_business.alias("is_paying"),
        F.when(is_business, F.col("event_ts")).alias("first_payment_ts"),
    )
    return reduce_by_rules(per_event, D_USER)


def d_device(events: DataFrame) -> DataFrame:
    parts = ["platform", "os_version", "manufacturer", "device"]
    natural = [F.coalesce(F.col(p), F.lit("")).alias(p) for p in parts]
    devices = events.select(*natural).distinct()
    keyed = devices.withColumn("device_key", key_column("device", *(F.col(p) for p in parts)))
    return conform(keyed, D_DEVICE)


def d_item(events: DataFrame) -> DataFrame:
    parts = ["item_type", "item_id", "cart_type"]
    business = events.where(F.col("category") == "business")
    items = business.select(*(F.coalesce(F.col(p), F.lit("")).alias(p) for p in parts)).distinct()
    keyed = items.withColumn("item_key", key_column("item", *(F.col(p) for p in parts)))
    return conform(keyed, D_ITEM)


def d_date(spark: SparkSession, span: tuple[date, date] | None) -> DataFrame:
    """Every calendar date from span[0] to span[1], both included (empty when None)."""
    if span is None:
        days = spark.range(0).select(F.lit(None).cast("date").alias("calendar_date"))
    else:
        lo, hi = span
        days = spark.range((hi - lo).days + 1).select(
            F.date_add(F.lit(lo), F.col("id").cast("int")).alias("calendar_date")
        )
    d = F.col("calendar_date")
    iso_dow = ((F.dayofweek(d) + 5) % 7) + 1  # Spark: 1 = Sunday; ISO: 1 = Monday
    table = days.select(
        date_key_column(d).alias("date_key"),
        d,
        F.year(d).alias("year"),
        F.quarter(d).alias("quarter"),
        F.month(d).alias("month"),
        F.dayofmonth(d).alias("day_of_month"),
        iso_dow.alias("day_of_week"),
        F.weekofyear(d).alias("iso_week"),
        (iso_dow >= 6).alias("is_weekend"),
        F.date_format(d, "MMMM").alias("month_name"),
        F.date_format(d, "EEEE").alias("day_name"),
    )
    return conform(table, D_DATE)
