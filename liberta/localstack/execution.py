"""`liberta run --profile localstack`: an execution of the deployed state machine, followed.

Starts the pipeline state machine of the `local` stack with the run's input (the same input a
data engineer gives it on AWS), follows the execution (current step and state, elapsed, the
Spark job run's state), then reports what the embedded profile reports: the run's counts from
its manifest in the curated bucket, its rows per table from `etl.load_table_stats`, step
durations from the execution history; or the failing state and its cause.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from contextlib import ExitStack
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from liberta.localstack.deploy import DeployError, StackState, client
from liberta.pipeline.progress import Progress
from liberta.pipeline.runner import RunReport, RunRequest
from liberta.pipeline.window import Window
from liberta_core import layout
from liberta_core.run_id import check_run_id, new_run_id
from liberta_core.steps import PIPELINE_STEPS
from liberta_core.timestamps import format_timestamp, parse_timestamp

# The state machine's markers of each pipeline step (liberta_core.steps), and its ends.
STEP_BY_STATE = {step.state: step for step in PIPELINE_STEPS}
SKIPPED_STATE = "SkippedRunInProgress"
FAILURE_ENTRY = "FailureHasCause?"
POLL_SECONDS = 1.0


class ExecutionFailed(RuntimeError):
    """The execution ended FAILED (or TIMED_OUT / ABORTED); the report says where and why."""

    def __init__(self, report: ExecutionReport) -> None:
        super().__init__(report.run.error or "the execution failed")
        self.report = report


@dataclass
class ExecutionReport:
    run: RunReport
    execution_arn: str
    status: str  # SUCCEEDED | FAILED | TIMED_OUT | ABORTED
    failed_state: str | None = None
    skipped_because: str | None = None

    def as_json(self) -> dict[str, Any]:
        document = self.run.as_json()
        document["execution_arn"] = self.execution_arn
        document["execution_status"] = self.status
        document["failed_state"] = self.failed_state
        if self.skipped_because is not None:
            document["skipped_because"] = self.skipped_because
        return document


def execution_input(request: RunRequest) -> dict[str, Any]:
    """What a data engineer would type into the console: only the fields that were given."""
    document: dict[str, Any] = {}
    if request.since is not None:
        document["since"] = format_timestamp(request.since)
    if request.until is not None:
        document["until"] = format_timestamp(request.until)
    if request.full_refresh:
        document["full_refresh"] = True
    return document


@dataclass(kw_only=True)
class StateMachineRun:
    """One execution of the deployed pipeline, against LocalStack at `endpoint`."""

    endpoint: str
    stack: StackState
    warehouse_url: str  # the local Postgres database the Data API serves
    progress: Progress
    clock: Callable[[], datetime] = lambda: datetime.now(UTC)

    def run(self, request: RunRequest) -> ExecutionReport:
        if not self.stack.deployed:
            raise DeployError(
                f"stack {self.stack.name} is not deployed in LocalStack: run "
                "`liberta localstack deploy` first"
            )
        sfn = client("stepfunctions", self.endpoint)
        run_id = check_run_id(request.run_id) if request.run_id else new_run_id(self.clock())
        started = sfn.start_execution(
            stateMachineArn=self.stack.output("StateMachineArn"),
            name=run_id,
            input=json.dumps(execution_input(request)),
        )
        arn = started["executionArn"]
        described = self._follow(sfn, arn)
        history = _history(sfn, arn)
        report = self._report(run_id, described, history)
        if report.status != "SUCCEEDED":
            raise ExecutionFailed(report)
        return report

    # -- following ---------------------------------------------------------------------------
    def _follow(self, sfn: Any, arn: str) -> dict[str, Any]:
        emr = client("emr-serverless", self.endpoint)
        with ExitStack() as steps:
            current_step = None
            while True:
                described = sfn.describe_execution(executionArn=arn)
                state = _latest_state(sfn, arn)
                step = STEP_BY_STATE.get(state) if state else None
                if step is not None and step is not current_step:
                    steps.close()
                    steps.enter_context(self.progress.step(step.name, step.title))
                    current_step = step
                if state:
                    self.progress.detail(self._detail(state, described, emr))
                if described["status"] != "RUNNING":
                    return described
                time.sleep(POLL_SECONDS)

    def _detail(self, state: str, described: dict[str, Any], emr: Any) -> str:
        if state == "RunSparkJob":
            job = _running_job(emr, described["name"])
            if job is not None:
                return f"{state} · Spark job run {job['state']}"
        return state

    # -- the report --------------------------------------------------------------------------
    def _report(
        self, run_id: str, described: dict[str, Any], history: list[dict[str, Any]]
    ) -> ExecutionReport:
        run = RunReport(run_id=run_id, profile="localstack")
        run.step_seconds = _step_seconds(history, described)
        status = described["status"]
        report = ExecutionReport(run=run, execution_arn=described["executionArn"], status=status)
        if status == "SUCCEEDED":
            output = json.loads(described.get("output") or "{}")
            if "skipped" in output:
                run.status = "skipped"
                report.skipped_because = output["skipped"]["running"]
                return report
            run.status = "succeeded"
            run.window = _window(output.get("window"))
            self._read_run(run)
            return report
        run.status = "failed"
        report.failed_state, data = _failure(history)
        error = (data or {}).get("error") or {}
        step = ((data or {}).get("step") or {}).get("name")
        if data and data.get("window"):
            run.window = _window(data["window"])
        cause = error.get("Cause") or "no cause was reported"
        name = error.get("Error") or described.get("error") or status
        where = f" in step {step}" if step else ""
        run.error = f"{name}{where} (state {report.failed_state}): {cause}"
        return report

    def _read_run(self, run: RunReport) -> None:
        """Counts from the run's manifest (curated bucket), rows from etl.load_table_stats."""
        from liberta.warehouse.db import connect

        curated = f"s3://{self.stack.output('CuratedBucketName')}"
        run.manifest_uri = layout.manifest_uri(curated, run.run_id)
        bucket, key = run.manifest_uri[len("s3://") :].split("/", 1)
        body = client("s3", self.endpoint).get_object(Bucket=bucket, Key=key)["Body"].read()
        document = json.loads(body)
        run.counts = dict(document["counts"])
        run.quarantine_by_reason = dict(document["quarantine"]["by_reason"])
        run.high_water_mark = document["high_water_mark"]
        with connect(self.warehouse_url) as conn:
            rows = conn.execute(
                "SELECT s.table_name, s.rows_staged, s.rows_inserted, s.rows_updated "
                "FROM etl.load_table_stats AS s JOIN etl.load_log AS l "
                "ON l.run_id = s.run_id AND l.started_at = s.started_at "
                "WHERE s.run_id = %s AND l.status = 'succeeded' "
                "ORDER BY l.started_at DESC",
                (run.run_id,),
            ).fetchall()
        for table, staged, inserted, updated in rows:
            run.rows.setdefault(table, {"staged": staged, "inserted": inserted, "updated": updated})


