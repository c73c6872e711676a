"""generate -> run -> one more day lands -> run, checked against the raw files themselves.

The expected figures come from `reference.py`, which reads the raw files with plain Python and
the rules of docs/metrics.md; the pipeline's own tables never feed an expectation.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import psycopg
import pytest

from liberta.config import embedded_profile
from liberta.pipeline.demo import DemoPlan, first_delivery, generate_incoming, second_delivery
from liberta.pipeline.progress import SilentProgress
from liberta.pipeline.runner import Pipeline, PipelineError, RunRequest
from liberta_core.steps import PIPELINE_STEPS
from liberta_core.tables import TABLES
from tests.e2e.reference import Figures, compute

pytestmark = pytest.mark.slow


def small_plan(home: Path) -> DemoPlan:
    return DemoPlan(
        home=home,
        events=6_000,
        players=150,
        days=8,
        seed=11,
        files_per_day=2,
        duplicate_rate=0.02,
        late_rate=0.05,
        corrupt_rate=0.02,
    )


def make_pipeline(plan: DemoPlan, warehouse_url: str, spark) -> Pipeline:
    profile = embedded_profile(plan.home).with_overrides(
        raw_uri=str(plan.raw), curated_uri=str(plan.curated)
    )
    now = datetime.combine(plan.last_day + timedelta(days=2), datetime.min.time(), UTC)
    return Pipeline(
        profile=profile,
        db_url=warehouse_url,
        spark_factory=lambda: spark,
        progress=SilentProgress(),
        clock=lambda: now,
    )


def warehouse_figures(url: str) -> dict[str, dict]:
    with psycopg.connect(url) as conn:
        daily = conn.execute(
            "SELECT calendar_date, dau, sessions, playtime_s, revenue_usd, new_payers, installs "
            "FROM analysis.v_daily_kpis ORDER BY calendar_date"
        ).fetchall()
        retention = conn.execute(
            "SELECT cohort_date, d1_retained, cohort_size, d1_retention FROM analysis.v_retention"
        ).fetchall()
        paying = conn.execute("SELECT COUNT(*) FROM analysis.d_user WHERE is_paying").fetchone()
    return {
        "dau": {r[0]: r[1] for r in daily if r[1]},
        "sessions": {r[0]: r[2] for r in daily if r[2]},
        "playtime": {r[0]: r[3] for r in daily if r[3]},
        "revenue_usd": {r[0]: Decimal(str(r[4])).quantize(Decimal("0.01")) for r in daily if r[4]},
        "new_payers": {r[0]: r[5] for r in daily if r[5]},
        "installs": {r[0]: r[6] for r in daily if r[6]},
        "retention_d1": {r[0]: (r[1], r[2]) for r in retention if r[3] is not None},
        "paying_players": paying[0],
    }


def expected_figures(figures: Figures) -> dict[str, dict]:
    return {
        "dau": figures.dau,
        "sessions": figures.sessions,
        "playtime": {d: v for d, v in figures.playtime.items() if v},
        "revenue_usd": {
            d: v.quantize(Decimal("0.01")) for d, v in figures.revenue_usd.items() if v
        },
        "new_payers": figures.new_payers,
        "installs": figures.installs,
        "retention_d1": figures.retention_d1,
        "paying_players": figures.paying_players,
    }


def snapshot(url: str) -> dict[str, list[tuple]]:
    """Every analysis table and view, plus the watermark, in a comparable form."""
    with psycopg.connect(url) as conn:
        state = {
            t.name: conn.execute(f"SELECT * FROM analysis.{t.name} ORDER BY 1").fetchall()
            for t in TABLES
        }
        state["v_daily_kpis"] = conn.execute(
            "SELECT * FROM analysis.v_daily_kpis ORDER BY 1"
        ).fetchall()
        state["watermark"] = conn.execute("SELECT high_water_mark FROM etl.watermark").fetchall()
    return state


def test_incremental_runs_match_figures_computed_from_the_raw_files(
    tmp_path: Path, warehouse_url: str, spark
) -> None:
    plan = small_plan(tmp_path)
    summary = generate_incoming(plan)
    assert summary.lines["duplicates"] > 0 and summary.lines["invalid"] > 0
    assert summary.late["lines"] > 0
    pipeline = make_pipeline(plan, warehouse_url, spark)

    first_delivery(plan)
    delivered_first = compute(plan.raw / "events")
    first = pipeline.run(RunRequest())
    # exactly the state machine's steps, in its order (liberta_core.steps)
    assert list(first.step_seconds) == [step.name for step in PIPELINE_STEPS]
    assert first.window is not None and first.window.full_refresh  # the first run reads all
    assert first.counts["read"] == delivered_first.read
    assert first.counts["valid"] == delivered_first.valid
    assert first.counts["quarantined"] == delivered_first.invalid
    assert first.counts["duplicates"] == delivered_first.duplicates
    assert warehouse_figures(warehouse_url) == expected_figures(delivered_first)

    second_delivery(plan)
    second = pipeline.run(RunRequest())
    # Incremental: only the partitions since the high-water mark minus the lookback.
    assert second.window is not None and not second.window.full_refresh
    lookback = timedelta(hours=pipeline.profile.lookback_hours)
    assert second.window.since == datetime.fromisoformat(first.high_water_mark) - lookback
    assert second.counts["read"] < compute(plan.raw / "events").read
    c = second.counts
    assert c["read"] == c["valid"] + c["quarantined"] + c["duplicates"]
    assert warehouse_figures(warehouse_url) == expected_figures(compute(plan.raw / "events"))

    # No new data: running again changes nothing in the warehouse.
    before = snapshot(warehouse_url)
    pipeline.run(RunRequest())
    assert snapshot(warehouse_url) == before


def test_a_failed_load_leaves_the_warehouse_unchanged_and_the_next_run_recovers(
    tmp_path: Path, warehouse_url: str, spark, monkeypatch: pytest.MonkeyPatch
) -> None:
    plan = small_plan(tmp_path)
    generate_incoming(plan)
    pipeline = make_pipeline(plan, warehouse_url, spark)
    first_delivery(plan)
    pipeline.run(RunRequest())
    second_delivery(plan)
    before = snapshot(warehouse_url)

    from liberta.warehouse import loader

    real_load_run = loader.load_run

    def load_with_a_corrupt_last_table(url: str, manifest_uri: str, **kwargs):
        run_dir = Path(manifest_uri.removeprefix("file://")).parent
        for part in (run_dir / "f_revenue").glob("*.parquet"):
            part.write_bytes(part.read_bytes()[: len(part.read_bytes()) // 2])
        return real_load_run(url, manifest_uri, **kwargs)

    monkeypatch.setattr(loader, "load_run", load_with_a_corrupt_last_table)
    with pytest.raises(PipelineError) as failure:
        pipeline.run(RunRequest())
    assert failure.value.step == "load"
    assert "f_revenue" in str(failure.value)
    assert snapshot(warehouse_url) == before
    with psycopg.connect(warehouse_url) as conn:
        statuses = [r[0] for r in conn.execute("SELECT status FROM etl.load_log").fetchall()]
    assert sorted(statuses) == ["failed", "succeeded"]

    monkeypatch.setattr(loader, "load_run", real_load_run)
    recovered = pipeline.run(RunRequest())
    assert recovered.status == "succeeded"
    assert warehouse_figures(warehouse_url) == expected_figures(compute(plan.raw / "events"))


def test_a_failed_spark_step_stops_the_run_and_is_logged(
    tmp_path: Path, warehouse_url: str, spark
) -> None:
    plan = small_plan(tmp_path)
    (plan.raw / "events" / "dt=2026-10-01").mkdir(parents=True)
    (plan.raw / "events" / "dt=2026-10-01" / "all-bad.json").write_text("not json\n" * 20)
    pipeline = make_pipeline(plan, warehouse_url, spark)
    with pytest.raises(PipelineError) as failure:
        pipeline.run(RunRequest())
    assert failure.value.step == "process"
    assert "all-bad.json" in str(failure.value)
    with psycopg.connect(warehouse_url) as conn:
        rows = conn.execute("SELECT status, error FROM etl.load_log").fetchall()
        facts = conn.execute("SELECT COUNT(*) FROM analysis.f_event").fetchone()[0]
    assert [r[0] for r in rows] == ["failed"] and "all-bad.json" in rows[0][1]
    assert facts == 0
