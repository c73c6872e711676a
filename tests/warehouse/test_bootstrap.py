"""The Postgres bootstrap on an existing database: idempotent, and it survives a release that
changes a view's columns (which `CREATE OR REPLACE VIEW` alone cannot apply)."""

from __future__ import annotations

import shutil
from pathlib import Path

import psycopg
import pytest

from liberta.warehouse.db import bootstrap, created_views
from liberta.warehouse.errors import BootstrapError
from liberta.warehouse.loader import load_run
from liberta_core.sql import Dialect, bootstrap_statements, sql_root

from .dataset import RUN_A, run_a
from .rundir import write_run

# The next release of v_dau, as a developer might write it: columns reordered and dau retyped.
NEW_V_DAU = """-- DAU(d), next release: dau first, as integer.
CREATE OR REPLACE VIEW analysis.v_dau AS
SELECT d.date_key, CAST(COUNT(DISTINCT e.user_key) AS integer) AS dau, d.calendar_date
FROM analysis.d_date AS d
LEFT JOIN analysis.f_event AS e ON e.date_key = d.date_key
GROUP BY d.date_key, d.calendar_date;
"""
ORIGINAL_COLUMNS = [("date_key", "integer"), ("calendar_date", "date"), ("dau", "bigint")]
NEW_COLUMNS = [("date_key", "integer"), ("dau", "integer"), ("calendar_date", "date")]


@pytest.fixture
def next_release(tmp_path: Path) -> Path:
    """A copy of redshift_sql/ whose v_dau has different columns."""
    root = tmp_path / "redshift_sql"
    shutil.copytree(sql_root(), root)
    (root / "views" / "010_v_dau.sql").write_text(NEW_V_DAU, encoding="utf-8")
    return root


def columns(conn: psycopg.Connection, schema: str, view: str) -> list[tuple[str, str]]:
    return conn.execute(
        "SELECT column_name, data_type FROM information_schema.columns"
        " WHERE table_schema = %s AND table_name = %s ORDER BY ordinal_position",
        (schema, view),
    ).fetchall()


def dau_by_day(conn: psycopg.Connection) -> dict[int, int]:
    return dict(conn.execute("SELECT date_key, dau FROM analysis.v_dau").fetchall())


def test_created_views_lists_every_view_in_creation_order():
    views = created_views(bootstrap_statements(Dialect.POSTGRES))
    assert len(views) == len(set(views)) == 14
    assert views[:4] == [
        "etl.watermark",
        "staging.v_gate_violations",
        "staging.v_post_load_violations",
        "analysis.v_dau",
    ]
    # Dependents come after what they read, so the reverse order drops dependents first.
    assert views.index("analysis.v_dau") < views.index("analysis.v_conversion")
    assert views[-1] == "analysis.v_daily_kpis"


def test_a_changed_view_is_recreated_with_its_dependents(conn, tmp_path, next_release, monkeypatch):
    load_run(conn, write_run(tmp_path, "run-a", run_a(), **RUN_A))
    before = dau_by_day(conn)
    assert columns(conn, "analysis", "v_dau") == ORIGINAL_COLUMNS
    # What the bootstrap must get past: Postgres refuses to replace the view in place.
    new_statement = NEW_V_DAU.split(";")[0]
    with (
        pytest.raises(psycopg.errors.InvalidTableDefinition, match="view column"),
        conn.transaction(),
    ):
        conn.execute(new_statement)

    monkeypatch.setenv("LIBERTA_SQL_DIR", str(next_release))
    bootstrap(conn)
    assert columns(conn, "analysis", "v_dau") == NEW_COLUMNS
    assert dau_by_day(conn) == before
    # The views that read v_dau were re-created against the new one and still answer.
    assert conn.execute("SELECT count(*) FROM analysis.v_daily_kpis").fetchone() == (len(before),)
    assert conn.execute("SELECT count(*) FROM analysis.v_arpdau").fetchone()[0] > 0
    bootstrap(conn)  # idempotent on the new release too
    assert columns(conn, "analysis", "v_dau") == NEW_COLUMNS

    monkeypatch.delenv("LIBERTA_SQL_DIR")
    bootstrap(conn)  # and back
    assert columns(conn, "analysis", "v_dau") == ORIGINAL_COLUMNS
    assert dau_by_day(conn) == before


def test_views_of_others_survive_a_bootstrap_and_block_only_a_column_change(
    conn, next_release, monkeypatch
):
    conn.execute("CREATE SCHEMA mine")
    conn.execute("CREATE VIEW mine.weekly AS SELECT date_key, dau FROM analysis.v_dau")
    bootstrap(conn)  # nothing changed: nothing is dropped, the analyst's view stays
    assert columns(conn, "mine", "weekly") == [("date_key", "integer"), ("dau", "bigint")]

    monkeypatch.setenv("LIBERTA_SQL_DIR", str(next_release))
    with pytest.raises(BootstrapError) as failure:
        bootstrap(conn)
    message = str(failure.value)
    assert "analysis.v_dau" in message and "mine.weekly" in message
    assert "nothing was changed" in message
    assert columns(conn, "analysis", "v_dau") == ORIGINAL_COLUMNS
    assert columns(conn, "mine", "weekly") == [("date_key", "integer"), ("dau", "bigint")]
