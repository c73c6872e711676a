"""Write Parquet and list what was written, in the Redshift COPY manifest entry format."""

from __future__ import annotations

from collections.abc import Collection
from typing import Any

from pyspark.sql import Column, DataFrame, Observation
from pyspark.sql import functions as F

from emr_jobs.fs import HadoopFs
from liberta_core.manifest import FileEntry


def write_parquet(df: DataFrame, uri: str, *, plain_columns: Collection[str] = ()) -> None:
    """Snappy Parquet, every column dictionary-encoded except `plain_columns`.

    Name there the columns that are (nearly) unique per row (row ids, event keys, times): a
    dictionary cannot shrink them, and the writer spends ~30% of its CPU filling one until it
    gives up (measured on the staged events). The others (file names, categories, devices,
    users) shrink several-fold, which the job's later scans of the data read back.
    """
    writer = df.write.mode("overwrite").option("compression", "snappy")
    for name in plain_columns:
        writer = writer.option(f"parquet.enable.dictionary#{name}", "false")
    writer.parquet(uri)


def write_observed(df: DataFrame, uri: str, **aggregates: Column) -> dict[str, Any]:
    """Write `df` as Parquet; return its row count (`rows`) and `aggregates` over its rows.

    Measured while the rows are written (`DataFrame.observe`), not by reading them again.
    """
    observation = Observation()
    metrics = [F.count(F.lit(1)).alias("rows"), *(c.alias(k) for k, c in aggregates.items())]
    write_parquet(df.observe(observation, *metrics), uri)
    return dict(observation.get)


def parquet_entries(fs: HadoopFs, uri: str) -> list[FileEntry]:
    """COPY manifest entries for the `part-*.parquet` files under `uri`, sorted by URL."""
    return [
        FileEntry(url=entry.uri, content_length=entry.size)
        for entry in fs.list(uri)
        if not entry.is_dir and entry.name.startswith("part-") and entry.name.endswith(".parquet")
    ]
