"""`liberta`: the command line for local work (generate data, run the pipeline, inspect it).

Errors reach the user as one line saying what is wrong and what to do; the traceback only with
`liberta --debug ...` or `LIBERTA_DEBUG=1`.
"""

from __future__ import annotations

import os
import sys
from typing import Annotated

import typer

app = typer.Typer(
    name="liberta",
    help=(
        "Liberta: a game-analytics warehouse. Raw player events become a star schema that "
        "analysts query. These commands run the whole pipeline on one machine."
    ),
    no_args_is_help=True,
    add_completion=False,
    # Docstrings are wrapped for the source; markdown mode joins their lines into paragraphs.
    rich_markup_mode="markdown",
    pretty_exceptions_enable=False,
)

_debug = {"enabled": False}


def debug_enabled() -> bool:
    return _debug["enabled"] or os.environ.get("LIBERTA_DEBUG", "") not in ("", "0", "false")


@app.callback()
def _options(
    debug: Annotated[
        bool, typer.Option("--debug", help="show the full traceback when a command fails")
    ] = False,
) -> None:
    _debug["enabled"] = debug


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


def main() -> None:
    """The `liberta` console script."""
    try:
        app()
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        sys.exit(130)
    except Exception as exc:
        if debug_enabled():
            raise
        name = type(exc).__name__
        print(f"error: {exc}" if str(exc) else f"error: {name}", file=sys.stderr)
        print(
            "(run with `liberta --debug ...` or LIBERTA_DEBUG=1 for the traceback)", file=sys.stderr
        )
        sys.exit(1)
