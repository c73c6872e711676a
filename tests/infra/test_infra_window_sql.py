"""The incremental window's start (redshift_sql/etl/select_window_start.sql).

On Redshift: what the state machine sends is that file, with the stage's lookback written in,
and it parses as Redshift SQL. On Postgres: the same file computes the right text on a real
server (started by Liberta's own server code on 127.0.0.1, removed afterwards).
"""

from __future__ import annotations

from collections.abc import Iterator

import psycopg
import pytest
import sqlglot
from infra_synth import REPO, Synth
from sqlglot import exp
from sqlglot.errors import ErrorLevel

from liberta.warehouse.db import bootstrap
from liberta.warehouse.server import LocalPostgres
from liberta.warehouse.sql import Dialect, window_start_query
from tests.conftest import database_url

SOURCE = REPO / "redshift_sql" / "etl" / "select_window_start.sql"


def _normalize(sql: str) -> str:
    lines = [line for line in sql.splitlines() if not line.strip().startswith("--")]
    return " ".join(" ".join(lines).split()).rstrip(";").strip()


def test_the_watermark_query_sent_is_select_window_start_sql(synth: Synth) -> None:
    state = synth.asl["States"]["ReadWatermark"]
    assert state["Resource"] == "arn:aws:states:::aws-sdk:redshiftdata:executeStatement"
    sent = state["Parameters"]["Sql"]
    assert "${" not in sent
    expected = window_start_query(Dialect.REDSHIFT).replace("${lookback_hours}", "48")
    assert _normalize(sent) == _normalize(expected)
    assert "DATEADD(hour, -${lookback_hours}, high_water_mark)" in SOURCE.read_text()
    # The window is read from the first cell of the only row.
    chosen = synth.asl["States"]["WatermarkWindow"]["Parameters"]
    assert chosen["since.$"] == "$.watermark.result.Records[0][0].stringValue"


def test_the_redshift_rendering_parses_with_sqlglot(synth: Synth) -> None:
    sent = synth.asl["States"]["ReadWatermark"]["Parameters"]["Sql"]
    (tree,) = sqlglot.parse(sent, read="redshift", error_level=ErrorLevel.RAISE)
    assert isinstance(tree, exp.Select)
    (table,) = tree.find_all(exp.Table)
    assert (table.db, table.name) == ("etl", "watermark")
    assert tree.named_selects == ["window_start"]
    (shift,) = [node for node in tree.walk() if isinstance(node, exp.TsOrDsAdd | exp.DateAdd)]
    assert shift.unit.name.upper() == "HOUR"
    assert shift.expression.sql() == "-48"
    assert shift.this.name == "high_water_mark"


def test_a_broken_rendering_would_not_parse() -> None:
    broken = window_start_query(Dialect.REDSHIFT).replace("${lookback_hours}", "")
    broken = broken.replace("DATEADD(hour, -,", "DATEADD(hour, -, ,")
    with pytest.raises(sqlglot.errors.ParseError):
        sqlglot.parse(broken, read="redshift", error_level=ErrorLevel.RAISE)


@pytest.fixture(scope="module")
def pg_conn(pg_server: LocalPostgres) -> Iterator[psycopg.Connection]:
    admin = database_url(pg_server, "postgres")
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute("CREATE DATABASE infra_window_sql")
    try:
        with psycopg.connect(database_url(pg_server, "infra_window_sql"), autocommit=True) as conn:
            bootstrap(conn)
            yield conn
    finally:
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute("DROP DATABASE IF EXISTS infra_window_sql WITH (FORCE)")


def _window_start(conn: psycopg.Connection, lookback_hours: int) -> str | None:
    rows = conn.execute(
        window_start_query(Dialect.POSTGRES), {"lookback_hours": lookback_hours}
    ).fetchall()
    assert len(rows) == 1 and len(rows[0]) == 1
    return rows[0][0]


def _log(conn: psycopg.Connection, run_id: str, status: str, high_water_mark: str) -> None:
    conn.execute(
        "INSERT INTO etl.load_log (run_id, started_at, status, high_water_mark) "
        "VALUES (%s, '2026-11-03 12:00:00', %s, %s)",
        (run_id, status, high_water_mark),
    )


def test_postgres_rendering_computes_the_window_start(pg_conn: psycopg.Connection) -> None:
    assert _window_start(pg_conn, 48) is None  # nothing loaded yet: full refresh
    _log(pg_conn, "r1", "succeeded", "2026-11-02 23:00:00")
    _log(pg_conn, "r2", "succeeded", "2026-11-03 10:15:30.75")
    _log(pg_conn, "r3", "failed", "2026-11-09 00:00:00")  # failed loads do not count
    assert _window_start(pg_conn, 48) == "2026-11-01T10:15:30Z"
    assert _window_start(pg_conn, 11) == "2026-11-02T23:15:30Z"
    assert _window_start(pg_conn, 0) == "2026-11-03T10:15:30Z"
