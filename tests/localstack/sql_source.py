"""The ONE place these tests read Liberta's SQL: the SQL the state machine sends, rendered for
Redshift (liberta_core.sql), and the Postgres rendering for comparisons."""

from __future__ import annotations

import re

from liberta_core import sql as _sql

REDSHIFT = _sql.Dialect.REDSHIFT
POSTGRES = _sql.Dialect.POSTGRES


def admin_statements(database: str) -> list[str]:
    """redshift_sql/admin as the warehouse-setup state machine sends it (as the admin)."""
    return [s.replace("${database}", database) for s in _sql.admin_statements(REDSHIFT)]


def bootstrap_statements() -> list[str]:
    """ddl/, views/ and grants/, rendered for Redshift (the state machine's bootstrap batches)."""
    return _sql.bootstrap_statements(REDSHIFT)


def bootstrap_files() -> list[str]:
    return _sql.bootstrap_files()


def statements_of(relpath: str) -> list[str]:
    return _sql.statements(relpath, REDSHIFT)


def view_names() -> list[str]:
    names = []
    for relpath in _sql.sql_files("views"):
        for statement in _sql.statements(relpath, REDSHIFT):
            match = re.search(r"CREATE OR REPLACE VIEW\s+([\w.]+)", statement)
            if match:
                names.append(match.group(1))
    return names


def load_batch() -> list[str]:
    return _sql.redshift_load_batch()


def load_placeholders() -> list[str]:
    return _sql.load_placeholders()


def data_api_statement(relpath: str) -> str:
    """A one-statement etl/ file with Data API parameters (`:name`)."""
    return _sql.data_api_statement(relpath)


def parameter_names(relpath: str) -> list[str]:
    return _sql.parameter_names(relpath)


def etl_files() -> list[str]:
    return _sql.sql_files("etl")


WINDOW_SQL = _sql.WINDOW_SQL
FAILED_RUN_SQL = _sql.FAILED_RUN_SQL
RUN_COUNTS_SQL = _sql.RUN_COUNTS_SQL


def fill_placeholders(statement: str, values: dict[str, str]) -> str:
    """`${name}` -> the value, as the state machine's States.Format writes it (the load batch's
    run_id, run_uri and iam_role)."""
    return re.sub(r"\$\{([a-z_][a-z0-9_]*)\}", lambda m: values[m.group(1)], statement)


def postgres_view_query(view: str) -> str:
    return f"SELECT * FROM {view}"
