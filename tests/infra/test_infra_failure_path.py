"""Executions of the synthesized state machine against fake AWS calls (tests/infra/asl_sim.py).

Each scenario makes one call fail and follows the execution: the failed run is written to
etl.load_log with the SQL of redshift_sql/ and Data API parameters, then the failure is
notified, then the execution fails; a failed recording never hides the original error.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import Any

import pytest
from asl_sim import STATE_MACHINE_ARN, Execution, TaskFailed, execution_arn, run
from infra_synth import REPO, Synth

from liberta_core.run_id import RULE_TEXT, check_run_id
from liberta_core.sql import RUN_COUNT_COLUMNS

START_TIME = "2026-11-02T02:30:00.123Z"
EXECUTE = "arn:aws:states:::aws-sdk:redshiftdata:executeStatement"
BATCH = "arn:aws:states:::aws-sdk:redshiftdata:batchExecuteStatement"
DESCRIBE = "arn:aws:states:::aws-sdk:redshiftdata:describeStatement"
RESULT = "arn:aws:states:::aws-sdk:redshiftdata:getStatementResult"
CANCEL = "arn:aws:states:::aws-sdk:redshiftdata:cancelStatement"
LIST_EXECUTIONS = "arn:aws:states:::aws-sdk:sfn:listExecutions"
START_SETUP = "arn:aws:states:::states:startExecution.sync:2"
SNS = "arn:aws:states:::sns:publish"
THIS_EXECUTION = execution_arn(STATE_MACHINE_ARN, "run-1")
# What the load log holds for a loaded run (select_run_counts.sql's columns, in order).
RUN_COUNTS = dict(zip(RUN_COUNT_COLUMNS, range(100, 100 + len(RUN_COUNT_COLUMNS)), strict=True))


def cell(value: Any) -> dict[str, Any]:
    """A Data API result cell as Step Functions' aws-sdk integration returns it (PascalCase)."""
    if value is None:
        return {"IsNull": True}
    if isinstance(value, bool):
        return {"BooleanValue": value}
    if isinstance(value, int):
        return {"LongValue": value}
    return {"StringValue": value}


@dataclass
class FakeAws:
    """Every call succeeds unless `fail` names the state (raise) or `sql_fails` names the
    state that submitted a statement (the statement ends FAILED with that error).

    `running_before` are other executions of the pipeline that started before this one
    (ListExecutions lists newest first, this execution included). A statement is FINISHED
    after `polls_until_finished` status calls; those of `never_finish` keep running.
    """

    fail: dict[str, TaskFailed] = field(default_factory=dict)
    sql_fails: dict[str, str] = field(default_factory=dict)
    watermark: str | None = "2026-11-01T02:00:00Z"
    running_before: list[str] = field(default_factory=list)
    polls_until_finished: int = 1
    never_finish: tuple[str, ...] = ()
    aborted: tuple[str, ...] = ()
    statements: dict[str, str] = field(default_factory=dict)
    polls: dict[str, int] = field(default_factory=dict)
    cancelled: list[str] = field(default_factory=list)
    window_parameters: dict[str, str] = field(default_factory=dict)

    def window_row(self) -> list[dict[str, Any]]:
        """A canned select_window.sql row (the rule itself: test_infra_window.py)."""
        until = START_TIME[:19] + "Z"
        if self.window_parameters["full_refresh"] == "true" or self.watermark is None:
            return [cell(None), cell(True), cell(None), cell(until)]
        return [cell(None), cell(False), cell(self.watermark), cell(until)]

    def result(self, submitted_by: str) -> dict[str, Any]:
        if submitted_by == "ReadWindow":
            return {"Records": [self.window_row()], "TotalNumRows": 1}
        if submitted_by == "ReadRunCounts":
            return {"Records": [[cell(v) for v in RUN_COUNTS.values()]], "TotalNumRows": 1}
        raise AssertionError(f"{submitted_by} reads no result")

    def __call__(self, state: str, resource: str, parameters: Any) -> Any:
        if state in self.fail:
            raise self.fail[state]
        if resource in (EXECUTE, BATCH):
            statement_id = f"id-{state}"
            self.statements[statement_id] = state
            if state == "ReadWindow":
                self.window_parameters = {p["Name"]: p["Value"] for p in parameters["Parameters"]}
            return {"Id": statement_id}
        if resource == DESCRIBE:
            submitted_by = self.statements[parameters["Id"]]
            self.polls[submitted_by] = self.polls.get(submitted_by, 0) + 1
            if (
                self.polls[submitted_by] < self.polls_until_finished
                or submitted_by in self.never_finish
            ):
                return {"Id": parameters["Id"], "Status": "STARTED"}
            if submitted_by in self.sql_fails:
                return {"Status": "FAILED", "Error": self.sql_fails[submitted_by]}
            if submitted_by in self.aborted:
                return {"Status": "ABORTED"}  # no Error field
            return {"Status": "FINISHED", "HasResultSet": True}
        if resource == RESULT:
            return self.result(self.statements[parameters["Id"]])
        if resource == CANCEL:
            self.cancelled.append(self.statements[parameters["Id"]])
            return {"Status": True}
        if resource == LIST_EXECUTIONS:
            newest_first = [THIS_EXECUTION, *reversed(self.running_before)]
            return {"Executions": [{"ExecutionArn": a, "Status": "RUNNING"} for a in newest_first]}
        if resource == START_SETUP:
            return {"Status": "SUCCEEDED", "Output": "{}"}
        if resource.endswith("createCluster.sync"):
            return {"ClusterId": "j-1"}
        if resource.endswith("addStep.sync"):
            return {"Step": {"Id": "s-1"}}
        if resource.endswith("startJobRun.sync"):
            return {"ApplicationId": "app-1", "JobRunId": "jr-1", "Arn": "arn:jr-1"}
        if resource.endswith(("terminateCluster.sync", "cloudwatch:putMetricData")):
            return {}
        if resource == SNS:
            return {"MessageId": "m-1"}
        raise AssertionError(f"{state}: no fake for {resource}")


