"""The local pipeline: the state machine's steps, in its order, on one machine.

Bootstrap -> ChooseWindow -> ProcessEvents -> LoadWarehouse (liberta_core.steps), as on AWS.
The Spark step is the EMR step's own entry (`emr_jobs.main.run`), the load is the same SQL the
Redshift load runs (rendered for Postgres), so a local run exercises what AWS runs.
"""

from __future__ import annotations

import shutil
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from liberta.config import Profile
from liberta.pipeline.progress import Progress, SparkStageWatcher
from liberta.pipeline.window import Window, choose_window, window_parameters
from liberta_core import layout, steps
from liberta_core.job_args import JobArguments
from liberta_core.manifest import RunManifest
from liberta_core.run_id import check_run_id, new_run_id
from liberta_core.sql import ETL_ROLE
from liberta_core.steps import Step
from liberta_core.timestamps import format_timestamp


class PipelineError(RuntimeError):
    """A step failed; the warehouse is as it was before the run."""

    def __init__(self, step: str, cause: BaseException) -> None:
        super().__init__(f"step {step} failed: {cause}")
        self.step = step
        self.cause = cause


@dataclass(frozen=True, kw_only=True)
class RunRequest:
    since: datetime | None = None
    until: datetime | None = None
    full_refresh: bool = False
    run_id: str | None = None


@dataclass(kw_only=True)
class RunReport:
    run_id: str
    profile: str
    window: Window | None = None
    status: str = "running"
    manifest_uri: str | None = None
    counts: dict[str, int] = field(default_factory=dict)
    quarantine_by_reason: dict[str, int] = field(default_factory=dict)
    rows: dict[str, dict[str, int]] = field(default_factory=dict)
    high_water_mark: str | None = None
    step_seconds: dict[str, float] = field(default_factory=dict)
    error: str | None = None

    def as_json(self) -> dict[str, Any]:
        return {
            "run_id": self.run_id,
            "profile": self.profile,
            "status": self.status,
            "window": None
            if self.window is None
            else {
                "since": self.window.since.isoformat() if self.window.since else None,
                "until": self.window.until.isoformat(),
                "full_refresh": self.window.full_refresh,
            },
            "manifest": self.manifest_uri,
            "counts": self.counts,
            "quarantine_by_reason": self.quarantine_by_reason,
            "rows": self.rows,
            "high_water_mark": self.high_water_mark,
            "step_seconds": {k: round(v, 3) for k, v in self.step_seconds.items()},
            "error": self.error,
        }


