"""The CDK app's local stage deployed into LocalStack, its state machine executed for real.

Deployed once (`liberta localstack deploy`'s code: cdklocal bootstrap + deploy of `app.py`
with `-c stage=local`), then executed on a small generated sample, in order: a full refresh,
an incremental run after one more day landed, a rerun with nothing new, a bad-data failure
(recorded through the Data API, announced on the alert topic), a load failure (rolled back),
two overlapping executions, a refused run id. The figures are compared with the embedded
profile's on the same raw files. EMR Serverless runs the uploaded job package on local Spark
and the Redshift Data API runs the state machine's SQL on the local Postgres: the two
substitutions of the profile (localstack/README.md).
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

import psycopg
import pytest
from typer.testing import CliRunner

from liberta.cli import app
from liberta.localstack.demo import upload_new_files
from liberta.localstack.deploy import StackState, deploy
from liberta.localstack.execution import ExecutionFailed, ExecutionReport, StateMachineRun
from liberta.localstack.run_command import warehouse_url
from liberta.pipeline.demo import (
    DemoPlan,
    first_delivery,
    generate_incoming,
    reset_lake,
    second_delivery,
)
from liberta.pipeline.progress import SilentProgress
from liberta.pipeline.runner import RunRequest
from tests.e2e.test_pipeline_end_to_end import make_pipeline, snapshot, warehouse_figures
from tests.localstack.conftest import LocalStackUnderTest

pytestmark = pytest.mark.slow


@dataclass
class Deployed:
    localstack: LocalStackUnderTest
    stack: StackState
    plan: DemoPlan
    db_url: str  # the stack's warehouse database on the session Postgres
    deploy_seconds: float

    def run(self, request: RunRequest) -> ExecutionReport:
        return StateMachineRun(
            endpoint=self.localstack.endpoint,
            stack=self.stack,
            warehouse_url=self.db_url,
            progress=SilentProgress(),
        ).run(request)

    def upload(self) -> int:
        return upload_new_files(
            self.plan.raw, self.stack.output("RawBucketName"), self.localstack.endpoint
        )

    def client(self, service: str) -> Any:
        return self.localstack.client(service)


def _plan(home: Path) -> DemoPlan:
    return DemoPlan(
        home=home,
        events=3_000,
        players=90,
        days=5,
        seed=17,
        files_per_day=2,
        duplicate_rate=0.02,
        late_rate=0.05,
        corrupt_rate=0.01,
    )


@pytest.fixture(scope="module")
def deployed(
    localstack: LocalStackUnderTest, aws_env: None, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Deployed]:
    result = deploy(localstack.config)
    print(f"\n[localstack] stack deployed in {result.seconds:.0f}s")
    plan = _plan(tmp_path_factory.mktemp("ls-pipeline"))
    generate_incoming(plan)
    reset_lake(plan)
    first_delivery(plan)
    yield Deployed(
        localstack=localstack,
        stack=result.stack,
        plan=plan,
        db_url=warehouse_url(localstack.config, result.stack),
        deploy_seconds=result.seconds,
    )


@pytest.fixture(scope="module")
def embedded_url(pg_server, deployed: Deployed) -> Iterator[str]:
    """A database of its own for the embedded profile's runs on the same raw files."""
    from tests.conftest import fresh_database

    with fresh_database(pg_server, "ls_embedded") as url:
        yield url


@pytest.fixture(scope="module")
def spark() -> Any:
    """The embedded profile's Spark (this process), for the comparison run."""
    from liberta.spark_local import local_spark_session

    return local_spark_session(app_name="liberta-localstack-tests", cores=2, driver_memory="2g")


def _load_log(url: str) -> list[tuple]:
    with psycopg.connect(url) as conn:
        return conn.execute(
            "SELECT run_id, status, full_refresh, failed_step, error FROM etl.load_log "
            "ORDER BY started_at"
        ).fetchall()


