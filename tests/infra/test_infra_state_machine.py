"""The state machine definition: both ASL validators, and a walk over its graph."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from infra_synth import REPO, Synth

from liberta_core import sql as warehouse_sql
from liberta_core.steps import PIPELINE_STEPS

ASL_VALIDATOR = REPO / "node_modules" / ".bin" / "asl-validator"


STATE_MACHINES = ("pipeline", "warehouse-setup", "abort-cleanup")


def _write(synth: Synth, tmp_path: Path) -> list[Path]:
    paths = []
    for name in STATE_MACHINES:
        path = tmp_path / f"{synth.stage}-{synth.emr_mode}-{name}.asl.json"
        path.write_text(json.dumps(synth.asl_of(name), indent=1))
        paths.append(path)
    return paths


def test_asl_validator_accepts_every_definition(synth: Synth, tmp_path: Path) -> None:
    if not ASL_VALIDATOR.exists():
        pytest.fail(f"{ASL_VALIDATOR} is missing: run `make node_modules/.installed-stamp`")
    for path in _write(synth, tmp_path):
        result = subprocess.run(
            [str(ASL_VALIDATOR), "--json-path", str(path)],
            capture_output=True,
            text=True,
            check=False,
        )
        assert result.returncode == 0, path.name + result.stdout + result.stderr


def test_statelint_accepts_the_definitions(synth: Synth, tmp_path: Path) -> None:
    """statelint predates the Map state's ItemProcessor (ASL 2022), which the abort cleanup
    uses: that definition is checked by asl-validator only."""
    statelint = shutil.which("statelint", path=str(Path(sys.executable).parent))
    assert statelint, "statelint is not installed in the venv"
    for path in _write(synth, tmp_path):
        if path.name.endswith("abort-cleanup.asl.json"):
            continue
        result = subprocess.run(
            [statelint, "--ignore=FLOAT", str(path)],
            capture_output=True,
            text=True,
            check=False,
        )
        assert result.returncode == 0, path.name + result.stdout + result.stderr


def _successors(state: dict[str, Any]) -> list[str]:
    found = [state["Next"]] if "Next" in state else []
    found += [c["Next"] for c in state.get("Catch", [])]
    found += [c["Next"] for c in state.get("Choices", [])]
    if "Default" in state:
        found.append(state["Default"])
    return found


def _reachable(states: dict[str, Any], start: str) -> set[str]:
    seen: set[str] = set()
    todo = [start]
    while todo:
        name = todo.pop()
        if name in seen:
            continue
        seen.add(name)
        todo += _successors(states[name])
    return seen


def test_every_task_retries_and_catches_everything(synth: Synth) -> None:
    states = synth.asl["States"]
    tasks = {n: s for n, s in states.items() if s["Type"] == "Task"}
    assert len(tasks) >= 10
    for name, state in tasks.items():
        assert state.get("Retry"), f"{name} has no Retry"
        catch_all = [c for c in state.get("Catch", []) if "States.ALL" in c["ErrorEquals"]]
        assert catch_all, f"{name} has no Catch for States.ALL"


FAILURE_ENTRY = "FailureHasCause?"


def _failure_path(states: dict[str, Any]) -> set[str]:
    return _reachable(states, FAILURE_ENTRY)


def test_every_failure_records_the_run_then_notifies_then_fails(synth: Synth) -> None:
    states = synth.asl["States"]
    assert states["NotifyFailure"]["Resource"] == "arn:aws:states:::sns:publish"
    assert states["NotifyFailure"]["Next"] == "PipelineFailed"
    assert [c["Next"] for c in states["NotifyFailure"]["Catch"]] == ["PipelineFailed"]
    assert states["PipelineFailed"]["Type"] == "Fail"
    failure_path = _failure_path(states)
    assert {"RecordFailedRun", "NotifyFailure", "PipelineFailed"} <= failure_path
    after_commit = _reachable(states, "LoadBatchFinished")
    assert not after_commit & failure_path  # a committed load never becomes a failed run
    for name, state in states.items():
        if name in failure_path or name == "TerminateClusterAfterFailure":
            continue
        for catch in state.get("Catch", []):
            if name in after_commit:
                # Counts, metrics, success notification: observability of a committed run.
                assert catch["Next"] in after_commit and catch["ResultPath"] != "$.error", name
                continue
            assert catch["Next"] in (FAILURE_ENTRY, "TerminateClusterAfterFailure"), name
            assert catch["ResultPath"] == "$.error", name
    # Error Passes (invalid run id or input, refused window, SQL failed or timed out) too.
    for name, state in states.items():
        error_pass = state["Type"] == "Pass" and state.get("ResultPath") == "$.error"
        if error_pass and name not in failure_path | after_commit:
            assert state["Next"] == FAILURE_ENTRY, name
    # NotifyFailure is reached only through the recording, whatever the recording's outcome.
    reached = set()
    todo = [FAILURE_ENTRY]
    while todo:
        name = todo.pop()
        if name in reached or name == "RecordFailedRun":
            continue
        reached.add(name)
        todo += _successors(states[name])
    assert "NotifyFailure" not in reached
    predecessors = {n for n, s in states.items() if "NotifyFailure" in _successors(s)}
    assert predecessors == {"FailureDetailOwn", "FailureDetailElsewhere"}
    recorded_or_not = {n for n, s in states.items() if "FailureCauseIsShort?" in _successors(s)}
    assert recorded_or_not == {"FailedRunRecorded", "FailedRunNotRecorded"}
    # The recording never overwrites the original error and never loops back.
    for name in failure_path - {FAILURE_ENTRY, "FailureWithoutCause"}:
        state = states[name]
        assert state.get("ResultPath") != "$.error", name
        assert FAILURE_ENTRY not in _successors(state), name
        for catch in state.get("Catch", []):
            assert catch["ResultPath"] != "$.error", name
    # Nothing but the failure path ends in a Fail state.
    fails = {n for n, s in states.items() if s["Type"] == "Fail"}
    assert fails == {"PipelineFailed"}
    succeeds = {n for n, s in states.items() if s["Type"] == "Succeed"}
    assert succeeds == {"Done", "SkippedRunInProgress"}


def test_every_state_keeps_what_the_failure_path_reads(synth: Synth) -> None:
    """$.run_id, $.started_at, $.window and $.error must survive every state."""
    for name, state in synth.asl["States"].items():
        assert "OutputPath" not in state and "InputPath" not in state, name
        if state["Type"] not in ("Task", "Pass"):
            continue
        if state.get("ResultPath", "$") == "$":
            keeps = state.get("Parameters", {})
            assert name == "Prepare", f"{name} replaces the state"
            assert {"run_id.$", "started_at.$"} <= set(keeps), name


def test_cluster_is_terminated_on_success_and_on_failure(cluster_synth: Synth) -> None:
    states = cluster_synth.asl["States"]
    create = states["CreateCluster"]
    assert create["Resource"] == "arn:aws:states:::elasticmapreduce:createCluster.sync"
    assert create["Parameters"]["ReleaseLabel"] == "emr-7.12.0"
    assert create["Parameters"]["AutoTerminationPolicy"] == {"IdleTimeout": 3600}
    step = states[create["Next"]]
    assert step["Resource"] == "arn:aws:states:::elasticmapreduce:addStep.sync"
    assert step["Parameters"]["Step"]["HadoopJarStep"]["Args.$"] == "$.job.args"
    # While the cluster exists (after CreateCluster succeeded) every failure terminates it.
    (catch,) = step["Catch"]
    assert catch["Next"] == "TerminateClusterAfterFailure"
    cleanup = states["TerminateClusterAfterFailure"]
    assert cleanup["Resource"] == "arn:aws:states:::elasticmapreduce:terminateCluster.sync"
    assert cleanup["Parameters"] == {"ClusterId.$": "$.cluster.ClusterId"}
    assert cleanup["Next"] == FAILURE_ENTRY  # record the failed run, notify, fail
    assert [c["Next"] for c in cleanup["Catch"]] == [FAILURE_ENTRY]
    assert cleanup["Catch"][0]["ResultPath"] != "$.error"  # the original error is reported
    assert states[step["Next"]]["Resource"].endswith("terminateCluster.sync")


def test_serverless_job_run_is_per_execution(serverless_synth: Synth) -> None:
    states = serverless_synth.asl["States"]
    run = states["RunSparkJob"]
    assert run["Resource"] == "arn:aws:states:::emr-serverless:startJobRun.sync"
    params = run["Parameters"]
    assert params["ClientToken.$"] == "$.client_token"
    assert states["Prepare"]["Parameters"]["client_token.$"] == "States.UUID()"
    driver = params["JobDriver"]["SparkSubmit"]
    assert driver["EntryPoint"].endswith(".py")
    assert "--py-files s3://" in driver["SparkSubmitParameters"]
    assert driver["EntryPointArguments.$"] == "$.job.args"


def test_run_id_comes_from_the_execution_not_from_synth(synth: Synth) -> None:
    prepare = synth.asl["States"]["Prepare"]["Parameters"]
    assert prepare["run_id.$"] == "$$.Execution.Name"
    assert synth.asl["StartAt"] == "Prepare"
    assert prepare["input.$"] == "$"


def test_bootstrap_sets_up_the_warehouse_then_runs_the_ddl_of_redshift_sql(synth: Synth) -> None:
    states = synth.asl["States"]
    marker = states["Bootstrap"]
    assert marker["Parameters"] == {"name": "bootstrap"}  # the step marker
    setup = states[marker["Next"]]
    assert setup["Resource"] == "arn:aws:states:::states:startExecution.sync:2"
    setup_id = synth.logical_id(synth.stack.setup.state_machine)
    assert setup["Parameters"]["StateMachineArn"] == f"ref-{setup_id}"
    # A minute longer than the setup's own execution timeout, not the setup's budget: the
    # setup always ends by itself first (test_the_setup_ends_by_itself_before_the_pipeline_...).
    assert setup["TimeoutSeconds"] == synth.asl_of("warehouse-setup")["TimeoutSeconds"] + 60
    assert setup["Next"] == "BootstrapSchema1"
    expected = [
        _normalize(s) for s in warehouse_sql.bootstrap_statements(warehouse_sql.Dialect.REDSHIFT)
    ]
    sent: list[str] = []
    for name, state in states.items():
        if re.fullmatch(r"BootstrapSchema\d+", name):
            assert state["Resource"].endswith("redshiftdata:batchExecuteStatement")
            assert "SecretArn" not in state["Parameters"]  # as the pipeline's IAM identity
            sent += [_normalize(s) for s in state["Parameters"]["Sqls"]]
    assert sent == expected


def test_the_setup_ends_by_itself_before_the_pipeline_stops_waiting(synth: Synth) -> None:
    """The setup's SQL still running at the end of the setup's own budget is cancelled by the
    setup; its execution's timeout comes later, and the pipeline's SetUpWarehouse waits longer
    still. The pipeline giving up first would stop the setup, whose SQL nothing would cancel."""
    from asl_sim import run
    from test_infra_failure_path import FakeAws

    config = synth.stack.config
    setup_asl = synth.asl_of("warehouse-setup")
    states = setup_asl["States"]
    aws = FakeAws(never_finish=("RunAdminSql",))
    execution = run(setup_asl, {}, aws)
    assert execution.end_state == "SetupFailed"
    assert aws.cancelled == ["RunAdminSql"]
    # The setup's own budget: what its waits add up to until it cancels.
    own_budget = sum(states[n]["Seconds"] for n in execution.visited if states[n]["Type"] == "Wait")
    budget = config.budget_setup_minutes * 60
    assert budget - config.data_api_slow_poll_seconds < own_budget <= budget
    parent_timeout = synth.asl["States"]["SetUpWarehouse"]["TimeoutSeconds"]
    assert own_budget < setup_asl["TimeoutSeconds"] < parent_timeout


def test_the_warehouse_setup_runs_the_admin_sql_as_the_admin(synth: Synth) -> None:
    """Issue 10, item 9: roles and grants (redshift_sql/admin) are the only SQL that runs as
    the admin, in their own state machine; the pipeline's role cannot read the admin secret."""
    run_admin = synth.asl_of("warehouse-setup")["States"]["RunAdminSql"]
    secret_id = synth.logical_id(synth.stack.warehouse.admin_secret)
    assert run_admin["Parameters"]["SecretArn"] == f"ref-{secret_id}"
    expected = [
        _normalize(s.replace("${database}", "liberta"))
        for s in warehouse_sql.admin_statements(warehouse_sql.Dialect.REDSHIFT)
    ]
    assert [_normalize(s) for s in run_admin["Parameters"]["Sqls"]] == expected
    assert "SecretArn" not in json.dumps(synth.asl)
    holders = {
        role["Ref"]
        for policy in synth.resources("AWS::IAM::Policy").values()
        if "secretsmanager:GetSecretValue" in json.dumps(policy["Properties"]["PolicyDocument"])
        for role in policy["Properties"]["Roles"]
    }
    assert holders == {synth.logical_id(synth.stack.setup.role)}


