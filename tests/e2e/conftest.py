"""End-to-end fixtures: a real Postgres started by Liberta's own code, and a real local Spark."""

from __future__ import annotations

import pytest


@pytest.fixture
def warehouse_url(empty_database_url: str) -> str:
    """A fresh, empty database; the pipeline bootstraps it itself like a first deploy."""
    return empty_database_url


@pytest.fixture(scope="session")
def spark():
    from liberta.spark_local import local_spark_session

    return local_spark_session(app_name="liberta-e2e-tests", cores=2, driver_memory="2g")
