"""Connections to the warehouse Postgres and the idempotent bootstrap (schemas, tables, views)."""

from __future__ import annotations

import re

import psycopg

from liberta.warehouse.errors import BootstrapError
from liberta_core.sql import ETL_ROLE, Dialect, admin_statements, bootstrap_statements

# Serialises concurrent bootstraps: CREATE ... IF NOT EXISTS can race in Postgres.
_BOOTSTRAP_LOCK_KEY = 7_441_203_551


def connect(url: str, *, autocommit: bool = False, role: str | None = None) -> psycopg.Connection:
    """Open a connection; the error names the URL (without any password) on failure.

    `role` is the database role the session acts as (`liberta_etl` for the pipeline,
    `liberta_analyst` for reading figures), as the state machine's identity does on Redshift.
    """
    # UTC sessions, as on Redshift: naive timestamps and date-only input mean UTC.
    options = "-c TimeZone=UTC" + (f" -c role={role}" if role else "")
    try:
        return psycopg.connect(url, autocommit=autocommit, connect_timeout=10, options=options)
    except psycopg.OperationalError as exc:
        hint = (
            f"the role {role} is created by the bootstrap: run 'liberta db start'"
            if role and f'"{role}" does not exist' in str(exc)
            else "start the local one with 'liberta db start' or set LIBERTA_DB_URL"
        )
        raise psycopg.OperationalError(
            f"cannot connect to the warehouse at {redact(url)}: {exc}. {hint}"
        ) from exc


def redact(url: str) -> str:
    """The URL with its password replaced by ***."""
    info = psycopg.conninfo.conninfo_to_dict(url)
    user, host = info.get("user", ""), info.get("host", "")
    port, dbname = info.get("port", ""), info.get("dbname", "")
    secret = ":***" if info.get("password") else ""
    return f"postgresql://{user}{secret}@{host}:{port}/{dbname}"


def bootstrap(conn: psycopg.Connection) -> int:
    """Apply every DDL and view file (idempotent) in one transaction; returns how many ran.

    `CREATE OR REPLACE VIEW` cannot rename, retype or remove a view's columns. When a view's
    columns changed (a new release on an existing database), the same transaction drops
    Liberta's views (dependents first: the reverse of their creation order) and re-creates them.
    Views that are not Liberta's are never dropped: if one depends on a view that must be
    re-created, `BootstrapError` names it and nothing changes.
    """
    statements = bootstrap_statements(Dialect.POSTGRES)
    with conn.transaction(), conn.cursor() as cur:
        cur.execute("SELECT pg_advisory_xact_lock(%s)", (_BOOTSTRAP_LOCK_KEY,))
        _administer(conn, cur)
        # The schema belongs to the ETL role, which the pipeline acts as (as on Redshift).
        cur.execute(f"SET LOCAL ROLE {ETL_ROLE}")
        try:
            with conn.transaction():  # a savepoint: the common case drops nothing
                _execute_all(cur, statements)
        except psycopg.errors.InvalidTableDefinition as changed:
            _drop_views(cur, created_views(statements), reason=changed)
            _execute_all(cur, statements)
    return len(statements)


def _administer(conn: psycopg.Connection, cur: psycopg.Cursor) -> None:
    """The administrator's part (redshift_sql/admin/: roles, the ETL role's grants), run as the
    connection's user. A user who may not create roles can still bootstrap once an
    administrator has run it."""
    try:
        with conn.transaction():  # a savepoint
            _execute_all(cur, admin_statements(Dialect.POSTGRES))
    except psycopg.errors.InsufficientPrivilege as exc:
        present = cur.execute("SELECT 1 FROM pg_roles WHERE rolname = %s", (ETL_ROLE,)).fetchone()
        if not present:
            raise BootstrapError(
                "the warehouse user may not create the roles Liberta uses "
                f"({exc.diag.message_primary}): connect as a superuser once, or have an "
                "administrator run redshift_sql/admin/"
            ) from exc


_CREATE_VIEW = re.compile(
    r"^\s*CREATE\s+OR\s+REPLACE\s+VIEW\s+([A-Za-z_][A-Za-z0-9_]*\.[A-Za-z_][A-Za-z0-9_]*)",
    re.IGNORECASE | re.MULTILINE,
)


def created_views(statements: list[str]) -> list[str]:
    """The views `statements` create or replace (`schema.name`), in creation order."""
    views: list[str] = []
    for statement in statements:
        code = re.sub(r"--[^\n]*", "", statement)
        views += [m.group(1) for m in _CREATE_VIEW.finditer(code)]
    return views


def _execute_all(cur: psycopg.Cursor, statements: list[str]) -> None:
    for statement in statements:
        cur.execute(statement)


def _drop_views(cur: psycopg.Cursor, views: list[str], *, reason: psycopg.Error) -> None:
    for view in reversed(views):
        try:
            cur.execute(f"DROP VIEW IF EXISTS {view}")
        except psycopg.errors.DependentObjectsStillExist as exc:
            raise BootstrapError(
                f"bootstrap must re-create {view} ({reason.diag.message_primary}) but objects "
                f"that are not Liberta's depend on it: {exc.diag.message_detail or exc}. Drop "
                f"them, run the bootstrap, then re-create them; nothing was changed"
            ) from exc
