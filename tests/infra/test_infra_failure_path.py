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
from asl_sim import Execution, TaskFailed, run
from infra_synth import REPO, Synth

from liberta_core.tables import TABLES

START_TIME = "2026-11-02T02:30:00.123Z"
EXECUTE = "arn:aws:states:::aws-sdk:redshiftdata:executeStatement"
BATCH = "arn:aws:states:::aws-sdk:redshiftdata:batchExecuteStatement"
DESCRIBE = "arn:aws:states:::aws-sdk:redshiftdata:describeStatement"
RESULT = "arn:aws:states:::aws-sdk:redshiftdata:getStatementResult"
SNS = "arn:aws:states:::sns:publish"


def manifest(*, full_refresh: bool = False) -> dict[str, Any]:
    window = (
        {"since": None, "until": None, "full_refresh": True, "partitions": []}
        if full_refresh
        else {
            "since": "2026-10-31T02:00:00Z",
            "until": START_TIME,
            "full_refresh": False,
            "partitions": ["2026-10-31", "2026-11-01", "2026-11-02"],
        }
    )
    return {
        "format_version": 1,
        "run_id": "run-1",
        "created_at": "2026-11-02T02:41:00Z",
        "window": window,
        "high_water_mark": "2026-11-02T01:59:00Z",
        "counts": {
            "read": 100,
            "valid": 90,
            "quarantined": 6,
            "duplicates": 4,
            "time_corrected": 2,
        },
        "quarantine": {"uri": "s3://c/q/", "by_reason": {"invalid_json": 6}, "worst_files": []},
        "tables": {
            t.name: {"rows": 3, "copy_manifest": f"s3://c/runs/run-1/copy/{t.name}.manifest"}
            for t in TABLES
        },
    }


@dataclass
class FakeAws:
    """Every call succeeds unless `fail` names the state (raise) or `sql_fails` (FAILED)."""

    fail: dict[str, TaskFailed] = field(default_factory=dict)
    sql_fails: dict[str, str] = field(default_factory=dict)
    watermark: str | None = "2026-11-01T02:00:00Z"
    full_refresh_manifest: bool = False
    statements: dict[str, str] = field(default_factory=dict)
    window_parameters: dict[str, str] = field(default_factory=dict)

    def window_row(self) -> list[dict[str, Any]]:
        """A canned select_window.sql row (the rule itself: test_infra_window.py)."""
        until = {"stringValue": START_TIME[:19] + "Z"}
        if self.window_parameters["full_refresh"] == "true" or self.watermark is None:
            return [{"isNull": True}, {"booleanValue": True}, {"isNull": True}, until]
        return [{"isNull": True}, {"booleanValue": False}, {"stringValue": self.watermark}, until]

    def __call__(self, state: str, resource: str, parameters: Any) -> Any:
        if state in self.fail:
            raise self.fail[state]
        if resource == EXECUTE and state == "ReadWindow":
            statement_id = f"id-{state}"
            self.statements[statement_id] = state
            self.window_parameters = {p["Name"]: p["Value"] for p in parameters["Parameters"]}
            return {"Id": statement_id}
        if resource in (EXECUTE, BATCH):
            statement_id = f"id-{state}"
            self.statements[statement_id] = state
            return {"Id": statement_id}
        if resource == DESCRIBE:
            submitted_by = self.statements[parameters["Id"]]
            if submitted_by in self.sql_fails:
                return {"Status": "FAILED", "Error": self.sql_fails[submitted_by]}
            return {"Status": "FINISHED", "HasResultSet": True}
        if resource == RESULT:
            if parameters["Id"] == "id-ReadWindow":
                return {"Records": [self.window_row()], "TotalNumRows": 1}
            return {"Records": [], "TotalNumRows": 0}  # quality checks: no violation rows
        if resource.endswith("createCluster.sync"):
            return {"ClusterId": "j-1"}
        if resource.endswith("addStep.sync"):
            return {"Step": {"Id": "s-1"}}
        if resource.endswith("startJobRun.sync"):
            return {"JobRunId": "jr-1"}
        if resource.endswith("s3:getObject"):
            return {"Body": json.dumps(manifest(full_refresh=self.full_refresh_manifest))}
        if resource.endswith(("terminateCluster.sync", "cloudwatch:putMetricData")):
            return {}
        if resource == SNS:
            return {"MessageId": "m-1"}
        raise AssertionError(f"{state}: no fake for {resource}")


def execute(synth: Synth, aws: FakeAws, execution_input: Any | None = None) -> Execution:
    return run(synth.asl, execution_input or {}, aws, start_time=START_TIME)


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
    assert execution.status == "SUCCEEDED"
    assert "LoadBatch" in execution.visited
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
        "error": 'Liberta.SqlFailed: LoadBatch failed in Redshift: ["ERROR: quality gate: '
        '3 orphan facts"]',
    }
    load, record, notify, fail = order(
        execution, "LoadBatchFailed", "RecordFailedRun", "NotifyFailure", "PipelineFailed"
    )
    assert load < record < notify < fail
    message = failure_message(execution)
    assert "Error: Liberta.SqlFailed" in message and "3 orphan facts" in message
    assert "was recorded in etl.load_log" in message