def test_the_stack_deploys_with_usable_outputs(deployed: Deployed) -> None:
    outputs = deployed.stack.outputs
    for key in ("RawBucketName", "CuratedBucketName", "StateMachineArn", "RedshiftDatabaseName"):
        assert outputs[key] and outputs[key] != "unknown", key
    assert outputs["RedshiftDatabaseName"] == "liberta_localstack"
    assert outputs["StateMachineArn"].endswith(":stateMachine:liberta-local-pipeline")
    sfn = deployed.client("stepfunctions")
    machines = {m["name"] for m in sfn.list_state_machines()["stateMachines"]}
    assert {"liberta-local-pipeline", "liberta-local-warehouse-setup"} <= machines


def test_a_full_refresh_then_an_incremental_run_give_the_embedded_profiles_figures(
    deployed: Deployed, embedded_url: str, spark
) -> None:
    assert deployed.upload() > 0
    first = deployed.run(RunRequest(full_refresh=True))
    assert first.status == "SUCCEEDED" and first.run.status == "succeeded"
    assert first.run.window is not None and first.run.window.full_refresh
    assert first.run.counts["valid"] > 1_000 and first.run.counts["quarantined"] > 0
    assert set(first.run.step_seconds) == {"bootstrap", "window", "process", "load"}
    assert first.run.rows["f_event"]["inserted"] == first.run.counts["valid"]

    second_delivery(deployed.plan)
    assert deployed.upload() > 0
    second = deployed.run(RunRequest())
    assert second.status == "SUCCEEDED"
    assert second.run.window is not None and not second.run.window.full_refresh
    assert second.run.rows["f_event"]["inserted"] > 0

    # The embedded profile, on the same raw files (the lake the uploads came from), in the
    # same two runs.
    embedded = make_pipeline(deployed.plan, embedded_url, spark)
    plan_raw = deployed.plan.raw
    assert embedded.profile.raw_uri == plan_raw.resolve().as_uri()
    embedded.run(RunRequest(full_refresh=True))
    assert warehouse_figures(deployed.db_url) == warehouse_figures(embedded_url)
    assert _load_log(deployed.db_url)[-1][:4] == (second.run.run_id, "succeeded", False, None)


def test_a_rerun_with_no_new_data_changes_nothing(deployed: Deployed) -> None:
    before = snapshot(deployed.db_url)
    result = CliRunner().invoke(
        app, ["run", "--profile", "localstack", "--json"], env=_cli_env(deployed)
    )
    assert result.exit_code == 0, result.output
    document = json.loads(result.stdout)
    assert document["status"] == "succeeded"
    assert document["execution_arn"].endswith(f":{document['run_id']}")
    # The embedded profile's summary keys, plus the execution's.
    from liberta.pipeline.runner import RunReport

    assert set(RunReport(run_id="x", profile="x").as_json()) <= set(document)
    assert document["profile"] == "localstack" and document["execution_status"] == "SUCCEEDED"
    assert document["error"] is None
    assert document["window"] is not None and document["window"]["full_refresh"] is False
    # The lookback re-reads the last partitions: rows read, none of them new.
    assert document["counts"]["read"] > 0
    assert all(r["inserted"] == 0 and r["updated"] == 0 for r in document["rows"].values())
    assert snapshot(deployed.db_url) == before


def test_status_reports_the_deployed_stack(deployed: Deployed) -> None:
    result = CliRunner().invoke(app, ["localstack", "status", "--json"], env=_cli_env(deployed))
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert report["running"] is True
    assert report["stack"]["deployed"] is True
    assert report["stack"]["outputs"] == deployed.stack.outputs


def _subscribe_queue(deployed: Deployed) -> str:
    sqs, sns = deployed.client("sqs"), deployed.client("sns")
    queue_url = sqs.create_queue(QueueName=f"alerts-{time.monotonic_ns()}")["QueueUrl"]
    queue_arn = sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["QueueArn"])[
        "Attributes"
    ]["QueueArn"]
    sns.subscribe(
        TopicArn=deployed.stack.output("AlertsTopicArn"),
        Protocol="sqs",
        Endpoint=queue_arn,
        Attributes={"RawMessageDelivery": "true"},
    )
    return queue_url


