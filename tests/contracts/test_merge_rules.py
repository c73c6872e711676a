"""One merge rule per column (liberta_core.tables), implemented once for Spark and once for SQL.

The warehouse SQL is generated from the rules (liberta_core.merge_sql) and must be current; the
Spark reduction and the SQL (within a run: dedupe; between runs: MERGE) must give the same rows
on adversarial data: ties on the ordering timestamp, nulls in values and in `by` columns, rows
arriving in any order and split over any number of runs.
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import psycopg
import pytest

from liberta.warehouse.db import connect
from liberta_core.merge_sql import stale_files
from liberta_core.sql import Dialect, render, split_statements
from liberta_core.tables import D_USER, F_SESSION, Column, Merge, Table
from tests.conftest import fresh_database

REPO = Path(__file__).resolve().parents[2]


def test_the_generated_sql_is_current() -> None:
    assert stale_files(REPO / "redshift_sql") == []


def test_rules_are_checked_when_a_table_is_declared() -> None:
    with pytest.raises(ValueError, match="'by' is required"):
        Merge("earliest")
    with pytest.raises(ValueError, match="never merge"):
        Table(
            "t",
            ("k",),
            (Column("k", "bigint", merge=Merge("key")), Column("v", "int", merge=Merge("min"))),
        )
    with pytest.raises(ValueError, match="timestamp column"):
        Table(
            "t",
            ("k",),
            (
                Column("k", "bigint", merge=Merge("key")),
                Column("v", "int", merge=Merge("earliest", "k")),
            ),
            upsert=True,
        )


# -- Spark and SQL give the same rows -------------------------------------------------------
T0 = datetime(2026, 3, 1, tzinfo=UTC)


def _maybe(rng: random.Random, values: list[Any], null_share: float = 0.3) -> Any:
    return None if rng.random() < null_share else rng.choice(values)


def user_event_rows(rng: random.Random, n: int) -> list[dict[str, Any]]:
    """d_user's view of n events of 4 players: few distinct times (ties), many nulls."""
    rows = []
    for _ in range(n):
        user = rng.randrange(4)
        ts = T0 + timedelta(hours=rng.randrange(5))
        install = _maybe(rng, [T0 - timedelta(days=d) for d in range(3)], 0.4)
        paying = rng.random() < 0.3
        rows.append(
            {
                "user_key": 100 + user,
                "user_id": f"u{user}",
                "game_id": _maybe(rng, [1, 2, 3]),
                "install_ts": install,
                "install_date": install.date() if install else None,
                "first_build": _maybe(rng, ["1.0", "1.1", "2.0"]),
                "origin": _maybe(rng, ["organic", "adnet", "Adnet", "ünicode"]),
                "country_code": _maybe(rng, ["CA", "DE", "de"]),
                "platform": _maybe(rng, ["ios", "android"]),
                "first_seen_ts": ts,
                "last_seen_ts": ts,
                "is_paying": paying,
                "first_payment_ts": ts if paying else None,
            }
        )
    return rows


def session_event_rows(rng: random.Random, n: int) -> list[dict[str, Any]]:
    rows = []
    for _ in range(n):
        session = rng.randrange(3)
        ts = T0 + timedelta(minutes=rng.randrange(4))
        rows.append(
            {
                "session_key": 200 + session,
                "session_id": f"s{session}",
                "user_key": rng.choice([100, 101]),
                "device_key": rng.choice([7, 8, 9]),
                "date_key": int(ts.strftime("%Y%m%d")),
                "start_ts": ts,
                "end_ts": ts,
                "length_s": _maybe(rng, [10, 60, 600]),
                "session_num": _maybe(rng, [1, 2]),
            }
        )
    return rows


@pytest.fixture(scope="module")
def spark() -> Iterator[Any]:
    from liberta.spark_local import local_spark_session

    yield local_spark_session(app_name="liberta-merge-rules-tests", cores=2, driver_memory="2g")


@pytest.fixture(scope="module")
def warehouse(pg_server) -> Iterator[str]:
    with fresh_database(pg_server, "merge_rules", bootstrapped=True) as url:
        yield url


def _frame(spark: Any, table: Table, rows: list[dict[str, Any]]) -> Any:
    from pyspark.sql import types as T

    from emr_jobs.transforms.conform import spark_type

    schema = T.StructType(
        [T.StructField(c.name, T._parse_datatype_string(spark_type(c.type))) for c in table.columns]
    )
    return spark.createDataFrame([tuple(r[c] for c in table.column_names) for r in rows], schema)


def spark_reduce(spark: Any, table: Table, rows: list[dict[str, Any]]) -> list[tuple]:
    from emr_jobs.transforms.merge import reduce_by_rules

    frame = _frame(spark, table, rows)
    return sorted(tuple(r) for r in reduce_by_rules(frame, table).collect())


def _naive(value: Any) -> Any:
    return value.astimezone(UTC).replace(tzinfo=None) if isinstance(value, datetime) else value


def _execute(conn: psycopg.Connection, relpath: str) -> None:
    for statement in split_statements(render(relpath, Dialect.POSTGRES)):
        conn.execute(statement, {"run_id": "merge-test"} if "%(" in statement else None)


