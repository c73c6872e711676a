"""The `liberta` command line: every subcommand is there and explains itself."""

import re

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