# How each load placeholder reaches Redshift: validated run values only (the run id passed
# the run-id rule at the entrance; the run's location is built from it).
EXPECTED_LOAD_PATHS = {"run_id": "$.run_id", "run_uri": "$.run.uri"}


def _normalize(sql: str) -> str:
    """Whitespace-insensitive, comment-free form of one statement (the test's own reading)."""
    lines = [line for line in sql.splitlines() if not line.strip().startswith("--")]
    return " ".join(" ".join(lines).split()).rstrip(";").strip()


def _decode_format(value: str) -> tuple[str, list[str]]:
    """Split `States.Format('template', arg, ...)` into the unescaped template and its args."""
    match = re.fullmatch(r"States\.Format\('((?:[^'\\]|\\.)*)', (.*)\)", value, re.DOTALL)
    assert match, value[:200]
    template = re.sub(r"\\(.)", r"\1", match.group(1))
    args = [a.strip() for a in re.split(r", (?=\$|States\.)", match.group(2))]
    return template, args


def test_load_is_one_batch_of_the_redshift_sql_load(synth: Synth) -> None:
    states = synth.asl["States"]
    load = states["LoadBatch"]
    assert load["Resource"] == "arn:aws:states:::aws-sdk:redshiftdata:batchExecuteStatement"
    rendered = states["LoadBatchRenderSql"]["Parameters"]["sql"]
    batch = warehouse_sql.redshift_load_batch()
    assert (
        load["Parameters"]["Sqls.$"]
        == "States.Array(" + ", ".join(f"$.load.sql.s{i:02d}" for i in range(len(batch))) + ")"
    )
    copy_role_arn = "arn:aws:svc:eu-west-1:123456789012:getatt/" + synth.logical_id(
        synth.stack.warehouse.copy_role
    )
    for index, statement in enumerate(batch):
        if f"s{index:02d}" in rendered:
            text, args = rendered[f"s{index:02d}"], []
        else:
            text, args = _decode_format(rendered[f"s{index:02d}.$"])
        names = re.findall(r"\$\{([a-z_0-9]+)\}", statement)
        dynamic = [n for n in names if n != "iam_role"]
        assert args == [EXPECTED_LOAD_PATHS[n] for n in dynamic], statement[:80]
        expected = statement.replace("${iam_role}", copy_role_arn)
        expected = re.sub(r"\$\{[a-z_0-9]+\}", "{}", expected)
        assert _normalize(text) == _normalize(expected)
    # The rendered SQL lives in $.load only until the submission replaces it with the id.
    assert load["ResultPath"] == "$.load"
    assert states["LoadBatchRenderSql"]["ResultPath"] == "$.load"