def execute(
    synth: Synth,
    aws: FakeAws,
    execution_input: Any | None = None,
    *,
    name: str = "run-1",
    max_transitions: int = 5000,
) -> Execution:
    return run(
        synth.asl,
        execution_input or {},
        aws,
        execution_name=name,
        start_time=START_TIME,
        max_transitions=max_transitions,
    )


def recorded_row(execution: Execution) -> dict[str, str]:
    (call,) = execution.calls_to("RecordFailedRun")
    assert call.resource == EXECUTE
    return {p["Name"]: p["Value"] for p in call.parameters["Parameters"]}


def failure_message(execution: Execution) -> str:
    (call,) = execution.calls_to("NotifyFailure")
    return call.parameters["Message"]


def order(execution: Execution, *states: str) -> list[int]:
    return [execution.visited.index(s) for s in states]


def test_a_successful_run_records_no_failure(synth: Synth) -> None:
    execution = execute(synth, FakeAws())
    assert execution.status == "SUCCEEDED" and execution.end_state == "Done"
    assert "LoadBatch" in execution.visited
    assert not execution.calls_to("RecordFailedRun")
    assert not execution.calls_to("NotifyFailure")
    # The metrics are the warehouse's counts of the run (select_run_counts.sql), by name.
    (metrics,) = execution.calls_to("PublishRunMetrics")
    values = {m["MetricName"]: m["Value"] for m in metrics.parameters["MetricData"]}
    assert values["EventsRead"] == RUN_COUNTS["rows_read"]
    assert values["EventsQuarantined"] == RUN_COUNTS["rows_quarantined"]
    rows = {
        m["Dimensions"][1]["Value"]: m["Value"]
        for m in metrics.parameters["MetricData"]
        if m["MetricName"] == "RowsLoaded"
    }
    assert rows == {c.removeprefix("rows_"): v for c, v in RUN_COUNTS.items() if c[5:7] in "d_f_"}


def test_prod_notifies_a_success_with_the_counts(synth: Synth) -> None:
    execution = execute(synth, FakeAws())
    sent = execution.calls_to("NotifySuccess")
    if synth.stage != "prod":
        assert not sent
        return
    (call,) = sent
    assert call.resource == SNS
    assert call.parameters["Message"] == (
        f"Liberta prod run run-1 loaded: {RUN_COUNTS['rows_read']} events read, "
        f"{RUN_COUNTS['rows_valid']} valid, {RUN_COUNTS['rows_quarantined']} quarantined, "
        f"{RUN_COUNTS['rows_duplicates']} duplicates."
    )


@pytest.mark.parametrize("failing", ["ReadRunCounts", "PublishRunMetrics", "NotifySuccess"])
def test_nothing_after_the_commit_turns_a_loaded_run_into_a_failed_one(
    synth: Synth, failing: str
) -> None:
    """Issue 10, items 1 and 7: after LoadBatch committed, reading the counts, publishing
    metrics or notifying may fail (an SNS key problem, a throttled API), but the run stays
    succeeded: no `failed` row, no failure notification."""
    if failing == "NotifySuccess" and synth.stage != "prod":
        pytest.skip("dev sends no success notification")
    execution = execute(synth, FakeAws(fail={failing: TaskFailed("SNS.KMSAccessDenied", "x")}))
    assert execution.status == "SUCCEEDED" and execution.end_state == "Done"
    assert not execution.calls_to("RecordFailedRun")
    assert not execution.calls_to("NotifyFailure")


