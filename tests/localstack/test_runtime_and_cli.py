"""liberta.localstack: the venv finder, the CLI against the session's LocalStack, and the
Step Functions patches' version pin."""

from __future__ import annotations

import json
import subprocess

import pytest
from typer.testing import CliRunner

from liberta.cli import app
from liberta.localstack import venv
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
    assert "stack" in report  # for `liberta localstack deploy` to fill
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
