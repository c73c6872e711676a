"""The warehouse's roles on a real Postgres: the ETL role has what the load needs and no more;
the analyst role reads the analysis schema and nothing else (redshift_sql/admin, grants)."""

from __future__ import annotations

import psycopg
import pytest

from liberta.warehouse.db import bootstrap, connect
from liberta.warehouse.loader import load_run
from liberta_core.sql import ANALYST_ROLE, ETL_ROLE

from .dataset import RUN_A, RUN_B, run_a, run_b
from .rundir import write_run


def test_the_etl_role_bootstraps_and_loads_on_its_own(db_url, tmp_path):
    with connect(db_url) as conn:  # the administrator's part, once per database
        bootstrap(conn)
    # Every statement of the bootstrap and of two loads, as the pipeline's role (no superuser).
    with connect(db_url, role=ETL_ROLE) as conn:
        assert conn.execute(
            "SELECT current_user, rolsuper FROM pg_roles WHERE rolname = current_user"
        ).fetchone() == (ETL_ROLE, False)
        bootstrap(conn)
        conn.commit()
    load_run(db_url, write_run(tmp_path, "run-a", run_a(), **RUN_A))
    result = load_run(db_url, write_run(tmp_path, "run-b", run_b(), **RUN_B))
    assert result.tables["f_event"].rows_inserted == 5
    with connect(db_url) as conn:
        owners = conn.execute(
            "SELECT DISTINCT pg_get_userbyid(c.relowner) FROM pg_class AS c"
            " JOIN pg_namespace AS n ON n.oid = c.relnamespace"
            " WHERE n.nspname IN ('analysis', 'staging', 'etl') AND c.relkind IN ('r', 'v')"
        ).fetchall()
    assert owners == [(ETL_ROLE,)]


def test_the_etl_role_cannot_administer(db_url):
    with connect(db_url, role=ETL_ROLE, autocommit=True) as conn:
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            conn.execute("CREATE ROLE intruder")
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            conn.execute("SELECT * FROM pg_authid")
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            conn.execute("GRANT liberta_analyst TO liberta_etl")


def test_the_analyst_reads_the_analysis_schema_only(db_url, tmp_path):
    load_run(db_url, write_run(tmp_path, "run-a", run_a(), **RUN_A))
    with connect(db_url, role=ANALYST_ROLE, autocommit=True) as conn:
        assert conn.execute("SELECT count(*) FROM analysis.v_dau").fetchone()[0] > 0
        assert conn.execute("SELECT count(*) FROM analysis.f_event").fetchone() == (9,)
        for forbidden in (
            "SELECT * FROM etl.load_log",
            "SELECT * FROM staging.f_event",
            "DELETE FROM analysis.f_event",
            "INSERT INTO analysis.d_date SELECT * FROM analysis.d_date",
            "CREATE TABLE analysis.mine (x int)",
        ):
            with pytest.raises(psycopg.errors.InsufficientPrivilege):
                conn.execute(forbidden)