def test_the_post_load_checks_are_inside_the_load_transaction(synth: Synth) -> None:
    """Issue 10, item 7: the checks are a statement of the one load batch, after the merges
    and before the load log, so a violation rolls the whole load back (the check SQL and the
    rollback on a real database: tests/warehouse)."""
    batch = [_normalize(s) for s in warehouse_sql.redshift_load_batch()]
    check = batch.index("CALL etl.assert_post_load_checks()")
    merges = [i for i, s in enumerate(batch) if s.startswith("MERGE INTO analysis.")]
    log = next(i for i, s in enumerate(batch) if s.startswith("INSERT INTO etl.load_log"))
    assert merges and max(merges) < check < log
    states = synth.asl["States"]
    assert not [n for n in states if n.startswith("Check")]
    for name in _reachable(states, "LoadBatchFinished"):
        assert "batchExecuteStatement" not in states[name].get("Resource", ""), name


def test_the_window_is_select_window_sql_with_the_input_as_parameters(synth: Synth) -> None:
    states = synth.asl["States"]
    # The rule itself is tested against window_cases.CASES in test_infra_window.py.
    query = states["ReadWindow"]
    assert query["Resource"].endswith("redshiftdata:executeStatement")
    assert _normalize(query["Parameters"]["Sql"]) == _normalize(
        warehouse_sql.window_query(warehouse_sql.Dialect.REDSHIFT)
    )
    names = [p["Name"] for p in query["Parameters"]["Parameters"]]
    assert names == warehouse_sql.parameter_names(warehouse_sql.WINDOW_SQL)
    # A bad input type is rejected before anything runs.
    assert states["ValidateInput"]["Choices"][0]["Next"] == "InvalidInput"


