"""A real Postgres for the warehouse tests, started by Liberta's own server code.

One server per test session (127.0.0.1, a free port, a temporary data directory, stopped and
removed at the end); one bootstrapped template database; every test gets a fresh copy of it.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator

import psycopg
import pytest

from liberta.warehouse.db import bootstrap
from liberta.warehouse.server import LocalPostgres
from tests.conftest import database_url

TEMPLATE = "liberta_template"
_counter = itertools.count()


@pytest.fixture(scope="session")
def template_db(pg_server: LocalPostgres) -> str:
    with psycopg.connect(database_url(pg_server, "postgres"), autocommit=True) as conn:
        conn.execute(f"CREATE DATABASE {TEMPLATE}")
    with psycopg.connect(database_url(pg_server, TEMPLATE)) as conn:
        bootstrap(conn)
    return TEMPLATE


@pytest.fixture
def db_url(pg_server: LocalPostgres, template_db: str) -> Iterator[str]:
    """A fresh, bootstrapped database for one test."""
    name = f"t_{next(_counter)}"
    with psycopg.connect(database_url(pg_server, "postgres"), autocommit=True) as conn:
        conn.execute(f"CREATE DATABASE {name} TEMPLATE {template_db}")
    yield database_url(pg_server, name)
    with psycopg.connect(database_url(pg_server, "postgres"), autocommit=True) as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


@pytest.fixture
def conn(db_url: str) -> Iterator[psycopg.Connection]:
    with psycopg.connect(db_url, autocommit=True) as connection:
        yield connection
