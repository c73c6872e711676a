"""Exact duplicates: valid records equal in every contract field count once.

They share an `event_key` (a hash of every contract field after coercion). Instead of
shuffling every row to drop them, the job finds the (few) keys seen more than once, keeps
the copy with the smallest row id (unique per line in a run, see `emr_jobs.read`) and filters
the others out with a join against that small table.
"""

from __future__ import annotations

from pyspark.sql import DataFrame
from pyspark.sql import functions as F


def valid_events(staged: DataFrame) -> DataFrame:
    return staged.where(F.col("reason").isNull())


def duplicate_groups(staged: DataFrame) -> DataFrame:
    """One row per event_key seen more than once among valid records.

    Columns: event_key, copies (how many), keep_row (row id of the copy that stays).
    """
    return (
        valid_events(staged)
        .groupBy("event_key")
        .agg(F.count(F.lit(1)).alias("copies"), F.min("row_id").alias("keep_row"))
        .where(F.col("copies") > 1)
    )


def drop_duplicates(staged: DataFrame, duplicates: DataFrame, *, broadcast: bool) -> DataFrame:
    """Valid records with every extra copy of a duplicate removed."""
    dups = F.broadcast(duplicates) if broadcast else duplicates
    joined = valid_events(staged).join(dups.drop("copies"), on="event_key", how="left")
    keep = F.col("keep_row").isNull() | (F.col("row_id") == F.col("keep_row"))
    return joined.where(keep).drop("keep_row")
