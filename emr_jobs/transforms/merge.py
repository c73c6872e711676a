"""Reduce rows to one per key by the merge rules of the table contract (`liberta_core.tables`).

The warehouse combines rows of different runs with the same rules (liberta_core.merge_sql), so
a run over a whole history and several runs over parts of it load the same table. Ties and
nulls are ordered as the rules define: for `earliest`/`latest`, rows whose `by` is null lose,
and among equal `by` the smallest non-null value wins.
"""

from __future__ import annotations

from pyspark.sql import Column, DataFrame
from pyspark.sql import functions as F

from emr_jobs.transforms.conform import conform
from liberta_core.tables import Column as ContractColumn
from liberta_core.tables import Table


def _ordered(column: ContractColumn) -> Column:
    """min(struct(...)) picks the row the rule wants; the struct orders exactly as the rule."""
    by = F.col(column.merge.by)
    # `latest`: the largest `by` first, i.e. the smallest negated instant.
    by_order = F.unix_micros(by) if column.merge.rule == "earliest" else -F.unix_micros(by)
    value = F.col(column.name)
    return F.min(
        F.struct(
            by.isNull().alias("by_null"),
            by_order.alias("by"),
            value.isNull().alias("value_null"),
            value.alias("value"),
        )
    ).getField("value")


def _aggregate(column: ContractColumn) -> Column:
    rule, value = column.merge.rule, F.col(column.name)
    if rule in ("same", "min"):
        return F.min(value)
    if rule in ("max", "any"):
        return F.max(value)
    return _ordered(column)


def reduce_by_rules(rows: DataFrame, table: Table) -> DataFrame:
    """One row per key of `table` from rows that have its columns (e.g. one per event)."""
    aggregates = [
        _aggregate(column).alias(column.name)
        for column in table.columns
        if column.merge.rule != "key"
    ]
    return conform(rows.groupBy(*table.key).agg(*aggregates), table)
