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


def _write(synth: Synth, tmp_path: Path) -> Path:
    path = tmp_path / f"{synth.stage}-{synth.emr_mode}.asl.json"
    path.write_text(json.dumps(synth.asl, indent=1))
    return path


def test_asl_validator_accepts_the_definition(synth: Synth, tmp_path: Path) -> None:
    if not ASL_VALIDATOR.exists():
        pytest.fail(f"{ASL_VALIDATOR} is missing: run `make node_modules/.installed-stamp`")
    result = subprocess.run(
        [str(ASL_VALIDATOR), "--json-path", str(_write(synth, tmp_path))],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_statelint_accepts_the_definition(synth: Synth, tmp_path: Path) -> None:
    statelint = shutil.which("statelint", path=str(Path(sys.executable).parent))
    assert statelint, "statelint is not installed in the venv"
    result = subprocess.run(
        [statelint, "--ignore=FLOAT", str(_write(synth, tmp_path))],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr


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
    for name, state in states.items():
        if name in failure_path or name == "TerminateClusterAfterFailure":
            continue
        for catch in state.get("Catch", []):
            if name == "PublishRunMetrics":
                # Metrics are observability: the loaded run still succeeds (and notifies).
                assert states[catch["Next"]]["Next"] == state["Next"]
                continue
            assert catch["Next"] in (FAILURE_ENTRY, "TerminateClusterAfterFailure"), name
            assert catch["ResultPath"] == "$.error", name
    # Error Passes (invalid input, manifest, SQL failed / timed out, check violations) too.
    for name, state in states.items():
        error_pass = state["Type"] == "Pass" and state.get("ResultPath") == "$.error"
        if error_pass and name not in failure_path:
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
    assert predecessors == {"FailedRunRecorded", "FailedRunNotRecorded"}
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


def test_every_state_keeps_what_the_failure_path_reads(synth: Synth) -> None:
    """$.run_id, $.started_at, $.window and $.error must survive every state."""
    for name, state in synth.asl["States"].items():
        assert "OutputPath" not in state and "InputPath" not in state, name
        if state["Type"] not in ("Task", "Pass"):
            continue
        if state.get("ResultPath", "$") == "$":
            keeps = state.get("Parameters", {})
            assert name in ("Prepare", "KeepManifestSummary"), f"{name} replaces the state"
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


def test_bootstrap_runs_first_and_is_the_ddl_of_redshift_sql(synth: Synth) -> None:
    states = synth.asl["States"]
    after_validation = states[states[states["ValidateInput"]["Default"]]["Next"]]
    assert after_validation["Parameters"] == {"name": "bootstrap"}  # the step marker
    assert after_validation["Next"].startswith("BootstrapSchema")
    expected = [
        _normalize(s) for s in warehouse_sql.bootstrap_statements(warehouse_sql.Dialect.REDSHIFT)
    ]
    sent: list[str] = []
    for name, state in states.items():
        if re.fullmatch(r"BootstrapSchema\d*", name):
            assert state["Resource"].endswith("redshiftdata:batchExecuteStatement")
            sent += [_normalize(s) for s in state["Parameters"]["Sqls"]]
    assert sent == expected


# How each load placeholder reaches Redshift (docs/run-manifest.md field -> state path).
EXPECTED_LOAD_PATHS = {
    "run_id": "$.run_id",
    "copy_prefix": "$.run.copy_prefix",
    "full_refresh": "$.manifest.window.full_refresh",
    "window_since": "$.manifest.window.since",
    "window_until": "$.manifest.window.until",
    "high_water_mark": "$.manifest.high_water_mark",
    "quarantine_by_reason": "States.JsonToString($.manifest.quarantine.by_reason)",
    **{
        f"counts_{c}": f"$.manifest.counts.{c}"
        for c in ("read", "valid", "quarantined", "duplicates", "time_corrected")
    },
    **{
        f"rows_{t}": f"$.manifest.tables.{t}.rows"
        for t in ("d_user", "d_date", "d_device", "d_item", "f_session", "f_event", "f_revenue")
    },
}


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
    rendered = states["LoadBatchRenderSql"]["Parameters"]
    batch = warehouse_sql.redshift_load_batch()
    assert (
        load["Parameters"]["Sqls.$"]
        == "States.Array(" + ", ".join(f"$.load_sql.s{i:02d}" for i in range(len(batch))) + ")"
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


def test_checks_run_each_query_of_redshift_sql_checks_and_fail_on_rows(synth: Synth) -> None:
    states = synth.asl["States"]
    checks = warehouse_sql.check_queries(warehouse_sql.Dialect.REDSHIFT)
    for name, query in checks.items():
        state_name = "Check" + "".join(p.title() for p in name.split("_"))
        task = states[state_name]
        assert task["Resource"].endswith("redshiftdata:executeStatement")
        assert _normalize(task["Parameters"]["Sql"]) == _normalize(query)
        verdict = states[f"{state_name}Clean?"]
        (rule,) = verdict["Choices"]
        assert rule["NumericEquals"] == 0 and rule["Variable"].endswith(".result.TotalNumRows")
        assert states[verdict["Default"]]["Next"] == FAILURE_ENTRY


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


def test_data_api_polling_is_bounded(synth: Synth) -> None:
    states = synth.asl["States"]
    loops = [n for n in states if n.endswith("Done?")]
    assert len(loops) >= 6
    for name in loops:
        bounded = [c for c in states[name]["Choices"] if "NumericGreaterThanEquals" in c]
        assert bounded and bounded[0]["NumericGreaterThanEquals"] == 360, name
        assert states[bounded[0]["Next"]]["Resource"].endswith("cancelStatement")