def _messages(deployed: Deployed, queue_url: str) -> list[str]:
    found = deployed.client("sqs").receive_message(
        QueueUrl=queue_url, MaxNumberOfMessages=10, WaitTimeSeconds=5
    )
    return [m["Body"] for m in found.get("Messages", [])]


def test_bad_data_fails_the_spark_step_records_the_run_and_alerts(deployed: Deployed) -> None:
    queue_url = _subscribe_queue(deployed)
    before = snapshot(deployed.db_url)
    day = deployed.plan.last_day + timedelta(days=1)
    bad = deployed.plan.raw / "events" / f"dt={day.isoformat()}" / "garbage.json"
    bad.parent.mkdir(parents=True)
    bad.write_text("".join(f"not json {i}\n" for i in range(400)))
    assert deployed.upload() == 1
    with pytest.raises(ExecutionFailed) as failed:
        deployed.run(RunRequest())
    report = failed.value.report
    assert report.status == "FAILED" and report.failed_state == "RunSparkJob"
    assert "in step process" in (report.run.error or "")
    run_id, status, _full_refresh, step, error = _load_log(deployed.db_url)[-1]
    assert (run_id, status, step) == (report.run.run_id, "failed", "process")
    assert error
    (message,) = _messages(deployed, queue_url)
    assert f"Liberta local run {run_id} failed in step process." in message
    assert "The failed run was recorded in etl.load_log." in message
    assert snapshot(deployed.db_url) == before
    # The bad file leaves the lake again: the later tests run on good data.
    bucket = deployed.stack.output("RawBucketName")
    deployed.client("s3").delete_object(
        Bucket=bucket, Key=bad.relative_to(deployed.plan.raw).as_posix()
    )
    bad.unlink()


def test_a_load_failure_rolls_back_every_table(deployed: Deployed) -> None:
    """A merge fails inside the load transaction (a constraint new rows break, on the last
    fact table merged): nothing of the run stays in any table, the watermark does not move."""
    before = snapshot(deployed.db_url)
    with psycopg.connect(deployed.db_url, autocommit=True) as conn:
        conn.execute(
            "ALTER TABLE analysis.f_revenue ADD CONSTRAINT no_new_rows CHECK (false) NOT VALID"
        )
    try:
        with pytest.raises(ExecutionFailed) as failed:
            deployed.run(RunRequest(full_refresh=True))
    finally:
        with psycopg.connect(deployed.db_url, autocommit=True) as conn:
            conn.execute("ALTER TABLE analysis.f_revenue DROP CONSTRAINT no_new_rows")
    report = failed.value.report
    assert report.failed_state == "LoadBatchFailed"
    assert "Liberta.SqlFailed in step load" in (report.run.error or "")
    assert "no_new_rows" in (report.run.error or "")
    assert snapshot(deployed.db_url) == before
    assert _load_log(deployed.db_url)[-1][1:4] == ("failed", True, "load")


def test_an_execution_started_while_another_runs_is_skipped(deployed: Deployed) -> None:
    """The single-run guard: the later execution ends skipped at once, naming the running
    one; the running one is then stopped (an operator's abort), which records nothing."""
    sfn = deployed.client("stepfunctions")
    arn = deployed.stack.output("StateMachineArn")
    first = sfn.start_execution(stateMachineArn=arn, name="overlap-first", input="{}")
    second = sfn.start_execution(stateMachineArn=arn, name="overlap-second", input="{}")
    deadline = time.monotonic() + 300
    while (described := sfn.describe_execution(executionArn=second["executionArn"]))[
        "status"
    ] == "RUNNING" and time.monotonic() < deadline:
        time.sleep(0.5)
    assert described["status"] == "SUCCEEDED"
    skipped = json.loads(described["output"])["skipped"]
    assert skipped["running"] == first["executionArn"]
    assert sfn.describe_execution(executionArn=first["executionArn"])["status"] == "RUNNING"
    sfn.stop_execution(executionArn=first["executionArn"], cause="test: stop the first run")
    deadline = time.monotonic() + 60
    while (stopped := sfn.describe_execution(executionArn=first["executionArn"]))[
        "status"
    ] == "RUNNING" and time.monotonic() < deadline:
        time.sleep(0.5)
    assert stopped["status"] == "ABORTED"
    runs = {row[0] for row in _load_log(deployed.db_url)}
    assert "overlap-second" not in runs


