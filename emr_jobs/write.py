"""Write Parquet and list what was written, in the Redshift COPY manifest entry format."""

from __future__ import annotations

from pyspark.sql import DataFrame, SparkSession
from pyspark.sql import functions as F

from emr_jobs.fs import HadoopFs
from liberta_core.manifest import FileEntry


def write_parquet(df: DataFrame, uri: str) -> None:
    df.write.mode("overwrite").option("compression", "snappy").parquet(uri)


def parquet_entries(fs: HadoopFs, uri: str) -> list[FileEntry]:
    """COPY manifest entries for the `part-*.parquet` files under `uri`, sorted by URL."""
    return [
        FileEntry(url=entry.uri, content_length=entry.size)
        for entry in fs.list(uri)
        if not entry.is_dir and entry.name.startswith("part-") and entry.name.endswith(".parquet")
    ]


def count_rows(
    spark: SparkSession,
    entries: list[FileEntry] | tuple[FileEntry, ...],
    *,
    where: str | None = None,
) -> int:
    """Rows in the listed Parquet files (from their footers when there is no filter)."""
    if not entries:
        return 0
    df = spark.read.parquet(*(e.url for e in entries))
    if where is not None:
        df = df.where(F.expr(where))
    return df.count()
