"""Read what the report shows from the warehouse views (SQL in `queries/`)."""

from __future__ import annotations

from datetime import UTC, datetime
from importlib import resources
from typing import Any

from liberta.report.html import Cohort, DailyKpi, ReportData, RunSummary


def query_text(name: str) -> str:
    return resources.files("liberta.report").joinpath("queries").joinpath(f"{name}.sql").read_text()


def _float(value: Any) -> float | None:
    return None if value is None else float(value)


def fetch_daily(conn) -> list[DailyKpi]:
    return [
        DailyKpi(
            day=row[0],
            dau=int(row[1] or 0),
            sessions=int(row[2] or 0),
            playtime_s=int(row[3] or 0),
            revenue_usd=float(row[4] or 0),
            new_payers=int(row[5] or 0),
            conversion=_float(row[6]),
            arpdau=_float(row[7]),
            installs=int(row[8] or 0),
        )
        for row in conn.execute(query_text("daily_kpis")).fetchall()
    ]


def fetch_cohorts(conn) -> list[Cohort]:
    return [
        Cohort(
            cohort_date=row[0],
            installs=int(row[1]),
            d1=_float(row[2]),
            d7=_float(row[3]),
            d30=_float(row[4]),
        )
        for row in conn.execute(query_text("cohorts")).fetchall()
    ]


def fetch_runs(conn, *, limit: int = 10) -> list[RunSummary]:
    runs: dict[str, dict[str, Any]] = {}
    for row in conn.execute(query_text("recent_runs"), {"limit": limit}).fetchall():
        run = runs.setdefault(
            row[0],
            {
                "run_id": row[0],
                "status": row[1],
                "finished_at": row[2],
                "records_read": row[3],
                "valid": row[4],
                "quarantined": row[5],
                "duplicates": row[6],
                "reasons": {},
            },
        )
        if row[7] is not None:
            run["reasons"][row[7]] = int(row[8])
    return [RunSummary(**run) for run in runs.values()]


def fetch_report_data(conn, *, source: str) -> ReportData:
    return ReportData(
        generated_at=datetime.now(UTC),
        source=source,
        daily=fetch_daily(conn),
        cohorts=fetch_cohorts(conn),
        runs=fetch_runs(conn),
        paying_players=int(conn.execute(query_text("paying_players")).fetchone()[0]),
    )