def test_a_refused_run_id_fails_before_anything_runs(deployed: Deployed) -> None:
    sfn = deployed.client("stepfunctions")
    started = sfn.start_execution(
        stateMachineArn=deployed.stack.output("StateMachineArn"), name="-starts-with-a-dash"
    )
    deadline = time.monotonic() + 120
    while (described := sfn.describe_execution(executionArn=started["executionArn"]))[
        "status"
    ] == "RUNNING" and time.monotonic() < deadline:
        time.sleep(0.5)
    assert described["status"] == "FAILED"
    history = sfn.get_execution_history(executionArn=started["executionArn"])["events"]
    entered = [
        e["stateEnteredEventDetails"]["name"] for e in history if "stateEnteredEventDetails" in e
    ]
    assert "InvalidRunId" in entered and "ListRunningExecutions" not in entered


def _cli_env(deployed: Deployed) -> dict[str, str]:
    return {
        "LIBERTA_HOME": str(deployed.localstack.home),
        "LIBERTA_LOCALSTACK_PORT": str(deployed.localstack.config.port),
        "LIBERTA_DB_URL": deployed.localstack.db_url("postgres"),
    }


# Step Functions' limit on a state's input or output (and LocalStack enforces it).
PAYLOAD_LIMIT = 256 * 1024


def test_the_state_stays_small_and_the_payload_limit_is_enforced(deployed: Deployed) -> None:
    """Issue 10, item 3, executed: a real run's state stays a few KiB whatever the data (file
    lists travel in COPY manifests); the largest is the rendered load SQL, fixed in size and
    dropped at its submission. A state over 256 KiB fails the execution with
    States.DataLimitExceeded, as on AWS."""
    sfn = deployed.client("stepfunctions")
    arn = deployed.stack.output("StateMachineArn")
    (latest, *_) = [
        e
        for e in sfn.list_executions(stateMachineArn=arn)["executions"]
        if e["status"] == "SUCCEEDED" and not e["name"].startswith("overlap-")
    ]
    sizes: dict[str, int] = {}
    for page in sfn.get_paginator("get_execution_history").paginate(
        executionArn=latest["executionArn"]
    ):
        for event in page["events"]:
            for key in ("stateEnteredEventDetails", "stateExitedEventDetails"):
                details = event.get(key)
                if details:
                    size = len(details.get("input") or details.get("output") or "")
                    sizes[details["name"]] = max(size, sizes.get(details["name"], 0))
    with_sql = {"LoadBatchRenderSql", "LoadBatch"}  # the rendered SQL, until submitted
    assert max(sizes[n] for n in with_sql) < 32 * 1024
    others = {n: size for n, size in sizes.items() if n not in with_sql}
    assert len(others) > 30 and max(others.values()) < 8 * 1024, others

    big = {
        "StartAt": "Grow",
        "States": {
            "Grow": {"Type": "Pass", "Result": {"blob": "x" * (PAYLOAD_LIMIT + 1)}, "End": True}
        },
    }
    machine = sfn.create_state_machine(
        name=f"payload-{time.monotonic_ns()}",
        definition=json.dumps(big),
        roleArn=deployed.stack.output("PipelineRoleArn"),
    )["stateMachineArn"]
    started = sfn.start_execution(stateMachineArn=machine, input="{}")["executionArn"]
    deadline = time.monotonic() + 60
    while (described := sfn.describe_execution(executionArn=started))[
        "status"
    ] == "RUNNING" and time.monotonic() < deadline:
        time.sleep(0.5)
    assert described["status"] == "FAILED"
    assert described["error"] == "States.DataLimitExceeded"
