"""Parquet writing: which columns get a dictionary, and that the rows survive either way."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pyarrow.parquet as pq
from pyspark.sql import functions as F

from emr_jobs.transforms.events import PER_ROW_COLUMNS, STAGED_COLUMNS
from emr_jobs.write import write_parquet

_DICTIONARY = {"PLAIN_DICTIONARY", "RLE_DICTIONARY"}


def _encodings(directory: Path) -> dict[str, set[str]]:
    found: dict[str, set[str]] = {}
    for part in sorted(directory.glob("part-*.parquet")):
        meta = pq.ParquetFile(part).metadata
        for group in range(meta.num_row_groups):
            for index in range(meta.num_columns):
                column = meta.row_group(group).column(index)
                found.setdefault(column.path_in_schema, set()).update(column.encodings)
    return found


def test_plain_columns_are_written_without_a_dictionary(spark: Any, tmp_path: Path) -> None:
    # Both columns have three values, which a dictionary would shrink: only the one named
    # plain may be written without it.
    kind = F.concat(F.lit("kind-"), (F.col("id") % 3).cast("string"))
    frame = spark.range(0, 5000, numPartitions=2).select(
        F.col("id"), kind.alias("kind"), kind.alias("plain_kind")
    )
    target = tmp_path / "out"
    write_parquet(frame, target.as_uri(), plain_columns=("plain_kind",))

    encodings = _encodings(target)
    assert encodings["kind"] & _DICTIONARY, encodings
    assert not encodings["plain_kind"] & _DICTIONARY, encodings
    back = spark.read.parquet(target.as_uri())
    assert sorted(map(tuple, back.collect())) == sorted(map(tuple, frame.collect()))


def test_every_column_gets_a_dictionary_by_default(spark: Any, tmp_path: Path) -> None:
    # Columns a dictionary shrinks (Parquet itself drops one that does not pay).
    frame = spark.range(0, 1000).select((F.col("id") % 4).alias("few"), F.lit("a").alias("one"))
    target = tmp_path / "out"
    write_parquet(frame, target.as_uri())
    encodings = _encodings(target)
    assert set(encodings) == {"few", "one"}
    assert all(e & _DICTIONARY for e in encodings.values()), encodings


def test_per_row_columns_are_staged_columns() -> None:
    # A misspelt name would silently leave that column dictionary-encoded.
    assert set(PER_ROW_COLUMNS) <= set(STAGED_COLUMNS)