def test_a_failed_load_is_recorded_then_notified_then_fails(synth: Synth) -> None:
    aws = FakeAws(sql_fails={"LoadBatch": "ERROR: quality gate: 3 orphan facts"})
    execution = execute(synth, aws)
    assert execution.end_state == "PipelineFailed" and execution.status == "FAILED"
    assert recorded_row(execution) == {
        "run_id": "run-1",
        "started_at": START_TIME,
        "full_refresh": "false",
        "error": "Liberta.SqlFailed: LoadBatch failed in Redshift: ERROR: quality gate: "
        "3 orphan facts",
        "failed_step": "load",
    }
    load, record, notify, fail = order(
        execution, "LoadBatchFailed", "RecordFailedRun", "NotifyFailure", "PipelineFailed"
    )
    assert load < record < notify < fail
    assert failure_message(execution) == (
        f"Liberta {synth.stage} run run-1 failed in step load. Error: Liberta.SqlFailed. "
        "Cause: LoadBatch failed in Redshift: ERROR: quality gate: 3 orphan facts. "
        "The failed run was recorded in etl.load_log."
    )


def test_a_statement_cancelled_in_redshift_fails_the_run(synth: Synth) -> None:
    """An ABORTED statement (cancelled by an operator) has no Error: the state machine does
    not read one (a missing field in a ResultSelector is an uncatchable States.Runtime)."""
    execution = execute(synth, FakeAws(aborted=("LoadBatch",)))
    assert execution.end_state == "PipelineFailed"
    assert recorded_row(execution)["error"] == (
        "Liberta.SqlAborted: LoadBatch was cancelled in Redshift before it finished"
    )


def test_a_post_load_check_violation_fails_the_load_itself(synth: Synth) -> None:
    """Issue 10, item 7: the checks are statements of the load batch (one transaction, the
    violation raises before COMMIT); a violation is a failed LoadBatch, nothing else runs."""
    aws = FakeAws(sql_fails={"LoadBatch": "ERROR: post-load check failed: orphan_facts (3)"})
    execution = execute(synth, aws)
    assert "LoadBatchFinished" not in execution.visited
    assert "ReadRunCounts" not in execution.visited
    assert recorded_row(execution)["failed_step"] == "load"
    assert not [n for n in synth.asl["States"] if n.startswith("Check")]


def test_a_failed_full_refresh_records_full_refresh_true(synth: Synth) -> None:
    aws = FakeAws(fail={"LoadBatch": TaskFailed("X.Y", "z")})
    execution = execute(synth, aws, {"full_refresh": True})
    assert recorded_row(execution)["full_refresh"] == "true"
    assert recorded_row(execution)["error"] == "X.Y: z"


def test_a_failed_spark_job_is_recorded_after_the_cluster_is_terminated(synth: Synth) -> None:
    aws = FakeAws(fail={"RunSparkJob": TaskFailed("States.TaskFailed", "Step failed")})
    execution = execute(synth, aws)
    assert execution.end_state == "PipelineFailed"
    row = recorded_row(execution)
    assert row["full_refresh"] == "false"  # the window (from the watermark) was known
    assert row["error"] == "States.TaskFailed: Step failed"
    assert row["failed_step"] == "process"
    if synth.emr_mode == "cluster":
        terminate, record = order(execution, "TerminateClusterAfterFailure", "RecordFailedRun")
        assert terminate < record
    else:
        assert "TerminateClusterAfterFailure" not in execution.visited


def test_a_failed_first_run_records_its_full_refresh(synth: Synth) -> None:
    aws = FakeAws(watermark=None, fail={"RunSparkJob": TaskFailed("States.Timeout", "4 h")})
    execution = execute(synth, aws)
    assert "FullRefreshWindow" in execution.visited
    assert recorded_row(execution)["full_refresh"] == "true"


def test_a_failure_before_the_window_records_full_refresh_unknown(synth: Synth) -> None:
    aws = FakeAws(fail={"ReadWindow": TaskFailed("RedshiftData.ThrottlingException", "slow")})
    execution = execute(synth, aws)
    assert recorded_row(execution)["full_refresh"] == "null"
    assert recorded_row(execution)["run_id"] == "run-1"
    assert recorded_row(execution)["failed_step"] == "window"


