"""`liberta`: the command line for local work (generate data, run the pipeline, inspect it)."""

from __future__ import annotations

import typer

app = typer.Typer(
    name="liberta",
    help=(
        "Liberta: a game-analytics warehouse. Raw player events become a star schema that "
        "analysts query. These commands run the whole pipeline on one machine."
    ),
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_show_locals=False,
)

# Each part of Liberta registers its own commands here, one line per part.
from liberta.generator.cli import generate  # noqa: E402

app.command("generate")(generate)
from liberta.pipeline.cli import run, runs  # noqa: E402
from liberta.pipeline.demo_cli import demo  # noqa: E402
from liberta.report.cli import kpis, report  # noqa: E402

app.command("run")(run)
app.command("runs")(runs)
app.command("report")(report)
app.command("kpis")(kpis)
app.command("demo")(demo)
from liberta.warehouse.cli import db_app, load  # noqa: E402

app.add_typer(db_app, name="db")
app.command("load")(load)
from liberta.localstack.cli import localstack_app  # noqa: E402

app.add_typer(localstack_app, name="localstack")
