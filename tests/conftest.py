"""Fixtures shared by several parts' tests."""

from __future__ import annotations

import itertools
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import psycopg
import pytest

from liberta.warehouse.server import LocalPostgres, LocalPostgresConfig, free_port

_database_counter = itertools.count()


@pytest.fixture(scope="session")
def pg_server() -> Iterator[LocalPostgres]:
    """One real Postgres for the whole test session, started by Liberta's own server code.

    127.0.0.1, a free port, a temporary data directory, stopped and removed at the end.
    """
    base = Path(tempfile.mkdtemp(prefix="liberta-pg-test-"))
    base.chmod(0o755)  # the postgres OS user (when we are root) must reach the data dir
    config = LocalPostgresConfig(
        data_dir=base / "pgdata",
        port=free_port(),
        database="postgres",
        # A throwaway server: durability off for speed.
        settings={"fsync": "off", "synchronous_commit": "off", "full_page_writes": "off"},
    )
    server = LocalPostgres(config)
    server.start()
    try:
        yield server
    finally:
        server.stop()
        shutil.rmtree(base, ignore_errors=True)


def database_url(server: LocalPostgres, database: str) -> str:
    return f"postgresql://postgres@127.0.0.1:{server.config.port}/{database}"


@contextmanager
def fresh_database(
    server: LocalPostgres, name: str, *, bootstrapped: bool = False
) -> Iterator[str]:
    """The URL of a new database `name` on `server` (replacing one of that name), with
    Liberta's schema when `bootstrapped`; dropped afterwards."""
    admin = database_url(server, "postgres")
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
        conn.execute(f"CREATE DATABASE {name}")
    url = database_url(server, name)
    if bootstrapped:
        from liberta.warehouse.db import bootstrap, connect

        with connect(url) as conn:
            bootstrap(conn)
    try:
        yield url
    finally:
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


@pytest.fixture
def empty_database_url(pg_server: LocalPostgres) -> Iterator[str]:
    """A fresh, empty database (no schema) on the session's Postgres, dropped afterwards."""
    with fresh_database(pg_server, f"empty_{next(_database_counter)}") as url:
        yield url


@pytest.fixture
def s3_endpoint(monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """A local S3-compatible endpoint (moto's server) on 127.0.0.1, stopped after the test.

    boto3 reaches it through `AWS_ENDPOINT_URL`, exactly as Liberta reaches LocalStack or MinIO.
    """
    from moto.server import ThreadedMotoServer

    port = free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    endpoint = f"http://127.0.0.1:{port}"
    for name, value in {
        "AWS_ENDPOINT_URL": endpoint,
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_DEFAULT_REGION": "us-east-1",
    }.items():
        monkeypatch.setenv(name, value)
    monkeypatch.delenv("AWS_PROFILE", raising=False)
    monkeypatch.delenv("AWS_SESSION_TOKEN", raising=False)
    try:
        yield endpoint
    finally:
        server.stop()
