"""`liberta demo`: the whole pipeline on a generated sample, twice, then the figures."""

from __future__ import annotations

import time
from datetime import timedelta
from pathlib import Path
from typing import Annotated

import typer

from liberta.config import embedded_profile, liberta_home
from liberta.console import make_console
from liberta.pipeline.demo import (
    DemoPlan,
    first_delivery,
    generate_incoming,
    reset_lake,
    second_delivery,
)
from liberta.pipeline.progress import ConsoleProgress
from liberta.pipeline.runner import Pipeline, PipelineError, RunRequest
from liberta.pipeline.summary import print_run_summary
from liberta.pipeline.warehouse_access import ensure_warehouse
from liberta.report.cli import print_kpis, write_report


def demo(
    events: Annotated[int, typer.Option(help="valid events to generate")] = DemoPlan.events,
    players: Annotated[int, typer.Option(help="players to simulate")] = DemoPlan.players,
    days: Annotated[int, typer.Option(help="days of play")] = DemoPlan.days,
    home: Annotated[
        Path | None, typer.Option(help="state directory (default $LIBERTA_HOME or ./.liberta)")
    ] = None,
) -> None:
    """Generate a sample, run the pipeline, land one more day, run again, show the figures.

    Uses the embedded profile: a lake under <home>/demo, local Spark and the project's own
    Postgres (started if needed). The first run is a full refresh, so running the demo again
    starts from a clean warehouse.
    """
    started = time.monotonic()
    console = make_console()
    plan = DemoPlan(
        home=(home or liberta_home()).resolve(), events=events, players=players, days=days
    )
    profile = embedded_profile(plan.home).with_overrides(
        raw_uri=str(plan.raw), curated_uri=str(plan.curated)
    )

    console.rule("[bold]1/5 Local warehouse")
    db_url = ensure_warehouse(console)

    console.rule("[bold]2/5 Generate raw events")
    with console.status(f"Generating {events:,} events for {players:,} players over {days} days"):
        summary = generate_incoming(plan)
    console.print(
        f"[green]✓[/] generated {summary.lines['read']:,} lines into {plan.incoming} "
        f"({summary.lines.get('invalid', 0):,} corrupt, "
        f"{summary.lines.get('duplicates', 0):,} duplicates, "
        f"{summary.late.get('lines', 0):,} in late files)"
    )
    reset_lake(plan)
    landed = first_delivery(plan)
    console.print(
        f"landed {landed} files for {plan.start_date} .. {plan.last_day - timedelta(days=1)} "
        f"in {plan.raw}"
    )

    pipeline = Pipeline(
        profile=profile,
        db_url=db_url,
        spark_factory=lambda: _spark(),
        progress=ConsoleProgress(console),
    )
    try:
        console.rule("[bold]3/5 First run (full refresh)")
        print_run_summary(console, pipeline.run(RunRequest(full_refresh=True)))

        landed = second_delivery(plan)
        console.rule("[bold]4/5 One more day lands: incremental run")
        console.print(f"landed {landed} files for {plan.last_day} (and late files) in {plan.raw}")
        print_run_summary(console, pipeline.run(RunRequest()))
    except PipelineError as failure:
        console.print(f"[red]demo failed[/] in step [bold]{failure.step}[/]: {failure.cause}")
        raise typer.Exit(1) from None

    console.rule("[bold]5/5 Results")
    print_kpis(console, db_url, days=14)
    report_path = write_report(db_url, profile.reports_dir / "report.html")
    console.print(f"\nreport: [bold]{report_path}[/]")
    console.print(
        f"warehouse: {db_url}  (try: liberta db psql, then SELECT * FROM analysis.v_daily_kpis)"
    )
    console.print(f"demo finished in {time.monotonic() - started:.0f}s")


def _spark():
    from liberta.spark_local import local_spark_session

    return local_spark_session(app_name="liberta-demo")
