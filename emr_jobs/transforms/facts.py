"""Fact tables from de-duplicated valid events (see `liberta_core.tables` for the contract)."""

from __future__ import annotations

from pyspark.sql import DataFrame
from pyspark.sql import functions as F

from emr_jobs.transforms.conform import conform
from emr_jobs.transforms.merge import reduce_by_rules
from liberta_core.tables import F_EVENT, F_REVENUE, F_SESSION


def f_event(events: DataFrame) -> DataFrame:
    return conform(events, F_EVENT)


def f_revenue(events: DataFrame) -> DataFrame:
    business = events.where(F.col("category") == "business")
    return conform(business.withColumn("is_first_purchase", F.col("is_converting")), F_REVENUE)


def f_session(events: DataFrame) -> DataFrame:
    """One row per session of the window: every event's view reduced by the merge rules."""
    per_event = events.select(
        "session_key",
        "session_id",
        "user_key",
        "device_key",
        "date_key",
        F.col("event_ts").alias("start_ts"),
        F.col("event_ts").alias("end_ts"),
        "length_s",
        "session_num",
    )
    return reduce_by_rules(per_event, F_SESSION)
