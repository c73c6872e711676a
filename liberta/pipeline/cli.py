"""`liberta run`, `liberta runs`: the local pipeline from the command line."""

from __future__ import annotations

import json
import sys
from dataclasses import asdict, replace
from datetime import datetime
from typing import Annotated

import typer
from rich.table import Table

from liberta.config import STATE_MACHINE_PROFILE, profile_named
from liberta.console import make_console
from liberta.pipeline.progress import ConsoleProgress, SilentProgress
from liberta.pipeline.runner import Pipeline, PipelineError, RunRequest
from liberta.pipeline.summary import print_run_summary
from liberta.pipeline.warehouse_access import ensure_warehouse
from liberta_core.sql import ETL_ROLE

# The job's own parser: a window means the same here and in spark-submit.
from liberta_core.timestamps import parse_timestamp


def _timestamp(value: str | None) -> datetime | None:
    if value is None:
        return None
    try:
        return parse_timestamp(value)
    except ValueError as exc:
        raise typer.BadParameter(str(exc)) from None


def run(
    profile: Annotated[
        str,
        typer.Option(
            help="where things run: 'embedded' (local lake, local Spark, local Postgres), "
            "'localstack' (the deployed state machine in LocalStack: `liberta localstack "
            "deploy` first) or 's3' (the local runner on an S3 lake at AWS_ENDPOINT_URL)"
        ),
    ] = "embedded",
    since: Annotated[
        str | None, typer.Option(help="window start (ISO-8601); default: watermark - lookback")
    ] = None,
    until: Annotated[str | None, typer.Option(help="window end (ISO-8601); default: now")] = None,
    full_refresh: Annotated[
        bool,
        typer.Option(
            "--full-refresh", help="reprocess every raw partition and replace the warehouse tables"
        ),
    ] = False,
    raw: Annotated[str | None, typer.Option(help="raw events URI (overrides the profile)")] = None,
    curated: Annotated[
        str | None, typer.Option(help="curated output URI (overrides the profile)")
    ] = None,
    lookback_hours: Annotated[
        int | None,
        typer.Option(
            min=0,
            help="hours before the high-water mark an incremental run starts, for late files "
            "(default LIBERTA_LOOKBACK_HOURS or 48)",
        ),
    ] = None,
    run_id: Annotated[str | None, typer.Option(help="run id (default: time + random)")] = None,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="print only errors")] = False,
    as_json: Annotated[bool, typer.Option("--json", help="print the run summary as JSON")] = False,
) -> None:
    """Run the pipeline: bootstrap, choose the window, process events with Spark, load.

    Incremental by default: only raw partitions since the warehouse's high-water mark (minus a
    lookback for late files, LIBERTA_LOOKBACK_HOURS, default 48) are processed. Running twice
    with no new data changes nothing. A failed step stops the run with exit code 1 and leaves
    the warehouse as it was; with the localstack profile, an execution skipped because another
    one is running exits with 3.
    """
    request = RunRequest(
        since=_timestamp(since), until=_timestamp(until), full_refresh=full_refresh, run_id=run_id
    )
    if profile == STATE_MACHINE_PROFILE:
        if raw or curated or lookback_hours is not None:
            raise typer.BadParameter(
                "--raw, --curated and --lookback-hours are set by the deployed stack for the "
                "localstack profile (its buckets, infra/config.py's lookback_hours)"
            )
        from liberta.localstack.run_command import run_on_localstack

        run_on_localstack(request, quiet=quiet, as_json=as_json)
        return
    console = make_console(stderr=True, quiet=quiet or as_json)
    try:
        chosen = profile_named(profile).with_overrides(raw_uri=raw, curated_uri=curated)
        if lookback_hours is not None:
            chosen = replace(chosen, lookback_hours=lookback_hours)
    except ValueError as exc:
        raise typer.BadParameter(str(exc)) from None
    progress = SilentProgress() if (quiet or as_json) else ConsoleProgress(console)
    pipeline = Pipeline(
        profile=chosen,
        db_url=ensure_warehouse(console),
        spark_factory=lambda: _spark(chosen),
        progress=progress,
    )
    try:
        report = pipeline.run(request)
    except PipelineError as failure:
        if as_json:
            print(
                json.dumps({"status": "failed", "step": failure.step, "error": str(failure.cause)})
            )
        make_console(stderr=True).print(
            f"[red]run failed[/] in step [bold]{failure.step}[/]: {failure.cause}"
        )
        raise typer.Exit(1) from None
    if as_json:
        print(json.dumps(report.as_json(), indent=2))
    elif not quiet:
        print_run_summary(make_console(), report)


def _spark(profile):
    from liberta.spark_local import local_spark_session

    return local_spark_session(
        app_name="liberta-local",
        cores=profile.spark_cores,
        driver_memory=profile.spark_driver_memory,
    )


def runs(
    limit: Annotated[int, typer.Option(help="how many of the latest runs")] = 20,
    as_json: Annotated[bool, typer.Option("--json", help="print as JSON")] = False,
) -> None:
    """List past runs from etl.load_log: id, window, counts, status, duration."""
    from liberta.warehouse.db import connect
    from liberta.warehouse.runs import list_runs

    with connect(ensure_warehouse(make_console(stderr=True)), role=ETL_ROLE) as conn:
        records = list_runs(conn, limit=limit)
    if as_json:
        print(json.dumps([asdict(r) for r in records], indent=2, default=str))
        return
    table = Table(show_edge=False)
    for column in (
        "run",
        "status",
        "window",
        "read",
        "valid",
        "quarantined",
        "duplicates",
        "seconds",
    ):
        table.add_column(
            column, justify="left" if column in ("run", "status", "window") else "right"
        )
    for r in records:
        table.add_row(
            r.run_id,
            r.status,
            f"{_short(r.window_since)} .. {_short(r.window_until)}",
            _count(r.rows_read),
            _count(r.rows_valid),
            _count(r.rows_quarantined),
            _count(r.rows_duplicates),
            _duration(r.started_at, r.finished_at),
        )
    if not records:
        make_console(stderr=True).print("no runs recorded yet: try `liberta run`")
        return
    make_console().print(table)


def _short(value: datetime | None) -> str:
    return "–" if value is None else value.strftime("%Y-%m-%d %H:%M")


def _duration(started: datetime, finished: datetime | None) -> str:
    return "–" if finished is None else f"{(finished - started).total_seconds():.1f}"


def _count(value: int | None) -> str:
    return "–" if value is None else f"{value:,}"


def main() -> None:  # pragma: no cover - convenience for `python -m liberta.pipeline.cli`
    typer.run(run)
    sys.exit(0)
