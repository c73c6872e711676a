"""The warehouse a local command talks to: `LIBERTA_DB_URL`, or the project's own Postgres."""

from __future__ import annotations

import os

from rich.console import Console


def ensure_warehouse(console: Console) -> str:
    """Return the warehouse URL, starting the project-managed Postgres if it is not running.

    With `LIBERTA_DB_URL` set, that Postgres is used as it is and nothing is started.
    """
    from liberta.warehouse.server import LocalPostgres

    url = os.environ.get("LIBERTA_DB_URL")
    if url:
        return url
    server = LocalPostgres()
    status = server.status()
    if not status.running:
        with console.status("Starting the local Postgres"):
            status = server.start()
        console.print(f"[green]✓[/] local Postgres running at {status.url} ({status.data_dir})")
    return status.url


def redacted(url: str) -> str:
    from liberta.warehouse.db import redact

    return redact(url)