def test_an_error_without_a_cause_is_still_recorded_and_notified(synth: Synth) -> None:
    aws = FakeAws(fail={"SetUpWarehouse": TaskFailed("States.Timeout", None)})
    execution = execute(synth, aws)
    assert recorded_row(execution)["error"] == "States.Timeout: no cause was reported"
    assert recorded_row(execution)["failed_step"] == "bootstrap"
    assert "Error: States.Timeout." in failure_message(execution)
    assert execution.end_state == "PipelineFailed"


def test_a_failed_recording_does_not_mask_the_original_failure(synth: Synth) -> None:
    # The bootstrap failed, so etl.load_log may not exist: the recording fails in Redshift.
    aws = FakeAws(
        fail={"BootstrapSchema1": TaskFailed("RedshiftData.ValidationException", "bad role")},
        sql_fails={"RecordFailedRun": 'ERROR: relation "etl.load_log" does not exist'},
    )
    execution = execute(synth, aws)
    assert execution.end_state == "PipelineFailed"
    assert execution.final_data["error"] == {
        "Error": "RedshiftData.ValidationException",
        "Cause": "bad role",
    }
    message = failure_message(execution)
    assert "failed in step bootstrap. Error: RedshiftData.ValidationException." in message
    assert "could NOT be recorded" in message


def test_the_notification_carries_a_short_error_not_the_cause(synth: Synth) -> None:
    """Issue 10, item 13: causes from AWS services can hold SQL and whole job-run JSON; the
    message names the error and points to the history and the load log. Liberta's own
    errors (short, written by the state machine) keep their cause."""
    cause = json.dumps({"JobRun": {"StateDetails": "x" * 5000, "Sql": "COPY staging..."}})
    aws = FakeAws(fail={"RunSparkJob": TaskFailed("States.TaskFailed", cause)})
    message = failure_message(execute(synth, aws))
    assert cause not in message and "COPY" not in message
    assert len(message) < 400
    assert "The cause is in the execution history and the etl.load_log row." in message
    assert "Error: States.TaskFailed." in message


def test_a_rejected_recording_call_still_notifies(synth: Synth) -> None:
    aws = FakeAws(
        fail={
            "LoadBatch": TaskFailed("RedshiftData.ValidationException", "too many"),
            "RecordFailedRun": TaskFailed("RedshiftData.ActiveStatementsExceededException", "x"),
        }
    )
    execution = execute(synth, aws)
    assert "Error: RedshiftData.ValidationException" in failure_message(execution)
    assert "could NOT be recorded" in failure_message(execution)
    assert execution.end_state == "PipelineFailed"


def test_a_failed_notification_still_fails_the_execution(synth: Synth) -> None:
    aws = FakeAws(
        fail={
            "ReadWindow": TaskFailed("RedshiftData.AccessDeniedException", "denied"),
            "NotifyFailure": TaskFailed("SNS.KMSDisabledException", "key"),
        }
    )
    execution = execute(synth, aws)
    assert execution.end_state == "PipelineFailed"
    assert recorded_row(execution)["error"] == "RedshiftData.AccessDeniedException: denied"


def test_the_recording_binds_the_parameters_of_redshift_sql(synth: Synth) -> None:
    """The SQL sent is redshift_sql/etl/insert_failed_load_log.sql, values only as parameters."""
    state = synth.asl["States"]["RecordFailedRun"]
    source = (REPO / "redshift_sql" / "etl" / "insert_failed_load_log.sql").read_text()
    sent = state["Parameters"]["Sql"]
    assert sent.startswith("INSERT INTO etl.load_log (run_id, started_at, finished_at, status,")
    assert "'failed'" in sent and "GETDATE()" in sent and "${" not in sent
    # Each '${name}' of the file is bound as :name, and exactly those are passed.
    names = list(dict.fromkeys(re.findall(r"'\$\{([a-z_]+)\}'", source)))
    assert names == ["run_id", "started_at", "full_refresh", "error", "failed_step"]
    assert [p["Name"] for p in state["Parameters"]["Parameters"]] == names
    for name in names:
        assert f":{name}" in sent
    assert state["Resource"] == EXECUTE


@pytest.mark.parametrize("bad", [{"since": 5}, {"full_refresh": "yes"}, {"until": None}])
def test_invalid_input_is_recorded_as_a_failed_run(synth: Synth, bad: dict[str, Any]) -> None:
    execution = execute(synth, FakeAws(), bad)
    assert "ListRunningExecutions" not in execution.visited
    assert "SetUpWarehouse" not in execution.visited
    row = recorded_row(execution)
    assert row["error"].startswith("Liberta.InvalidInput: The execution input must be")
    assert row["full_refresh"] == "null"
    assert row["failed_step"] == "start"
    assert execution.end_state == "PipelineFailed"