def test_the_main_path_enters_the_pipeline_steps_in_order(synth: Synth) -> None:
    """The same steps, in the same order, as `liberta run` (liberta_core.steps)."""
    from asl_sim import run
    from test_infra_failure_path import FakeAws

    states = synth.asl["States"]
    execution = run(synth.asl, {}, FakeAws())
    assert execution.status == "SUCCEEDED"
    markers = [n for n in execution.visited if states[n].get("ResultPath") == "$.step"]
    assert markers == [step.state for step in PIPELINE_STEPS]
    assert [states[n]["Parameters"]["name"] for n in markers] == [s.name for s in PIPELINE_STEPS]


def _budget_minutes(config: Any, loop: str) -> int:
    if loop.startswith("BootstrapSchema"):
        return config.budget_bootstrap_minutes
    return {
        "ReadWindow": config.budget_window_minutes,
        "LoadBatch": config.budget_load_minutes,
        "ReadRunCounts": config.budget_query_minutes,
        "RecordFailedRun": config.budget_query_minutes,
    }[loop]


def _poll_limits(states: dict[str, Any]) -> dict[str, int]:
    """Each Data API poll loop's bound (the Done? Choice's count rule), by loop name."""
    return {
        name.removesuffix("Done?"): next(
            c["NumericGreaterThanEquals"]
            for c in state["Choices"]
            if "NumericGreaterThanEquals" in c
        )
        for name, state in states.items()
        if name.endswith("Done?")
    }


