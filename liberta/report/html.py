"""Render the warehouse figures as one self-contained HTML page (inline CSS and SVG)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from html import escape

from liberta.report.svg import bar_chart, format_number, line_chart


@dataclass(frozen=True, kw_only=True)
class DailyKpi:
    day: date
    dau: int
    sessions: int
    playtime_s: int
    revenue_usd: float
    new_payers: int
    conversion: float | None
    arpdau: float | None
    installs: int


@dataclass(frozen=True, kw_only=True)
class Cohort:
    cohort_date: date
    installs: int
    d1: float | None
    d7: float | None
    d30: float | None


@dataclass(frozen=True, kw_only=True)
class RunSummary:
    run_id: str
    status: str
    finished_at: datetime | None
    records_read: int | None
    valid: int | None
    quarantined: int | None
    duplicates: int | None
    reasons: dict[str, int] = field(default_factory=dict)


@dataclass(frozen=True, kw_only=True)
class ReportData:
    generated_at: datetime
    source: str
    daily: list[DailyKpi]
    cohorts: list[Cohort]
    runs: list[RunSummary]
    paying_players: int


STYLE = """
body { font: 14px/1.45 system-ui, -apple-system, "Segoe UI", sans-serif; color: #1f2933;
       margin: 2rem auto; max-width: 980px; padding: 0 1rem; }
