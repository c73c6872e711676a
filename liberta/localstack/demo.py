"""`liberta localstack demo` (`make localstack-demo`): `make demo`, on the deployed stack.

Generate a sample, deploy the CDK app's local stage, upload the first delivery to the stack's
raw bucket, execute the state machine (a full refresh), upload one more day, execute again
(incremental), print the figures: every step as on AWS, with the two substitutions of the
LocalStack profile (EMR Serverless on local Spark, the Redshift Data API on the local Postgres).
"""

from __future__ import annotations

import time
from datetime import timedelta
from pathlib import Path
from typing import Annotated

import typer

from liberta.config import liberta_home
from liberta.console import make_console
from liberta.localstack import runtime
from liberta.localstack.deploy import DeployError, client, deploy
from liberta.localstack.execution import ExecutionFailed
from liberta.localstack.run_command import print_execution, state_machine_run, warehouse_url
from liberta.pipeline.demo import (
    DemoPlan,
    first_delivery,
    generate_incoming,
    reset_lake,
    second_delivery,
)
from liberta.pipeline.progress import ConsoleProgress
from liberta.pipeline.runner import RunRequest
from liberta.pipeline.warehouse_access import redacted
from liberta.report.cli import print_kpis
from liberta_core.layout import RAW_EVENTS_PREFIX


def upload_new_files(local_raw: Path, bucket: str, endpoint: str) -> int:
    """Upload the lake's files the bucket does not have yet (`events/dt=.../<file>`)."""
    s3 = client("s3", endpoint)
    present: set[str] = set()
    for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket):
        present.update(item["Key"] for item in page.get("Contents", []))
    uploaded = 0
    for path in sorted(local_raw.rglob("*")):
        key = path.relative_to(local_raw).as_posix()
        if path.is_file() and key not in present:
            s3.upload_file(str(path), bucket, key)
            uploaded += 1
    return uploaded


def empty_bucket(bucket: str, endpoint: str) -> None:
    s3 = client("s3", endpoint)
    for page in s3.get_paginator("list_object_versions").paginate(Bucket=bucket):
        objects = [
            {"Key": v["Key"], "VersionId": v["VersionId"]}
            for v in page.get("Versions", []) + page.get("DeleteMarkers", [])
        ]
        if objects:
            s3.delete_objects(Bucket=bucket, Delete={"Objects": objects})


def demo(
    events: Annotated[int, typer.Option(help="valid events to generate")] = 100_000,
    players: Annotated[int, typer.Option(help="players to simulate")] = 3_000,
    days: Annotated[int, typer.Option(help="days of play")] = DemoPlan.days,
    home: Annotated[
        Path | None, typer.Option(help="state directory (default $LIBERTA_HOME or ./.liberta)")
    ] = None,
) -> None:
    """Deploy the local stage, then generate -> upload -> full run -> one more day ->
    incremental run -> figures, all through the deployed state machine.

    Needs a running LocalStack (`liberta localstack up`). The first run is a full refresh and
    the raw bucket is emptied first, so running the demo again starts from a clean warehouse.
    """
    started = time.monotonic()
    console = make_console()
    plan = DemoPlan(
        home=(home or liberta_home()).resolve() / "localstack-demo",
        events=events,
        players=players,
        days=days,
    )
    config = runtime.LocalStackConfig.from_env()
    try:
        console.rule("[bold]1/6 Deploy the CDK app's local stage into LocalStack")
        with console.status("cdklocal bootstrap + deploy"):
            deployed = deploy(config)
        stack = deployed.stack
        console.print(f"[green]✓[/] {stack.name} deployed in {deployed.seconds:.0f}s")
        raw_bucket = stack.output("RawBucketName")

        console.rule("[bold]2/6 Generate raw events")
        with console.status(f"Generating {events:,} events for {players:,} players"):
            summary = generate_incoming(plan)
        console.print(f"[green]✓[/] generated {summary.lines['read']:,} lines into {plan.incoming}")
        reset_lake(plan)
        empty_bucket(raw_bucket, config.endpoint)
        first_delivery(plan)
        uploaded = upload_new_files(plan.raw, raw_bucket, config.endpoint)
        console.print(
            f"uploaded {uploaded} files for {plan.start_date} .. "
            f"{plan.last_day - timedelta(days=1)} to s3://{raw_bucket}/{RAW_EVENTS_PREFIX}"
        )

        pipeline = state_machine_run(ConsoleProgress(console))
        console.rule("[bold]3/6 First execution (full refresh)")
        print_execution(console, pipeline.run(RunRequest(full_refresh=True)))

        console.rule("[bold]4/6 One more day lands")
        second_delivery(plan)
        uploaded = upload_new_files(plan.raw, raw_bucket, config.endpoint)
        console.print(f"uploaded {uploaded} files for {plan.last_day} (and late files)")

        console.rule("[bold]5/6 Second execution (incremental)")
        print_execution(console, pipeline.run(RunRequest()))
    except ExecutionFailed as failure:
        print_execution(console, failure.report)
        console.print(f"[red]demo failed[/]: {failure.report.run.error}")
        raise typer.Exit(1) from None
    except (DeployError, runtime.LocalStackError) as exc:
        console.print(f"[red]demo failed[/]: {exc}")
        raise typer.Exit(1) from None

    console.rule("[bold]6/6 Results (read as liberta_analyst)")
    db_url = warehouse_url(config, stack)
    print_kpis(console, db_url, days=14)
    console.print(f"warehouse: {redacted(db_url)}")
    console.print(f"demo finished in {time.monotonic() - started:.0f}s")
