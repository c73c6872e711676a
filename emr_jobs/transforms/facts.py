"""Fact tables from de-duplicated valid events (see `liberta_core.tables` for the contract)."""

from __future__ import annotations

from pyspark.sql import DataFrame
from pyspark.sql import functions as F

from emr_jobs.transforms.conform import conform
from liberta_core.tables import F_EVENT, F_REVENUE, F_SESSION


def f_event(events: DataFrame) -> DataFrame:
    return conform(events, F_EVENT)


def f_revenue(events: DataFrame) -> DataFrame:
    business = events.where(F.col("category") == "business")
    return conform(business.withColumn("is_first_purchase", F.col("is_converting")), F_REVENUE)


def f_session(events: DataFrame) -> DataFrame:
    """One row per session of the window; user and device of its earliest event."""
    first = F.min(F.struct("event_ts", "event_key", "user_key", "device_key"))
    sessions = events.groupBy("session_key").agg(
        F.first("session_id").alias("session_id"),  # the key is a hash of session_id
        first.alias("_first"),
        F.min("event_ts").alias("start_ts"),
        F.max("event_ts").alias("end_ts"),
        F.max("length_s").alias("length_s"),
        F.min("session_num").alias("session_num"),
        # yyyymmdd orders like dates: the smallest is the date of start_ts
        F.min("date_key").alias("date_key"),
    )
    shaped = sessions.select(
        "*",
        F.col("_first.user_key").alias("user_key"),
        F.col("_first.device_key").alias("device_key"),
    )
    return conform(shaped, F_SESSION)
