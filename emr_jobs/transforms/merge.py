"""Reduce rows to one per key by the merge rules of the table contract (`liberta_core.tables`).

The warehouse combines rows of different runs with the same rules (liberta_core.merge_sql), so
a run over a whole history and several runs over parts of it load the same table. Ties and
nulls are ordered as the rules define: for `earliest`/`latest`, rows whose `by` is null lose,
and among equal `by` the smallest non-null value wins.
"""

from __future__ import annotations

from pyspark.sql import Column, DataFrame
from pyspark.sql import functions as F
from pyspark.sql import types as T

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


# The rules one aggregate implements; applied to partial results, it gives the aggregate of
# the whole (what `pre_aggregate` relies on).
_COMBINE = {"same": F.min, "min": F.min, "max": F.max, "any": F.max}


def _aggregate(column: ContractColumn) -> Column:
    combine = _COMBINE.get(column.merge.rule)
    return _ordered(column) if combine is None else combine(F.col(column.name))


# How the ordered rules read their `by` column: the smallest or the largest instant wins.
_BY_COMBINE = {"earliest": F.min, "latest": F.max}
# Types a hash aggregation can hold in its buffer (Spark falls back to sorting for others).
_FIXED_WIDTH = (T.NumericType, T.BooleanType, T.DateType, T.TimestampType)


def pre_aggregate(rows: DataFrame, table: Table) -> DataFrame | None:
    """Rows combined per key and per value of every ordered or text column, or None when the
    table's rules do not allow it.

    `_ordered`'s min(struct) and min/max of text make Spark sort every row by key (its hash
    aggregation holds fixed-width buffers only). Rows that agree on the key and on those
    values can first be combined by a hash aggregation of the fixed-width columns: min or max
    per rule, and each `by` column as its ordered rules read it (the minimum for `earliest`,
    the maximum for `latest`), so the rules give the same row on the fewer rows that are left.
    Measured warm at 5M events, the tables' writes take ~15 % less time (the README's
    Performance section).
    """
    columns = [c for c in table.columns if c.merge.rule != "key"]
    by_rules: dict[str, set[str]] = {}
    for column in columns:
        if column.merge.by is not None:
            by_rules.setdefault(column.merge.by, set()).add(column.merge.rule)
    group, combined = list(table.key), []
    for column in columns:
        rule = column.merge.rule
        fixed = isinstance(rows.schema[column.name].dataType, _FIXED_WIDTH)
        if rule not in _COMBINE or not fixed:
            group.append(column.name)
            continue
        combine = _COMBINE[rule]
        if any(_BY_COMBINE[r] is not combine for r in by_rules.get(column.name, ())):
            return None
        combined.append(combine(column.name).alias(column.name))
    # Every `by` is a column of the table (`Table` checks it), so it is kept: combined, or a
    # group key (then constant within a group).
    if not combined:
        return None
    return rows.groupBy(*group).agg(*combined)


def reduce_by_rules(rows: DataFrame, table: Table, *, pre_aggregated: bool = True) -> DataFrame:
    """One row per key of `table` from rows that have its columns (e.g. one per event).

    `pre_aggregated=False` skips `pre_aggregate` (the rows are the same; tests compare).
    """
    combined = pre_aggregate(rows, table) if pre_aggregated else None
    aggregates = [
        _aggregate(column).alias(column.name)
        for column in table.columns
        if column.merge.rule != "key"
    ]
    source = rows if combined is None else combined
    return conform(source.groupBy(*table.key).agg(*aggregates), table)
