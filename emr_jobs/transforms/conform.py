"""Shape a DataFrame exactly as a table of `liberta_core.tables` declares it (order and types)."""

from __future__ import annotations

import re

from pyspark.sql import DataFrame
from pyspark.sql import functions as F

from liberta_core.tables import Table

_SPARK_TYPES = {
    "bigint": "bigint",
    "int": "int",
    "smallint": "smallint",
    "boolean": "boolean",
    "double": "double",
    "date": "date",
    "timestamp": "timestamp",
}
_DECIMAL = re.compile(r"^decimal\(\d+,\d+\)$")


def spark_type(logical: str) -> str:
    """Spark SQL type for a logical column type of `tables.py`."""
    if logical in _SPARK_TYPES:
        return _SPARK_TYPES[logical]
    if _DECIMAL.match(logical):
        return logical
    if logical.startswith("varchar("):
        return "string"
    raise ValueError(f"no Spark type for logical column type {logical!r}")


def conform(df: DataFrame, table: Table) -> DataFrame:
    """Select the table's columns in order, cast to their types; missing columns are an error."""
    missing = [c.name for c in table.columns if c.name not in df.columns]
    if missing:
        raise ValueError(f"{table.name}: the transform did not produce columns {missing}")
    return df.select(*(F.col(c.name).cast(spark_type(c.type)).alias(c.name) for c in table.columns))