def sql_merge(conn: psycopg.Connection, table: Table, runs: list[list[tuple]]) -> list[tuple]:
    """Load each run's rows into staging, dedupe and merge them as the load does."""
    names = ", ".join(table.column_names)
    marks = ", ".join(["%s"] * len(table.columns))
    conn.execute(f"DELETE FROM analysis.{table.name}")
    for rows in runs:
        conn.execute(f"DELETE FROM staging.{table.name}")
        conn.execute(f"DELETE FROM staging.{table.name}_merge")
        for row in rows:
            conn.execute(
                f"INSERT INTO staging.{table.name} ({names}) VALUES ({marks})",
                [_naive(v) for v in row],
            )
        _execute(conn, f"load/dedupe_{table.name}.sql")
        _execute(conn, f"load/merge_{table.name}.sql")
    result = conn.execute(f"SELECT {names} FROM analysis.{table.name}").fetchall()
    return sorted(tuple(result))


def _comparable(rows: list[tuple]) -> list[tuple]:
    return sorted(tuple(_naive(v) for v in row) for row in rows)


@pytest.mark.parametrize("seed", range(6))
@pytest.mark.parametrize(
    ("table", "make"), [(D_USER, user_event_rows), (F_SESSION, session_event_rows)]
)
def test_spark_and_sql_merge_alike(spark, warehouse, table, make, seed) -> None:
    rng = random.Random(seed)
    events = make(rng, 60)
    whole = _comparable(spark_reduce(spark, table, events))
    # Split the events over runs at random: each run reduced by Spark, then merged by SQL.
    parts: list[list[dict[str, Any]]] = [[] for _ in range(rng.randrange(2, 5))]
    for event in events:
        parts[rng.randrange(len(parts))].append(event)
    runs = [spark_reduce(spark, table, part) for part in parts if part]
    rng.shuffle(runs)
    with connect(warehouse) as conn:
        between_runs = _comparable(sql_merge(conn, table, runs))
        # Several runs' rows in one staging load: the within-run dedupe applies the rules too.
        within_a_run = _comparable(sql_merge(conn, table, [[row for run in runs for row in run]]))
        conn.rollback()
    assert between_runs == whole
    assert within_a_run == whole
    assert len(whole) == len({row[0] for row in whole})  # one row per key


# -- the pre-aggregation the Spark reduction starts with ------------------------------------
@pytest.mark.parametrize("seed", range(4))
@pytest.mark.parametrize(
    ("table", "make"), [(D_USER, user_event_rows), (F_SESSION, session_event_rows)]
)
def test_the_pre_aggregation_changes_no_row(spark, table, make, seed) -> None:
    from emr_jobs.transforms.merge import pre_aggregate, reduce_by_rules

    rng = random.Random(seed)
    rows = make(rng, 40)
    # Copies that differ only in their min/max times: the pre-aggregation combines them, and
    # the `by` columns it combines decide the ordered rules.
    times = [
        c.name for c in table.columns if c.type == "timestamp" and c.merge.rule in ("min", "max")
    ]
    for row in rows[:30]:
        shift = {t: row[t] + timedelta(minutes=rng.randrange(-180, 180)) for t in times if row[t]}
        rows.append({**row, **shift})
    frame = _frame(spark, table, rows)
    combined = pre_aggregate(frame, table)
    assert combined is not None  # both tables' rules allow it
    assert combined.count() < frame.count()
    with_it = sorted(tuple(r) for r in reduce_by_rules(frame, table).collect())
    without = sorted(
        tuple(r) for r in reduce_by_rules(frame, table, pre_aggregated=False).collect()
    )
    assert with_it == without


def test_the_pre_aggregation_is_a_hash_aggregation(spark) -> None:
    from emr_jobs.transforms.merge import pre_aggregate

    frame = _frame(spark, D_USER, user_event_rows(random.Random(0), 20))
    plan = pre_aggregate(frame, D_USER)._jdf.queryExecution().executedPlan().toString()
    assert "HashAggregate" in plan
    assert "SortAggregate" not in plan and "ObjectHashAggregate" not in plan


def test_rules_that_do_not_combine_skip_the_pre_aggregation(spark) -> None:
    from emr_jobs.transforms.merge import pre_aggregate, reduce_by_rules

    # `latest("ts")` wants the largest ts of each group, ts's own rule the smallest: combined
    # by ts's rule, v=1's group would read T0 and v=2 would win.
    table = Table(
        "t",
        ("k",),
        (
            Column("k", "bigint", merge=Merge("key")),
            Column("ts", "timestamp", merge=Merge("min")),
            Column("v", "int", merge=Merge("latest", "ts")),
        ),
        upsert=True,
    )
    rows = [
        {"k": 1, "ts": T0, "v": 1},
        {"k": 1, "ts": T0 + timedelta(hours=3), "v": 1},
        {"k": 1, "ts": T0 + timedelta(hours=2), "v": 2},
    ]
    frame = _frame(spark, table, rows)
    assert pre_aggregate(frame, table) is None
    assert [tuple(r) for r in reduce_by_rules(frame, table).collect()] == [
        (1, T0.replace(tzinfo=None), 1)
    ]
