"""`liberta run --profile localstack` and `liberta localstack demo`: the deployed pipeline run
from the command line, with the embedded profile's summary and exit codes."""

from __future__ import annotations

import json
import re

import typer
from rich.console import Console

from liberta.console import make_console
from liberta.localstack import runtime
from liberta.localstack.deploy import DeployError, StackState, stack_state
from liberta.localstack.execution import ExecutionFailed, ExecutionReport, StateMachineRun
from liberta.pipeline.progress import ConsoleProgress, Progress, SilentProgress
from liberta.pipeline.runner import RunRequest
from liberta.pipeline.summary import print_run_summary

# `liberta run` exit codes: 0 succeeded, 1 failed, 3 skipped (another execution is running).
EXIT_FAILED = 1
EXIT_SKIPPED = 3


def warehouse_url(config: runtime.LocalStackConfig, stack: StackState) -> str:
    """The local Postgres database the stack's Data API serves (its RedshiftDatabaseName)."""
    database = stack.output("RedshiftDatabaseName")
    return re.sub(r"/[^/?]*(\?|$)", rf"/{database}\1", config.db_url.rstrip("/"), count=1)


def connect_localstack() -> tuple[runtime.LocalStackConfig, StackState]:
    config = runtime.LocalStackConfig.from_env()
    if runtime.health(config) is None:
        raise runtime.LocalStackError(
            f"LocalStack is not running on {config.endpoint}: start it with "
            "`liberta localstack up`, then `liberta localstack deploy`"
        )
    stack = stack_state(config)
    if not stack.deployed:
        raise DeployError(
            f"stack {stack.name} is not deployed in the LocalStack on {config.endpoint}: run "
            "`liberta localstack deploy`"
        )
    return config, stack


def state_machine_run(progress: Progress) -> StateMachineRun:
    config, stack = connect_localstack()
    return StateMachineRun(
        endpoint=config.endpoint,
        stack=stack,
        warehouse_url=warehouse_url(config, stack),
        progress=progress,
    )


def run_on_localstack(request: RunRequest, *, quiet: bool, as_json: bool) -> None:
    """Start, follow and report one execution; exits with EXIT_FAILED / EXIT_SKIPPED."""
    console = make_console(stderr=True, quiet=quiet or as_json)
    progress = SilentProgress() if (quiet or as_json) else ConsoleProgress(console)
    try:
        report = state_machine_run(progress).run(request)
    except (DeployError, runtime.LocalStackError) as exc:
        make_console(stderr=True).print(f"[red]error:[/] {exc}")
        raise typer.Exit(EXIT_FAILED) from None
    except ExecutionFailed as failure:
        _print(failure.report, as_json=as_json, quiet=quiet)
        make_console(stderr=True).print(f"[red]run failed[/]: {failure.report.run.error}")
        raise typer.Exit(EXIT_FAILED) from None
    _print(report, as_json=as_json, quiet=quiet)
    if report.run.status == "skipped":
        make_console(stderr=True).print(
            f"[yellow]run skipped[/]: another execution is running ({report.skipped_because})"
        )
        raise typer.Exit(EXIT_SKIPPED)


def _print(report: ExecutionReport, *, as_json: bool, quiet: bool) -> None:
    if as_json:
        print(json.dumps(report.as_json(), indent=2))
    elif not quiet:
        print_execution(make_console(), report)


def print_execution(console: Console, report: ExecutionReport) -> None:
    print_run_summary(console, report.run)
    console.print(f"execution: {report.execution_arn} ({report.status})")
