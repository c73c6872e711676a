"""`liberta localstack up|down|status`: LocalStack on the host with Liberta's extension."""

from __future__ import annotations

import json

import typer

from liberta.localstack import runtime
from liberta.localstack.venv import LocalStackSetupError

localstack_app = typer.Typer(
    help="LocalStack on 127.0.0.1 (no Docker) with Liberta's extension: Redshift Data API on "
    "the local Postgres, EMR Serverless on local Spark.",
    no_args_is_help=True,
)


@localstack_app.command("up")
def up() -> None:
    """Build the pinned Python 3.13 venv if needed, start LocalStack, wait until it is ready."""
    try:
        result = runtime.start()
    except (runtime.LocalStackError, LocalStackSetupError) as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(1) from None
    if result.already_running:
        typer.echo(f"LocalStack is already running on {result.endpoint} (pid {result.pid})")
        return
    built = ""
    if result.venv is not None and result.venv.built_now:
        built = f" (built its venv in {result.venv.build_seconds:.0f}s)"
    typer.echo(
        f"LocalStack {runtime.LOCALSTACK_VERSION} is ready on {result.endpoint} "
        f"(pid {result.pid}, {result.seconds:.1f}s){built}"
    )


@localstack_app.command("down")
def down() -> None:
    """Stop LocalStack (its state is not persisted)."""
    stopped = runtime.stop()
    typer.echo("LocalStack stopped" if stopped else "LocalStack was not running")


@localstack_app.command("status")
def status(as_json: bool = typer.Option(False, "--json", help="print JSON")) -> None:
    """Endpoint, whether it runs, pid, versions, warehouse URL."""
    report = runtime.status()
    if as_json:
        typer.echo(json.dumps(report, indent=2))
        return
    state = "running" if report["running"] else "not running"
    typer.echo(f"LocalStack {state} on {report['endpoint']} (pid {report['pid']})")
    typer.echo(f"warehouse: {report['warehouse_url']}")
    for name, value in report["services"].items():
        typer.echo(f"  {name}: {value}")