RUN_ID_CANDIDATES = [
    "a",
    "run-1",
    "2026-11-02T02-30-00.manual_1",
    "A" * 80,  # Step Functions itself refuses execution names over 80 characters
    "-starts-with-dash",
    ".hidden",
    "_private",
    "has space",
    "run+1",
    "run@host",
    "ünïcode",
    "semi;colon",
    "quote'd",
]


@pytest.mark.parametrize("name", RUN_ID_CANDIDATES)
def test_the_run_id_rule_is_enforced_at_the_entrance(synth: Synth, name: str) -> None:
    """Issue 10, item 5: the state machine accepts exactly the run ids of
    liberta_core.run_id (the rule the job and the local runner check), before it calls
    anything; a refused id fails the execution with the rule in the message."""
    execution = execute(synth, FakeAws(), name=name)
    try:
        check_run_id(name)
    except ValueError:
        valid = False
    else:
        valid = True
    if valid:
        assert execution.status == "SUCCEEDED", execution.visited[-5:]
        return
    assert execution.end_state == "PipelineFailed"
    assert "InvalidRunId" in execution.visited
    calls = [c.state for c in execution.calls]
    assert calls == ["RecordFailedRun", "RecordFailedRunStatus", "NotifyFailure"]
    assert RULE_TEXT in failure_message(execution)


def test_a_second_execution_while_one_runs_ends_skipped(synth: Synth) -> None:
    """Issue 10, item 12: the oldest running execution proceeds; any later one ends at
    SkippedRunInProgress (succeeded, nothing touched, nothing recorded as failed)."""
    older = execution_arn(STATE_MACHINE_ARN, "scheduled-2026-11-02")
    execution = execute(synth, FakeAws(running_before=[older]))
    assert execution.status == "SUCCEEDED"
    assert execution.end_state == "SkippedRunInProgress"
    assert [c.state for c in execution.calls] == ["ListRunningExecutions"]
    assert execution.output["skipped"]["running"] == older
    (listing,) = execution.calls_to("ListRunningExecutions")
    assert listing.parameters == {
        "StateMachineArn": STATE_MACHINE_ARN,
        "StatusFilter": "RUNNING",
        "MaxResults": 100,
    }


def test_the_oldest_running_execution_proceeds(synth: Synth) -> None:
    execution = execute(synth, FakeAws())  # only this execution is running
    assert "NoOtherRun" in execution.visited and execution.end_state == "Done"


def test_a_statement_still_running_at_the_end_of_its_budget_is_cancelled(synth: Synth) -> None:
    """Issue 10, item 4: nothing commits after the state machine gave up on a statement."""
    aws = FakeAws(never_finish=("LoadBatch",))
    execution = execute(synth, aws, max_transitions=50_000)
    assert aws.cancelled == ["LoadBatch"]
    row = recorded_row(execution)
    assert row["error"].startswith("Liberta.SqlTimeout: LoadBatch was still running")
    assert row["failed_step"] == "load"
    config = synth.stack.config
    polls = config.polls(config.budget_load_minutes)
    assert aws.polls["LoadBatch"] == polls
    waited = sum(
        synth.asl["States"][n]["Seconds"]
        for n in execution.visited
        if n.startswith("LoadBatchWait")
    )
    assert waited == config.polling_seconds(polls) == config.budget_load_minutes * 60
    assert f"after {config.polling_seconds(polls)} s" in row["error"]


def test_every_submission_carries_a_client_token_stable_across_retries(synth: Synth) -> None:
    """Issue 10, item 6: a retried submission (whose first response was lost) sends the same
    token, so the Data API does not run the batch twice."""
    execution = execute(synth, FakeAws())
    submits = [c for c in execution.calls if c.resource in (EXECUTE, BATCH)]
    assert len(submits) >= 5
    tokens = [c.parameters["ClientToken"] for c in submits]
    assert len(set(tokens)) == len(tokens)  # one per statement
    for token in tokens:
        assert 1 <= len(token) <= 64  # the Data API's limit
    states = synth.asl["States"]
    for call in submits:
        template = json.dumps(states[call.state]["Parameters"])
        # Parameters are re-evaluated on a retry: the token must not be minted there.
        assert "States.UUID" not in template, call.state
        assert '"ClientToken.$"' in template
