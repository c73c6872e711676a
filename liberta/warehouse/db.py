"""Connections to the warehouse Postgres and the idempotent bootstrap (schemas, tables, views)."""

from __future__ import annotations

import psycopg

from liberta.warehouse.sql import Dialect, bootstrap_statements

# Serialises concurrent bootstraps: CREATE ... IF NOT EXISTS can race in Postgres.
_BOOTSTRAP_LOCK_KEY = 7_441_203_551


def connect(url: str, *, autocommit: bool = False) -> psycopg.Connection:
    """Open a connection; the error names the URL (without any password) on failure."""
    try:
        return psycopg.connect(url, autocommit=autocommit, connect_timeout=10)
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
    """Apply every DDL and view file (idempotent) in one transaction; returns how many ran."""
    statements = bootstrap_statements(Dialect.POSTGRES)
    with conn.transaction(), conn.cursor() as cur:
        cur.execute("SELECT pg_advisory_xact_lock(%s)", (_BOOTSTRAP_LOCK_KEY,))
        for statement in statements:
            cur.execute(statement)
    return len(statements)