@dataclass(kw_only=True)
class Pipeline:
    """One local pipeline: a profile, a warehouse URL and a way to get a SparkSession."""

    profile: Profile
    db_url: str
    spark_factory: Callable[[], Any]
    progress: Progress
    clock: Callable[[], datetime] = field(default=lambda: datetime.now(UTC))

    def run(self, request: RunRequest) -> RunReport:
        now = self.clock()
        # The run id rule is enforced here, at this path's entrance (RunIdError names it).
        run_id = check_run_id(request.run_id) if request.run_id else new_run_id(now)
        report = RunReport(run_id=run_id, profile=self.profile.name)
        try:
            self._run_steps(request, report, now)
        except PipelineError as failure:
            report.status = "failed"
            report.error = str(failure)
            self._record_failure(report, failure.step)
            raise
        report.status = "succeeded"
        return report

    @contextmanager
    def _step(self, step: Step, report: RunReport, *, detail: str = "") -> Iterator[None]:
        started = time.monotonic()
        title = f"{step.title} ({detail})" if detail else step.title
        try:
            with self.progress.step(step.name, title):
                yield
        except PipelineError:
            raise
        except Exception as exc:  # any failure of a step stops the run, named by its step
            raise PipelineError(step.name, exc) from exc
        finally:
            report.step_seconds[step.name] = time.monotonic() - started

    def _run_steps(self, request: RunRequest, report: RunReport, now: datetime) -> None:
        from liberta.warehouse.db import bootstrap, connect

        with self._step(steps.BOOTSTRAP, report), connect(self.db_url) as conn:
            bootstrap(conn)

        with self._step(steps.WINDOW, report), connect(self.db_url, role=ETL_ROLE) as conn:
            report.window = choose_window(
                conn,
                window_parameters(
                    since=request.since,
                    until=request.until,
                    full_refresh=request.full_refresh,
                    started_at=now,
                    lookback_hours=self.profile.lookback_hours,
                ),
            )

        with self._step(steps.PROCESS, report, detail=report.window.describe()):
            if self.profile.raw_uri.startswith("s3://"):
                manifest = self._process_via_mirror(report)
            else:
                manifest = self._process(
                    report, raw=self.profile.raw_uri, curated=self.profile.curated_uri
                )
                report.manifest_uri = layout.manifest_uri(self.profile.curated_uri, report.run_id)
            document = manifest.to_json()
            report.counts = dict(document["counts"])
            report.quarantine_by_reason = dict(document["quarantine"]["by_reason"])
            report.high_water_mark = document["high_water_mark"]

        with self._step(steps.LOAD, report):
            from liberta.warehouse.loader import load_run

            result = load_run(self.db_url, report.manifest_uri)
            report.rows = rows_by_table(result)

    def _process(self, report: RunReport, *, raw: str, curated: str) -> RunManifest:
        from emr_jobs.config import parse_args
        from emr_jobs.main import run as run_job

        window = report.window
        assert window is not None
        # The same builder the state machine uses, parsed by the job's own parser.
        arguments = JobArguments(
            raw=raw,
            curated=curated,
            run_id=report.run_id,
            since=None if window.full_refresh else format_timestamp(window.since),
            until=None if window.full_refresh else format_timestamp(window.until),
            full_refresh=window.full_refresh,
            max_bad_share=self.profile.max_bad_share,
        )
        config = parse_args(arguments.to_strings())
        spark = self.spark_factory()
        with SparkStageWatcher(spark.sparkContext, self.progress):
            return run_job(spark, config)

    def _process_via_mirror(self, report: RunReport) -> RunManifest:
        """S3 lake, local Spark: run the job on a local copy, publish the run to the bucket."""
        from liberta.pipeline.s3_mirror import mirror_raw_window, publish_run

        assert report.window is not None
        work = self.profile.scratch_dir / "mirror" / report.run_id
        try:
            self.progress.detail("copying the window's raw partitions from S3")
            mirror_raw_window(self.profile.raw_uri, work / "raw", report.window)
            manifest = self._process(
                report, raw=(work / "raw").as_uri(), curated=(work / "curated").as_uri()
            )
            self.progress.detail("publishing the run to S3")
            report.manifest_uri = publish_run(
                local_curated=work / "curated",
                curated_uri=self.profile.curated_uri,
                run_id=report.run_id,
                local_raw=work / "raw",
                raw_uri=self.profile.raw_uri,
            )
            return manifest
        finally:
            shutil.rmtree(work, ignore_errors=True)

    def _record_failure(self, report: RunReport, failed_step: str) -> None:
        from liberta.warehouse.db import connect
        from liberta.warehouse.runs import record_failed_run

        if failed_step == steps.LOAD.name:
            return  # the load logs its own failures, after its rollback
        try:
            with connect(self.db_url, autocommit=True, role=ETL_ROLE) as conn:
                record_failed_run(
                    conn,
                    run_id=report.run_id,
                    full_refresh=report.window.full_refresh if report.window else None,
                    error=report.error or "unknown error",
                    failed_step=failed_step,
                )
        except Exception as exc:  # the warehouse itself may be what failed
            report.error = f"{report.error} (and the failure could not be logged: {exc})"


def rows_by_table(result: Any) -> dict[str, dict[str, int]]:
    return {
        name: {"staged": s.rows_staged, "inserted": s.rows_inserted, "updated": s.rows_updated}
        for name, s in result.tables.items()
    }