h1 { font-size: 1.6rem; margin-bottom: .2rem; } h2 { margin-top: 2rem; font-size: 1.2rem; }
.meta { color: #616e7c; }
.cards { display: flex; gap: .8rem; flex-wrap: wrap; margin: 1rem 0; }
.card { border: 1px solid #d9e2ec; border-radius: 8px; padding: .6rem 1rem; min-width: 120px; }
.card b { display: block; font-size: 1.3rem; }
table { border-collapse: collapse; width: 100%; margin: .5rem 0; }
th, td { padding: .25rem .5rem; border-bottom: 1px solid #e4e7eb; text-align: right; }
th:first-child, td:first-child { text-align: left; }
svg .chart-title { font-weight: 600; font-size: 13px; fill: #1f2933; }
svg .tick { font-size: 10px; fill: #616e7c; }
svg .grid { stroke: #e4e7eb; stroke-width: 1; }
svg .series { fill: none; stroke: #2563eb; stroke-width: 2; }
svg .dot { fill: #2563eb; }
svg .bar { fill: #059669; }
.empty { color: #9aa5b1; }
td.reasons { text-align: left; font-size: 12px; color: #3e4c59; }
svg { max-width: 100%; height: auto; }
"""


def _pct(value: float | None) -> str:
    return "–" if value is None else f"{value * 100:.1f} %"


def _money(value: float | None) -> str:
    return "–" if value is None else f"${value:,.2f}"


def _heat(value: float | None) -> str:
    if value is None:
        return ""
    alpha = min(max(value, 0.0), 1.0) * 0.85 + 0.05
    text = "#fff" if alpha > 0.45 else "#1f2933"
    return f' style="background: rgba(37, 99, 235, {alpha:.2f}); color: {text}"'


def _cards(data: ReportData) -> str:
    total_revenue = sum(k.revenue_usd for k in data.daily)
    last = data.daily[-1] if data.daily else None
    cards = [
        ("days of data", str(len(data.daily))),
        ("DAU (last day)", format_number(last.dau) if last else "–"),
        ("revenue (all days)", _money(total_revenue)),
        ("paying players", format_number(data.paying_players)),
        ("installs (all days)", format_number(sum(k.installs for k in data.daily))),
    ]
    return (
        '<div class="cards">'
        + "".join(
            f'<div class="card">{escape(label)}<b>{escape(value)}</b></div>'
            for label, value in cards
        )
        + "</div>"
    )


def _daily_table(daily: list[DailyKpi]) -> str:
    if not daily:
        return '<p class="empty">No events loaded yet.</p>'
    rows = "".join(
        f"<tr><td>{k.day.isoformat()}</td><td>{k.dau:,}</td><td>{k.sessions:,}</td>"
        f"<td>{k.playtime_s / 3600:,.1f}</td><td>{_money(k.revenue_usd)}</td>"
        f"<td>{_money(k.arpdau)}</td><td>{k.new_payers:,}</td><td>{_pct(k.conversion)}</td>"
        f"<td>{k.installs:,}</td></tr>"
        for k in reversed(daily)
    )
    return (
        "<table><thead><tr><th>date</th><th>DAU</th><th>sessions</th><th>playtime h</th>"
        "<th>revenue</th><th>ARPDAU</th><th>new payers</th><th>conversion</th><th>installs</th>"
        f"</tr></thead><tbody>{rows}</tbody></table>"
    )


def _cohort_table(cohorts: list[Cohort]) -> str:
    if not cohorts:
        return '<p class="empty">No install cohorts yet.</p>'
    rows = "".join(
        f"<tr><td>{c.cohort_date.isoformat()}</td><td>{c.installs:,}</td>"
        f"<td{_heat(c.d1)}>{_pct(c.d1)}</td><td{_heat(c.d7)}>{_pct(c.d7)}</td>"
        f"<td{_heat(c.d30)}>{_pct(c.d30)}</td></tr>"
        for c in cohorts
    )
    return (
        "<table><thead><tr><th>install cohort</th><th>installs</th><th>D1</th><th>D7</th>"
        f"<th>D30</th></tr></thead><tbody>{rows}</tbody></table>"
    )


def _runs_table(runs: list[RunSummary]) -> str:
    if not runs:
        return '<p class="empty">No pipeline runs recorded.</p>'

    def count(value: int | None) -> str:
        return "–" if value is None else f"{value:,}"

    rows = "".join(
        f"<tr><td>{escape(r.run_id)}</td><td>{escape(r.status)}</td>"
        f"<td>{r.finished_at.strftime('%Y-%m-%d %H:%M') if r.finished_at else '–'}</td>"
        f"<td>{count(r.records_read)}</td><td>{count(r.valid)}</td>"
        f"<td>{count(r.quarantined)}</td><td>{count(r.duplicates)}</td>"
        f'<td class="reasons">'
        f"{escape(', '.join(f'{k}: {v:,}' for k, v in r.reasons.items()) or '–')}</td></tr>"
        for r in runs
    )
    return (
        "<table><thead><tr><th>run</th><th>status</th><th>finished (UTC)</th><th>read</th>"
        "<th>valid</th><th>quarantined</th><th>duplicates</th>"
        '<th style="text-align:left">quarantine reasons</th>'
        f"</tr></thead><tbody>{rows}</tbody></table>"
    )


def render_report(data: ReportData) -> str:
    dau = [(k.day, k.dau) for k in data.daily]
    revenue = [(k.day, k.revenue_usd) for k in data.daily]
    conversion = [(k.day, (k.conversion or 0) * 100) for k in data.daily]
    span = (
        f"{data.daily[0].day.isoformat()} to {data.daily[-1].day.isoformat()}"
        if data.daily
        else "no data"
    )
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<title>Liberta report</title>
<style>{STYLE}</style></head>
<body>
<h1>Liberta: game analytics</h1>
<p class="meta">Event dates {escape(span)} · generated {data.generated_at:%Y-%m-%d %H:%M} UTC
 · source {escape(data.source)}</p>
{_cards(data)}
<h2>Daily active users</h2>
{line_chart(dau, title="DAU: distinct players with a valid event that day")}
<h2>Revenue</h2>
{bar_chart(revenue, title="Revenue (USD) by event date")}
<h2>Conversion</h2>
{line_chart(conversion, title="Conversion: new payers / DAU (%)")}
<h2>Retention by install cohort</h2>
{_cohort_table(data.cohorts)}
<h2>Daily figures</h2>
{_daily_table(data.daily)}
<h2>Pipeline runs and quarantine</h2>
{_runs_table(data.runs)}
<p class="meta">Definitions: see docs/metrics in the Liberta README. All dates are UTC.</p>
</body></html>
"""
