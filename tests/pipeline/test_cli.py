"""The `liberta` command line: every subcommand is there and explains itself."""

import os
import re
import subprocess
import sys
from pathlib import Path

from typer.testing import CliRunner

from liberta.cli import app

runner = CliRunner()
SUBCOMMANDS = ("generate", "db", "load", "run", "runs", "report", "kpis", "demo")


def plain(text: str) -> str:
    return re.sub(r"\x1b\[[0-9;]*m", "", text)


def test_help_lists_every_subcommand_with_a_description() -> None:
    result = runner.invoke(app, ["--help"], env={"COLUMNS": "200"})
    assert result.exit_code == 0
    out = plain(result.output)
    for name in SUBCOMMANDS:
        line = next((ln for ln in out.splitlines() if re.search(rf"│ {name}\s", ln)), None)
        assert line is not None, f"{name} missing from --help"
        assert len(line.split(name, 1)[1].strip(" │")) > 10, f"{name} has no description"


def test_run_help_documents_the_window_options() -> None:
    result = runner.invoke(app, ["run", "--help"], env={"COLUMNS": "200"})
    assert result.exit_code == 0
    out = plain(result.output)
    for option in (
        "--since",
        "--until",
        "--full-refresh",
        "--profile",
        "--lookback-hours",
        "--quiet",
        "--json",
    ):
        assert option in out


def test_a_bad_timestamp_is_refused_before_anything_runs() -> None:
    result = runner.invoke(app, ["run", "--since", "last tuesday"], env={"COLUMNS": "200"})
    assert result.exit_code == 2
    assert "last tuesday" in plain(result.output)


def test_an_unknown_profile_is_refused_with_the_choices() -> None:
    result = runner.invoke(app, ["run", "--profile", "cloud9"], env={"COLUMNS": "200"})
    assert result.exit_code == 2
    assert "embedded" in plain(result.output) and "localstack" in plain(result.output)


def test_flags_show_no_type_and_help_text_reads_as_paragraphs() -> None:
    result = runner.invoke(app, ["run", "--help"], env={"COLUMNS": "100"})
    out = plain(result.output)
    assert "<bool>" not in out
    flag = next(line for line in out.splitlines() if "--full-refresh" in line)
    assert flag.split("--full-refresh", 1)[1].strip(" │").startswith("reprocess every raw")
    # The docstring's source line breaks do not survive: a sentence wraps at the terminal.
    assert "high-water mark (minus a\n" not in out
    assert "(minus a lookback" in " ".join(out.split())


def _liberta(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    """The installed console script, as a user runs it (not Typer's test runner)."""
    script = Path(sys.executable).with_name("liberta")
    return subprocess.run(
        [str(script), *args],
        capture_output=True,
        text=True,
        check=False,
        env={**os.environ, **(env or {})},
        timeout=120,
    )


def test_a_setup_error_is_one_clear_line_and_a_traceback_only_with_debug(tmp_path: Path) -> None:
    # The warehouse URL points at a port nobody listens on: the run cannot even begin.
    env = {"LIBERTA_DB_URL": "postgresql://postgres@127.0.0.1:9/liberta", "LIBERTA_DEBUG": ""}
    plain_run = _liberta("runs", env=env)
    assert plain_run.returncode == 1
    assert "Traceback" not in plain_run.stderr
    assert plain_run.stderr.startswith("error: cannot connect to the warehouse")
    assert "--debug" in plain_run.stderr
    debug_run = _liberta("--debug", "runs", env=env)
    assert debug_run.returncode == 1 and "Traceback" in debug_run.stderr


def test_db_psql_passes_its_arguments_to_psql(pg_server, monkeypatch) -> None:
    from tests.conftest import database_url

    url = database_url(pg_server, "postgres")
    result = _liberta("db", "psql", "-At", "-c", "SELECT 40 + 2", env={"LIBERTA_DB_URL": url})
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "42"
