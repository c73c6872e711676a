"""End-to-end fixtures: a real Postgres started by Liberta's own code, and a real local Spark."""

from __future__ import annotations

import itertools
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest

from liberta.warehouse.server import LocalPostgres, LocalPostgresConfig, free_port

_counter = itertools.count()


@pytest.fixture(scope="session")
def e2e_pg() -> Iterator[LocalPostgres]:
    base = Path(tempfile.mkdtemp(prefix="liberta-e2e-pg-"))
    base.chmod(0o755)  # the postgres OS user (when we are root) must reach the data dir
    server = LocalPostgres(
        LocalPostgresConfig(
            data_dir=base / "pgdata",
            port=free_port(),
            database="postgres",
            settings={"fsync": "off", "synchronous_commit": "off"},
        )
    )
    server.start()
    try:
        yield server
    finally:
        server.stop()
        shutil.rmtree(base, ignore_errors=True)


@pytest.fixture
def warehouse_url(e2e_pg: LocalPostgres) -> Iterator[str]:
    """A fresh, empty database; the pipeline bootstraps it itself like a first deploy."""
    name = f"e2e_{next(_counter)}"
    admin = f"postgresql://postgres@127.0.0.1:{e2e_pg.config.port}/postgres"
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f"CREATE DATABASE {name}")
    yield f"postgresql://postgres@127.0.0.1:{e2e_pg.config.port}/{name}"
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


@pytest.fixture(scope="session")
def spark():
    from liberta.spark_local import local_spark_session

    return local_spark_session(app_name="liberta-e2e-tests", cores=2, driver_memory="2g")
