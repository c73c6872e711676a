"""`liberta db start|stop|status|psql` and `liberta load --manifest URI`."""

from __future__ import annotations

import os
import shutil
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from liberta.warehouse.db import bootstrap, connect, redact
from liberta.warehouse.errors import BootstrapError, LoadError
from liberta.warehouse.server import LocalPostgres, PostgresServerError, resolve_db_url

db_app = typer.Typer(
    help="The local warehouse: a Postgres started by Liberta (127.0.0.1, data under "
    "$LIBERTA_HOME/pgdata, default ./.liberta), or the one LIBERTA_DB_URL points at.",
    no_args_is_help=True,
)
_out = Console()
_err = Console(stderr=True)


def _external_url() -> str | None:
    return os.environ.get("LIBERTA_DB_URL") or None


def _fail(message: str) -> typer.Exit:
    _err.print(f"[red]error:[/] {message}", highlight=False)
    return typer.Exit(1)


def _ensure_running() -> str:
    """The warehouse URL; the local server is started (idempotent) unless LIBERTA_DB_URL is set."""
    if _external_url():
        return resolve_db_url()
    try:
        return LocalPostgres().start().url
    except PostgresServerError as exc:
        raise _fail(str(exc)) from exc


def _bootstrap(url: str) -> int:
    try:
        with connect(url) as conn:
            return bootstrap(conn)
    except BootstrapError as exc:
        raise _fail(str(exc)) from exc


@db_app.command("start")
def start() -> None:
    """Start the local Postgres (initialising it on first use) and create the schema."""
    url = _ensure_running()
    if _external_url():
        _out.print(f"LIBERTA_DB_URL is set: using {redact(url)} (nothing to start)")
    else:
        _out.print(f"[green]✓[/] local Postgres running at {url}")
    count = _bootstrap(url)
    _out.print(f"[green]✓[/] schema up to date ({count} statements: analysis, staging, etl)")


@db_app.command("stop")
def stop() -> None:
    """Stop the local Postgres (its data stays)."""
    if _external_url():
        _out.print("LIBERTA_DB_URL is set: that Postgres is not managed by Liberta; not stopping")
        return
    try:
        status = LocalPostgres().stop()
    except PostgresServerError as exc:
        raise _fail(str(exc)) from exc
    _out.print(f"local Postgres {status.detail} ({status.data_dir})")


@db_app.command("status")
def status() -> None:
    """Say whether the warehouse runs and where."""
    if _external_url():
        url = resolve_db_url()
        try:
            with connect(url) as conn:
                version = conn.execute("SHOW server_version").fetchone()
        except Exception as exc:
            raise _fail(f"LIBERTA_DB_URL={redact(url)} is not reachable: {exc}") from exc
        _out.print(f"LIBERTA_DB_URL: {redact(url)} reachable (Postgres {version[0]})")
        return
    try:
        state = LocalPostgres().status()
    except PostgresServerError as exc:
        raise _fail(str(exc)) from exc
    _out.print(f"local Postgres {state.detail}: {state.url} (data: {state.data_dir})")
    if not state.running:
        raise typer.Exit(3)


@db_app.command("psql", context_settings={"allow_extra_args": True, "ignore_unknown_options": True})
def psql(ctx: typer.Context) -> None:
    """Open psql on the warehouse; arguments go to psql.

    For example `liberta db psql -c "SELECT * FROM analysis.v_daily_kpis"`.
    """
    url = _ensure_running()
    binary = shutil.which("psql") or str(LocalPostgres().config.bin_dir / "psql")
    os.execvp(binary, [binary, "--dbname", url, *ctx.args])


def load(
    manifest: Annotated[
        str, typer.Option("--manifest", "-m", help="the run's manifest.json (file:// or s3://)")
    ],
    lock_timeout: Annotated[
        float, typer.Option(help="seconds to wait for a concurrent load to finish")
    ] = 30.0,
) -> None:
    """Load one run into the warehouse in one transaction (all or nothing)."""
    from liberta.warehouse.loader import LoadConfig, load_run

    url = _ensure_running()
    _bootstrap(url)
    try:
        result = load_run(url, manifest, config=LoadConfig(lock_timeout_s=lock_timeout))
    except LoadError as exc:
        raise _fail(f"{exc}\nThe load was rolled back: the warehouse is unchanged.") from exc
    table = Table(title=f"run {result.run_id} loaded into {redact(url)}")
    for column in ("table", "staged", "inserted", "updated"):
        table.add_column(column, justify="left" if column == "table" else "right")
    for name, stats in result.tables.items():
        table.add_row(
            name, str(stats.rows_staged), str(stats.rows_inserted), str(stats.rows_updated)
        )
    _out.print(table)
    _out.print(
        f"{result.rows_copied} rows copied in {result.copy_seconds:.2f}s "
        f"({result.copy_rows_per_s:,.0f} rows/s); whole load {result.total_seconds:.2f}s; "
        f"high-water mark {result.high_water_mark or 'unchanged'}"
    )