def test_a_failed_full_refresh_records_full_refresh_true(synth: Synth) -> None:
    aws = FakeAws(full_refresh_manifest=True, fail={"LoadBatch": TaskFailed("X.Y", "z")})
    execution = execute(synth, aws, {"full_refresh": True})
    assert recorded_row(execution)["full_refresh"] == "true"
    assert recorded_row(execution)["error"] == "X.Y: z"


def test_a_failed_check_after_the_load_is_recorded(synth: Synth) -> None:
    aws = FakeAws(sql_fails={"CheckNoOrphanFacts": "ERROR: relation missing"})
    execution = execute(synth, aws)
    assert execution.status == "FAILED"
    assert "LoadBatchFinished" in execution.visited
    assert recorded_row(execution)["error"].startswith(
        "Liberta.SqlFailed: CheckNoOrphanFacts failed in Redshift"
    )


def test_a_failed_spark_job_is_recorded_after_the_cluster_is_terminated(synth: Synth) -> None:
    aws = FakeAws(fail={"RunSparkJob": TaskFailed("States.TaskFailed", "Step failed")})
    execution = execute(synth, aws)
    assert execution.end_state == "PipelineFailed"
    row = recorded_row(execution)
    assert row["full_refresh"] == "false"  # the window (from the watermark) was known
    assert row["error"] == "States.TaskFailed: Step failed"
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


def test_an_error_without_a_cause_is_still_recorded_and_notified(synth: Synth) -> None:
    aws = FakeAws(fail={"ReadManifest": TaskFailed("S3.NoSuchKeyException", None)})
    execution = execute(synth, aws)
    assert recorded_row(execution)["error"] == "S3.NoSuchKeyException: no cause was reported"
    assert "Error: S3.NoSuchKeyException" in failure_message(execution)
    assert execution.end_state == "PipelineFailed"


def test_a_failed_recording_does_not_mask_the_original_failure(synth: Synth) -> None:
    # The bootstrap failed, so etl.load_log may not exist: the recording fails in Redshift.
    aws = FakeAws(
        fail={"BootstrapSchema": TaskFailed("RedshiftData.ValidationException", "bad secret")},
        sql_fails={"RecordFailedRun": 'ERROR: relation "etl.load_log" does not exist'},
    )
    execution = execute(synth, aws)
    assert execution.end_state == "PipelineFailed"
    assert execution.output["error"] == {
        "Error": "RedshiftData.ValidationException",
        "Cause": "bad secret",
    }
    message = failure_message(execution)
    assert "Error: RedshiftData.ValidationException. Cause: bad secret." in message
    assert "could NOT be recorded" in message
    assert "etl.load_log" in json.dumps(execution.output["failed_run_log_error"])


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
            "ReadManifest": TaskFailed("S3.AccessDeniedException", "denied"),
            "NotifyFailure": TaskFailed("SNS.KMSDisabledException", "key"),
        }
    )
    execution = execute(synth, aws)
    assert execution.end_state == "PipelineFailed"
    assert recorded_row(execution)["error"] == "S3.AccessDeniedException: denied"


def test_the_recording_binds_the_parameters_of_redshift_sql(synth: Synth) -> None:
    """The SQL sent is redshift_sql/etl/insert_failed_load_log.sql, values only as parameters."""
    state = synth.asl["States"]["RecordFailedRun"]
    source = (REPO / "redshift_sql" / "etl" / "insert_failed_load_log.sql").read_text()
    sent = state["Parameters"]["Sql"]
    assert sent.startswith("INSERT INTO etl.load_log (run_id, started_at, finished_at, status,")
    assert "'failed'" in sent and "GETDATE()" in sent and "${" not in sent
    # Each '${name}' of the file is bound as :name, and exactly those are passed.
    names = list(dict.fromkeys(re.findall(r"'\$\{([a-z_]+)\}'", source)))
    assert names == ["run_id", "started_at", "full_refresh", "error"]
    assert [p["Name"] for p in state["Parameters"]["Parameters"]] == names
    for name in names:
        assert f":{name}" in sent
    assert state["Resource"] == EXECUTE


@pytest.mark.parametrize("bad", [{"since": 5}, {"full_refresh": "yes"}])
def test_invalid_input_is_recorded_as_a_failed_run(synth: Synth, bad: dict[str, Any]) -> None:
    execution = execute(synth, FakeAws(), bad)
    assert "BootstrapSchema" not in execution.visited
    row = recorded_row(execution)
    assert row["error"].startswith("Liberta.InvalidInput: The execution input must be")
    assert row["full_refresh"] == "null"
    assert execution.end_state == "PipelineFailed"
