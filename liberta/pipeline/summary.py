"""How a finished run is shown to a person: counts, rows merged per table, step durations."""

from __future__ import annotations

from rich.console import Console
from rich.table import Table

from liberta.pipeline.runner import RunReport
from liberta_core.steps import PIPELINE_STEPS

STEP_TITLES = {step.name: step.title for step in PIPELINE_STEPS}


def print_run_summary(console: Console, report: RunReport) -> None:
    console.print(
        f"\n[bold]Run {report.run_id}[/] · {report.status} · profile {report.profile}"
        + (f"\nwindow {report.window.describe()}" if report.window else "")
    )
    if report.counts:
        counts = Table(title="Records", title_justify="left", show_edge=False)
        for name in ("read", "valid", "quarantined", "duplicates", "time_corrected"):
            counts.add_column(name.replace("_", " "), justify="right")
        counts.add_row(
            *(
                f"{report.counts.get(n, 0):,}"
                for n in ("read", "valid", "quarantined", "duplicates", "time_corrected")
            )
        )
        console.print(counts)
    if report.quarantine_by_reason:
        reasons = ", ".join(
            f"{reason} {count:,}"
            for reason, count in sorted(report.quarantine_by_reason.items(), key=lambda kv: -kv[1])
        )
        console.print(f"quarantine reasons: {reasons}")
    if report.rows:
        rows = Table(title="Rows merged", title_justify="left", show_edge=False)
        rows.add_column("table")
        metrics = sorted({m for counts in report.rows.values() for m in counts})
        for metric in metrics:
            rows.add_column(metric, justify="right")
        for table_name, counts in report.rows.items():
            rows.add_row(table_name, *(f"{counts.get(m, 0):,}" for m in metrics))
        console.print(rows)
    if report.step_seconds:
        steps = Table(title="Steps", title_justify="left", show_edge=False)
        steps.add_column("step")
        steps.add_column("seconds", justify="right")
        for name, seconds in report.step_seconds.items():
            steps.add_row(STEP_TITLES.get(name, name), f"{seconds:.1f}")
        steps.add_row("[bold]total[/]", f"[bold]{sum(report.step_seconds.values()):.1f}[/]")
        console.print(steps)
    if report.manifest_uri:
        console.print(f"manifest: {report.manifest_uri}")
    if report.error:
        console.print(f"[red]error:[/] {report.error}")
