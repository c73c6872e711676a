"""`liberta localstack up|down|status|deploy|demo`: LocalStack on the host with Liberta's
extension, and the CDK app's `local` stage deployed into it."""

from __future__ import annotations

import json

import typer

from liberta.localstack import runtime
from liberta.localstack.deploy import DeployError, deploy, stack_state
from liberta.localstack.venv import LocalStackSetupError

localstack_app = typer.Typer(
    help="LocalStack on 127.0.0.1 (no Docker) with Liberta's extension: Redshift Data API on "
    "the local Postgres, EMR Serverless on local Spark. `deploy` puts the CDK app's local "
    "stage into it; `liberta run --profile localstack` executes its state machine.",
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
    """Stop LocalStack (its state, the deployed stack included, is not persisted)."""
    stopped = runtime.stop()
    typer.echo("LocalStack stopped" if stopped else "LocalStack was not running")


@localstack_app.command("deploy")
def deploy_command(
    as_json: bool = typer.Option(False, "--json", help="print the stack's outputs as JSON"),
) -> None:
    """Bootstrap and deploy the CDK app's `local` stage into the running LocalStack
    (cdklocal: the same app.py and constructs as `cdk deploy`), then print its outputs."""
    config = runtime.LocalStackConfig.from_env(db_url="unused")
    try:
        result = deploy(config)
    except (DeployError, runtime.LocalStackError) as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(1) from None
    if as_json:
        typer.echo(json.dumps(result.stack.as_json(), indent=2))
        return
    typer.echo(f"stack {result.stack.name} deployed in {result.seconds:.0f}s (log: {result.log})")
    for key, value in sorted(result.stack.outputs.items()):
        typer.echo(f"  {key}: {value}")


@localstack_app.command("status")
def status(as_json: bool = typer.Option(False, "--json", help="print JSON")) -> None:
    """Endpoint, whether it runs, pid, versions, warehouse URL, the deployed stack's outputs."""
    report = runtime.status()
    if report["running"]:
        try:
            config = runtime.LocalStackConfig.from_env(db_url="unused")
            report["stack"] = stack_state(config).as_json()
        except DeployError as exc:
            report["stack"] = {"error": str(exc)}
    if as_json:
        typer.echo(json.dumps(report, indent=2))
        return
    state = "running" if report["running"] else "not running"
    typer.echo(f"LocalStack {state} on {report['endpoint']} (pid {report['pid']})")
    typer.echo(f"warehouse: {report['warehouse_url']}")
    for name, value in report["services"].items():
        typer.echo(f"  {name}: {value}")
    stack = report.get("stack")
    if stack and "deployed" in stack:
        typer.echo(f"stack {stack['name']}: {stack['status'] or 'not deployed'}")
        for key, value in sorted(stack["outputs"].items()):
            typer.echo(f"  {key}: {value}")


from liberta.localstack.demo import demo  # noqa: E402

localstack_app.command("demo")(demo)