def test_data_api_polling_is_bounded_by_each_steps_budget(synth: Synth) -> None:
    config = synth.stack.config
    states = synth.asl["States"]
    limits = _poll_limits(states)
    assert {"BootstrapSchema1", "ReadWindow", "LoadBatch", "RecordFailedRun"} <= set(limits)
    for loop, limit in limits.items():
        assert limit == config.polls(_budget_minutes(config, loop)), loop
        (bound,) = [c for c in states[f"{loop}Done?"]["Choices"] if "NumericGreaterThanEquals" in c]
        assert states[bound["Next"]]["Resource"].endswith("cancelStatement")
        assert states[f"{loop}Wait"]["Seconds"] == config.data_api_poll_seconds
        assert states[f"{loop}WaitLonger"]["Seconds"] == config.data_api_slow_poll_seconds


# Step Functions history events per state entered (Standard workflows): entered and exited,
# and for a Task also scheduled, started and succeeded or failed.
EVENTS_PER_STATE = {"Task": 5}
HISTORY_LIMIT = 25_000


def test_the_worst_case_run_fits_the_execution_timeout_and_the_history_limit(
    synth: Synth,
) -> None:
    """Issue 10, item 4: a first run (full refresh) whose every step uses all of its budget
    (each statement finishing on its last poll, each EMR or setup wait counted at its
    timeout) and then fails at the very end still ends before the execution's timeout, so
    no step is ever cut off by it (where nothing could cancel the SQL), and stays far inside
    Step Functions' 25,000-event history."""
    from asl_sim import run
    from test_infra_failure_path import FakeAws

    states = synth.asl["States"]
    limits = _poll_limits(states)

    class SlowAws(FakeAws):
        def __call__(self, state: str, resource: str, parameters: Any) -> Any:
            if resource.endswith("describeStatement"):
                self.polls_until_finished = limits[self.statements[parameters["Id"]]]
            return super().__call__(state, resource, parameters)

    aws = SlowAws(sql_fails={"LoadBatch": "ERROR: the worst case"}, watermark=None)
    execution = run(synth.asl, {}, aws, max_transitions=100_000)
    assert execution.end_state == "PipelineFailed"
    assert "FullRefreshWindow" in execution.visited
    # Every loop to its end (the failed load's description is read once more, for its Error).
    assert aws.polls == {name: limits[name] + (name == "LoadBatch") for name in aws.polls}
    assert "RecordFailedRun" in aws.polls
    waited = sum(
        states[n].get("Seconds", 0) + states[n].get("TimeoutSeconds", 0) for n in execution.visited
    )
    assert waited < synth.asl["TimeoutSeconds"]
    events = 2 + sum(EVENTS_PER_STATE.get(states[n]["Type"], 2) for n in execution.visited)
    assert events < HISTORY_LIMIT // 2, events
