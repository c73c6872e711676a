"""liberta.localstack: the venv finder, the CLI against the session's LocalStack, and the
Step Functions patches' version pin."""

from __future__ import annotations

import json
import subprocess

import pytest
from typer.testing import CliRunner

from liberta.cli import app
from liberta.localstack import runtime, venv
from tests.localstack.conftest import LocalStackUnderTest

pytestmark = pytest.mark.slow


def test_missing_python313_says_what_to_install(monkeypatch: pytest.MonkeyPatch, tmp_path) -> None:
    monkeypatch.setenv("LIBERTA_PYTHON313", str(tmp_path / "no-python"))
    with pytest.raises(venv.LocalStackSetupError, match=r"not a working Python 3\.13"):
        venv.find_python313()
    monkeypatch.delenv("LIBERTA_PYTHON313")
    monkeypatch.setenv("PYENV_ROOT", str(tmp_path))
    monkeypatch.setenv("PATH", str(tmp_path))  # no pyenv, no python3.13
    with pytest.raises(venv.LocalStackSetupError, match=r"pyenv install 3\.13"):
        venv.find_python313()


def test_venv_key_follows_the_pins(tmp_path) -> None:
    python = venv.find_python313()
    source = tmp_path / "localstack"
    (source / "extension").mkdir(parents=True)
    for name in ("requirements.txt", "constraints.txt", "extension/pyproject.toml"):
        (source / name).write_text((venv.project_localstack_dir() / name).read_text())
    key = venv.venv_key(python, source)
    assert key == venv.venv_key(python, source)
    (source / "constraints.txt").write_text("cbor2==5.6.4\n")
    assert venv.venv_key(python, source) != key


def test_status_without_db_url_names_the_local_postgres_without_starting_it(
    monkeypatch: pytest.MonkeyPatch, tmp_path
) -> None:
    from liberta.warehouse.server import LocalPostgres, free_port

    def refuse(self) -> None:
        raise AssertionError("status() must not start the project's Postgres")

    monkeypatch.setattr(LocalPostgres, "start", refuse)
    monkeypatch.delenv("LIBERTA_DB_URL", raising=False)
    monkeypatch.setenv("LIBERTA_HOME", str(tmp_path))
    monkeypatch.setenv("LIBERTA_LOCALSTACK_PORT", str(free_port()))
    monkeypatch.setenv("LIBERTA_DB_PORT", "54399")
    report = runtime.status()
    assert report["running"] is False
    assert report["warehouse_url"] == "postgresql://postgres@127.0.0.1:54399/postgres"
    assert not (tmp_path / "pgdata").exists()


def test_cli_status_reports_the_running_localstack(
    localstack: LocalStackUnderTest, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("LIBERTA_HOME", str(localstack.home))
    monkeypatch.setenv("LIBERTA_LOCALSTACK_PORT", str(localstack.config.port))
    monkeypatch.setenv("LIBERTA_DB_URL", localstack.config.db_url)
    result = CliRunner().invoke(app, ["localstack", "status", "--json"])
    assert result.exit_code == 0, result.output
    report = json.loads(result.output)
    assert report["running"] is True and report["endpoint"] == localstack.endpoint
    assert report["versions"]["localstack"].startswith("2026.3")
    for service in ("redshift-data", "emr-serverless"):
        assert report["services"][service] in ("available", "running")  # running once used
    assert report["warehouse_url"] == localstack.config.db_url
    # The deploy command's stack state, as CloudFormation itself has it: absent unless
    # test_deployed_pipeline.py deployed it earlier in this session.
    cloudformation = localstack.client("cloudformation")
    stacks = {s["StackName"]: s for s in cloudformation.describe_stacks()["Stacks"]}
    if "Liberta-local" not in stacks:
        assert report["stack"] == {
            "name": "Liberta-local",
            "deployed": False,
            "status": None,
            "outputs": {},
        }
    else:
        assert report["stack"]["name"] == "Liberta-local"
        assert report["stack"]["status"] == stacks["Liberta-local"]["StackStatus"]
    up = CliRunner().invoke(app, ["localstack", "up"])
    assert up.exit_code == 0 and "already running" in up.output


def test_patches_refuse_another_localstack_version(localstack: LocalStackUnderTest) -> None:
    python = next(venv.venvs_root().glob("venv-*/bin/python"))
    code = (
        "from liberta_localstack.stepfunctions import patches\n"
        "patches.PINNED_LOCALSTACK_VERSION = '2099.1.0'\n"
        "try:\n    patches.apply()\nexcept patches.UnsupportedLocalStackVersion as exc:\n"
        "    print('refused:', exc)\n"
    )
    out = subprocess.run(
        [str(python), "-c", code], capture_output=True, text=True, check=True
    ).stdout
    assert "refused: liberta-localstack-ext: REFUSING to patch Step Functions" in out
    assert "2026.3.0" in out


def _processes_mentioning(text: str) -> list[int]:
    from pathlib import Path

    found = []
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit():
            continue
        try:
            cmdline = (proc / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
        except OSError:
            continue
        if text in cmdline:
            found.append(int(proc.name))
    return found


def test_stopping_localstack_ends_running_job_runs(
    localstack: LocalStackUnderTest, tmp_path
) -> None:
    """A second LocalStack (own port and state) with a job run that never ends: stop() must
    leave no job process behind (the on_infra_shutdown hook cancels job runs)."""
    import sys
    import time

    import boto3

    from liberta.localstack import runtime
    from liberta.warehouse.server import free_port

    config = runtime.LocalStackConfig(
        state_dir=tmp_path / "localstack",
        db_url=localstack.config.db_url,
        port=free_port(),
        venvs_root=venv.venvs_root(),
        spark_python=sys.executable,
    )
    runtime.start(config)
    try:

        def client(service: str):
            return boto3.client(
                service,
                endpoint_url=config.endpoint,
                region_name="us-east-1",
                aws_access_key_id="test",
                aws_secret_access_key="test",
            )

        client("s3").create_bucket(Bucket="stop-code")
        client("s3").put_object(
            Bucket="stop-code", Key="sleep.py", Body=b"import time\ntime.sleep(600)\n"
        )
        role = client("iam").create_role(RoleName="stop-role", AssumeRolePolicyDocument="{}")[
            "Role"
        ]["Arn"]
        app = client("emr-serverless").create_application(
            name="stop", releaseLabel="emr-7.12.0", type="SPARK"
        )
        run = client("emr-serverless").start_job_run(
            applicationId=app["applicationId"],
            executionRoleArn=role,
            jobDriver={"sparkSubmit": {"entryPoint": "s3://stop-code/sleep.py"}},
        )
        deadline = time.monotonic() + 60
        while (
            client("emr-serverless").get_job_run(
                applicationId=app["applicationId"], jobRunId=run["jobRunId"]
            )["jobRun"]["state"]
            != "RUNNING"
        ):
            assert time.monotonic() < deadline
            time.sleep(0.2)
        assert _processes_mentioning(str(config.state_dir / "state"))
    finally:
        runtime.stop(config)
    deadline = time.monotonic() + 20
    while _processes_mentioning(str(config.state_dir / "state")):
        assert time.monotonic() < deadline, "job processes survived LocalStack"
        time.sleep(0.2)
