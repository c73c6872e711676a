"""`liberta report` and `liberta kpis`: look at what the warehouse says."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from liberta.config import embedded_profile
from liberta.console import make_console
from liberta.pipeline.warehouse_access import ensure_warehouse, redacted
from liberta.report.data import fetch_cohorts, fetch_daily, fetch_report_data
from liberta.report.html import render_report
from liberta_core.sql import ANALYST_ROLE, ETL_ROLE


def write_report(db_url: str, out: Path) -> Path:
    from liberta.warehouse.db import connect

    # The report shows the runs and their quarantine (etl schema) next to the figures: an
    # operator's view, read as the pipeline's role; `kpis` reads as the analyst role.
    with connect(db_url, role=ETL_ROLE) as conn:
        data = fetch_report_data(conn, source=redacted(db_url))
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(render_report(data), encoding="utf-8")
    return out


def report(
    out: Annotated[
        Path | None, typer.Option(help="HTML file to write (default .liberta/reports/report.html)")
    ] = None,
) -> None:
    """Write a self-contained HTML report: DAU, revenue, conversion, retention, quarantine."""
    target = out or embedded_profile().reports_dir / "report.html"
    path = write_report(ensure_warehouse(make_console(stderr=True)), target)
    print(path.resolve())


def print_kpis(console: Console, db_url: str, *, days: int) -> None:
    from liberta.warehouse.db import connect

    with connect(db_url, role=ANALYST_ROLE) as conn:
        daily = fetch_daily(conn)[-days:]
        cohorts = {c.cohort_date: c for c in fetch_cohorts(conn)}
    if not daily:
        console.print("The warehouse has no events yet: run `liberta run` first.")
        return
    table = Table(title="Key figures (UTC event dates)", title_justify="left", show_edge=False)
    for column in (
        "date",
        "DAU",
        "revenue USD",
        "ARPDAU",
        "new payers",
        "conversion",
        "installs",
        "D1 retention",
        "D7 retention",
    ):
        table.add_column(column, justify="left" if column == "date" else "right")

    def pct(value: float | None) -> str:
        return "–" if value is None else f"{value * 100:.1f}%"

    for k in daily:
        cohort = cohorts.get(k.day)
        table.add_row(
            k.day.isoformat(),
            f"{k.dau:,}",
            f"{k.revenue_usd:,.2f}",
            "–" if k.arpdau is None else f"{k.arpdau:.3f}",
            f"{k.new_payers:,}",
            pct(k.conversion),
            f"{k.installs:,}",
            pct(cohort.d1 if cohort else None),
            pct(cohort.d7 if cohort else None),
        )
    console.print(table)


def kpis(
    days: Annotated[int, typer.Option(help="how many of the latest days to show")] = 14,
) -> None:
    """Print the key figures per day: DAU, revenue, conversion, D1/D7 retention."""
    print_kpis(make_console(), ensure_warehouse(make_console(stderr=True)), days=days)
