"""Rich consoles for the CLI: full width in a terminal, a readable fixed width in pipes and logs."""

from __future__ import annotations

import sys

from rich.console import Console

PIPE_WIDTH = 132


def make_console(*, stderr: bool = False, quiet: bool = False) -> Console:
    stream = sys.stderr if stderr else sys.stdout
    width = None if stream.isatty() else PIPE_WIDTH
    return Console(stderr=stderr, quiet=quiet, width=width)
