"""`liberta db ...` / `liberta load` and the local server, against the session's real Postgres."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from liberta.cli import app
from liberta.warehouse.server import (
    LocalPostgres,
    LocalPostgresConfig,
    PostgresServerError,
    resolve_db_url,
)

from .dataset import RUN_A, run_a
from .rundir import write_run

runner = CliRunner()


def test_start_is_idempotent_and_status_reports_running(pg_server: LocalPostgres):
    assert pg_server.status().running
    again = pg_server.start()
    assert again.running and f":{pg_server.config.port}" in again.detail


def test_a_second_server_on_a_busy_port_fails_clearly(pg_server, tmp_path):
    other = LocalPostgres(
        LocalPostgresConfig(data_dir=tmp_path / "other", port=pg_server.config.port)
    )
    other.init = lambda: None  # skip initdb: the port check comes first
    other.is_initialized = lambda: True
    other.status = lambda: type(pg_server.status())(False, other.url, tmp_path, "stopped")
    with pytest.raises(PostgresServerError, match="already in use"):
        other.start()


def test_resolve_db_url(monkeypatch, tmp_path):
    monkeypatch.delenv("LIBERTA_DB_URL", raising=False)
    monkeypatch.setenv("LIBERTA_DB_PORT", "6543")
    assert resolve_db_url() == "postgresql://postgres@127.0.0.1:6543/liberta"
    monkeypatch.setenv("LIBERTA_HOME", str(tmp_path))
    assert LocalPostgresConfig.from_env().data_dir == tmp_path / "pgdata"
    monkeypatch.setenv("LIBERTA_DB_URL", "postgresql://u@db.example:5432/x")
    assert resolve_db_url() == "postgresql://u@db.example:5432/x"


def test_cli_load_and_status_with_liberta_db_url(db_url, monkeypatch, tmp_path):
    monkeypatch.setenv("LIBERTA_DB_URL", db_url)
    uri = write_run(tmp_path, "run-a", run_a(), **RUN_A)
    result = runner.invoke(app, ["load", "--manifest", uri])
    assert result.exit_code == 0, result.output
    assert "run-a" in result.output and "f_event" in result.output
    status = runner.invoke(app, ["db", "status"])
    assert status.exit_code == 0 and "reachable" in status.output
    start = runner.invoke(app, ["db", "start"])
    assert start.exit_code == 0 and "nothing to start" in " ".join(start.output.split())


def test_cli_load_failure_exits_nonzero_and_names_the_file(db_url, monkeypatch, tmp_path):
    monkeypatch.setenv("LIBERTA_DB_URL", db_url)
    uri = write_run(tmp_path, "run-a", run_a(), **RUN_A)
    path = Path(uri.removeprefix("file://"))
    manifest = json.loads(path.read_text())
    del manifest["counts"]
    path.write_text(json.dumps(manifest))
    result = runner.invoke(app, ["load", "--manifest", uri])
    assert result.exit_code == 1
    output = " ".join(result.output.split())
    assert "counts must be an object" in output and "rolled back" in output
