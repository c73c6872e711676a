"""Connections to the warehouse Postgres and the idempotent bootstrap (schemas, tables, views)."""

from __future__ import annotations

import re

import psycopg

from liberta.warehouse.errors import BootstrapError
from liberta_core.sql import Dialect, bootstrap_statements

# Serialises concurrent bootstraps: CREATE ... IF NOT EXISTS can race in Postgres.
_BOOTSTRAP_LOCK_KEY = 7_441_203_551


def connect(url: str, *, autocommit: bool = False) -> psycopg.Connection:
    """Open a connection; the error names the URL (without any password) on failure."""
    try:
        # UTC sessions, as on Redshift: naive timestamps and date-only input mean UTC.
        return psycopg.connect(
            url, autocommit=autocommit, connect_timeout=10, options="-c TimeZone=UTC"
        )
    except psycopg.OperationalError as exc:
        raise psycopg.OperationalError(
            f"cannot connect to the warehouse at {redact(url)}: {exc}. Start the local one with "
            f"'liberta db start' or set LIBERTA_DB_URL"
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
        try:
            with conn.transaction():  # a savepoint: the common case drops nothing
                _execute_all(cur, statements)
        except psycopg.errors.InvalidTableDefinition as changed:
            _drop_views(cur, created_views(statements), reason=changed)
            _execute_all(cur, statements)
    return len(statements)


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