# -- reading an execution ----------------------------------------------------------------------
def _history(sfn: Any, arn: str) -> list[dict[str, Any]]:
    events: list[dict[str, Any]] = []
    for page in sfn.get_paginator("get_execution_history").paginate(executionArn=arn):
        events += page["events"]
    return events


def _latest_state(sfn: Any, arn: str) -> str | None:
    page = sfn.get_execution_history(executionArn=arn, reverseOrder=True, maxResults=25)
    for event in page["events"]:
        details = event.get("stateEnteredEventDetails")
        if details:
            return details["name"]
    return None


def _entered(history: list[dict[str, Any]]) -> list[tuple[str, datetime, dict[str, Any]]]:
    found = []
    for event in history:
        details = event.get("stateEnteredEventDetails")
        if details:
            data = json.loads(details.get("input") or "null")
            found.append((details["name"], event["timestamp"], data))
    return found


def _step_seconds(history: list[dict[str, Any]], described: dict[str, Any]) -> dict[str, float]:
    """Seconds from each step's marker state to the next marker (the last: to the end)."""
    marks = [
        (STEP_BY_STATE[name].name, at) for name, at, _ in _entered(history) if name in STEP_BY_STATE
    ]
    end = described.get("stopDate") or (history[-1]["timestamp"] if history else None)
    seconds: dict[str, float] = {}
    for index, (name, at) in enumerate(marks):
        until = marks[index + 1][1] if index + 1 < len(marks) else end
        if until is not None:
            seconds[name] = (until - at).total_seconds()
    return seconds


def _failure(history: list[dict[str, Any]]) -> tuple[str | None, dict[str, Any] | None]:
    """The state that failed (the last one entered before the failure path) and the state
    data the failure path ended with (its error, step and window)."""
    entered = _entered(history)
    names = [name for name, _, _ in entered]
    failed_state = None
    if FAILURE_ENTRY in names:
        index = names.index(FAILURE_ENTRY)
        failed_state = names[index - 1] if index > 0 else None
    data = entered[-1][2] if entered else None
    return failed_state, data


def _window(document: dict[str, Any] | None) -> Window | None:
    if not document:
        return None
    since = document.get("since")
    return Window(
        since=parse_timestamp(since) if since else None,
        until=parse_timestamp(document["until"]),
        full_refresh=bool(document["full_refresh"]),
    )


def _running_job(emr: Any, run_id: str) -> dict[str, Any] | None:
    """The Spark job run of this execution (named liberta-job-<run id>), if any."""
    try:
        for application in emr.list_applications()["applications"]:
            for job in emr.list_job_runs(applicationId=application["id"])["jobRuns"]:
                if job.get("name") == f"liberta-job-{run_id}":
                    return job
    except Exception:  # progress only: never fail a run for it
        return None
    return None
