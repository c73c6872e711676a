"""Entry point of the star-schema job: `spark-submit liberta_job.py --raw ... --curated ...`.

`run(spark, config)` does the work with a SparkSession the caller owns (the local pipeline
calls it in-process); `main(argv)` parses arguments, creates the session and maps failures
to exit codes for EMR.

Order of a run: list the window's partitions -> read, parse, validate and stage every line
as Parquet (one pass over the raw data) -> count, and find duplicates at the same time -> gate
on the bad-record share -> write the seven tables and the quarantine, three at a time (row
counts and d_date's span measured while writing) -> the COPY manifests and, last, the run
manifest. A run that fails leaves no manifest (and removes what it wrote).
"""

from __future__ import annotations

import logging
import sys
import time
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor, wait
from contextlib import contextmanager
from datetime import UTC, date, datetime, timedelta
from typing import Any

from pyspark.sql import Column, DataFrame, Observation, SparkSession
from pyspark.sql import functions as F

from emr_jobs.config import ConfigError, JobConfig, parse_args
from emr_jobs.currencies import load_currencies
from emr_jobs.fs import HadoopFs
from emr_jobs.quality import (
    BadRecordShareExceeded,
    ReadStats,
    check_bad_share,
    quarantine_rows,
    read_stats,
)
from emr_jobs.read import RawLayoutError, read_lines, select_raw_files
from emr_jobs.transforms.dedupe import drop_duplicates, duplicate_groups
from emr_jobs.transforms.dimensions import d_date, d_device, d_item, d_user
from emr_jobs.transforms.events import PER_ROW_COLUMNS, stage_lines
from emr_jobs.transforms.facts import f_event, f_revenue, f_session
from emr_jobs.write import parquet_entries, write_observed, write_parquet
from liberta_core import layout
from liberta_core.manifest import (
    Counts,
    QuarantineSummary,
    RunManifest,
    RunWindow,
    TableOutput,
    WorstFile,
    copy_manifest_bytes,
    load_summary_bytes,
)
from liberta_core.tables import TABLES
from liberta_core.timestamps import epoch_to_iso, parse_timestamp

log = logging.getLogger("emr_jobs")

# Settings the job's results depend on; applied to whatever session runs it.
REQUIRED_SQL_CONF: dict[str, str] = {
    "spark.sql.session.timeZone": "UTC",
    "spark.sql.parquet.outputTimestampType": "TIMESTAMP_MICROS",
    "spark.sql.parquet.datetimeRebaseModeInWrite": "CORRECTED",
    "spark.sql.parquet.int96RebaseModeInWrite": "CORRECTED",
    "spark.sql.ansi.enabled": "false",
}
# Above this many duplicated keys the de-duplicated events are staged instead of
# broadcasting the duplicate table into every table's query.
BROADCAST_DUPLICATES_LIMIT = 500_000
# Tables (and the quarantine) written at the same time (see `_concurrently`).
TABLE_WRITERS = 3
_EPOCH = date(1970, 1, 1)

EXIT_OK, EXIT_FAILED, EXIT_USAGE, EXIT_BAD_DATA = 0, 1, 2, 3


class ReconciliationError(RuntimeError):
    """read != valid + quarantined + duplicates: a bug, never published."""


class _Timer:
    def __init__(self) -> None:
        self.seconds: dict[str, float] = {}

    @contextmanager
    def stage(self, name: str) -> Iterator[None]:
        start = time.perf_counter()
        try:
            yield
        finally:
            self.seconds[name] = round(time.perf_counter() - start, 3)
            log.info("stage %s: %.1f s", name, self.seconds[name])


@contextmanager
def _without_whole_stage_codegen(spark: SparkSession) -> Iterator[None]:
    """Run the ~100-column validation projection without whole-stage code generation.

    Fused into one generated method it exceeds the size the JVM's JIT compiles (8000 bytes
    of bytecode) and runs interpreted: measured here, staging took ~1.8x the CPU time.
    """
    key = "spark.sql.codegen.wholeStage"
    previous = spark.conf.get(key, "true")
    spark.conf.set(key, "false")
    try:
        yield
    finally:
        spark.conf.set(key, previous)


def _events_span() -> list[Column]:
    """Measured over the events while f_event is written: d_date's span (earliest and latest
    of event and install dates) and the number of time-corrected events."""
    # Days since 1970-01-01: an observation hands dates over as Java objects, numbers as such.
    return [
        F.unix_date(F.least(F.min("event_date"), F.min("install_date"))).alias("lo"),
        F.unix_date(F.greatest(F.max("event_date"), F.max("install_date"))).alias("hi"),
        F.count_if(F.col("is_time_corrected")).alias("corrected"),
    ]


def _concurrently(jobs: Sequence[Callable[[], None]], workers: int = 2) -> None:
    """Run independent Spark jobs from `workers` threads; re-raise the first failure once
    every job has stopped.

    Each step after staging is a small job; run one after the other, the cores idle while the
    driver plans, lists and commits, and during each job's last tasks. A few concurrent jobs
    keep them busy (locally and on a cluster); the results do not depend on it.
    """
    with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="liberta") as pool:
        futures = [pool.submit(job) for job in jobs]
        wait(futures)
    for future in futures:
        future.result()


def _write_tables(
    spark: SparkSession,
    fs: HadoopFs,
    events: DataFrame,
    config: JobConfig,
    timer: _Timer,
    *,
    also: Sequence[Callable[[], None]] = (),
) -> tuple[dict[str, TableOutput], int]:
    """Write the seven tables, a few at a time (with the jobs `also`); return their manifest
    entries, in `TABLES` order, and the number of time-corrected events."""
    metrics: dict[str, Any] = {}

    def write(name: str, frame: DataFrame) -> None:
        with timer.stage(f"write_{name}"):
            uri = layout.table_uri(config.curated, config.run_id, name)
            metrics[name] = write_observed(frame, uri)

    def facts_then_calendar() -> None:
        # f_event's write also measures the date span d_date needs: no separate pass.
        span = Observation()
        write("f_event", f_event(events.observe(span, *_events_span())))
        lo, hi, metrics["time_corrected"] = (span.get[k] for k in ("lo", "hi", "corrected"))
        days = None if lo is None else (_EPOCH + timedelta(lo), _EPOCH + timedelta(hi))
        write("d_date", d_date(spark, days))

    jobs: list[Callable[[], None]] = [
        facts_then_calendar,
        lambda: write("d_user", d_user(events)),
        lambda: write("f_session", f_session(events)),
        lambda: write("d_device", d_device(events)),
        lambda: write("f_revenue", f_revenue(events)),
        lambda: write("d_item", d_item(events)),
    ]
    _concurrently([*jobs, *also], TABLE_WRITERS)

    tables: dict[str, TableOutput] = {}
    for table in TABLES:
        uri = layout.table_uri(config.curated, config.run_id, table.name)
        rows = int(metrics[table.name]["rows"])
        tables[table.name] = TableOutput(
            rows=rows,
            copy_manifest=layout.copy_manifest_uri(config.curated, config.run_id, table.name),
            entries=tuple(parquet_entries(fs, uri)) if rows else (),
        )
    return tables, int(metrics["time_corrected"] or 0)


def run(spark: SparkSession, config: JobConfig) -> RunManifest:
    """Process the window of `config`; return the manifest that was written last."""
    for key, value in REQUIRED_SQL_CONF.items():
        spark.conf.set(key, value)
    fs = HadoopFs(spark)
    config = _qualified(fs, config)
    timer = _Timer()
    currencies = load_currencies()

    with timer.stage("list"):
        selection = select_raw_files(
            fs,
            config.raw,
            since=config.since,
            until=config.until,
            full_refresh=config.full_refresh,
        )
    log.info(
        "run %s: %d partitions, %d files under %s",
        config.run_id,
        len(selection.partitions),
        len(selection.files),
        selection.root,
    )
    for uri in (config.run_uri, config.quarantine_uri, config.staging_uri):
        fs.delete(uri)
    staging = config.staging_uri
    published = False
    try:
        with timer.stage("parse_validate_stage"), _without_whole_stage_codegen(spark):
            lines = read_lines(spark, selection.files)
            write_parquet(
                stage_lines(lines, currencies),
                f"{staging}/events",
                plain_columns=PER_ROW_COLUMNS,
            )
        staged = spark.read.parquet(f"{staging}/events")
        found: dict[str, Any] = {}

        def count() -> None:
            with timer.stage("count"):
                found["stats"] = read_stats(staged)

        def find_duplicates() -> None:
            # Staging only: nothing is published before the bad-record gate below.
            with timer.stage("dedupe"):
                found["duplicates"] = write_observed(
                    duplicate_groups(staged), f"{staging}/duplicates", copies=F.sum("copies")
                )

        _concurrently([count, find_duplicates])
        stats: ReadStats = found["stats"]
        check_bad_share(stats, config.max_bad_share)

        dup_keys = int(found["duplicates"]["rows"])
        duplicates = int(found["duplicates"]["copies"] or 0) - dup_keys
        dups = spark.read.parquet(f"{staging}/duplicates")
        small = dup_keys <= BROADCAST_DUPLICATES_LIMIT
        events = drop_duplicates(staged, dups, broadcast=small)
        if not small:
            with timer.stage("unique_events"):
                write_parquet(events, f"{staging}/unique_events", plain_columns=PER_ROW_COLUMNS)
            events = spark.read.parquet(f"{staging}/unique_events")

        def quarantine() -> None:
            with timer.stage("quarantine"):
                bad = quarantine_rows(spark, staged, stats)
                bad.coalesce(1).write.mode("overwrite").json(config.quarantine_uri)

        with timer.stage("write_tables"):
            tables, time_corrected = _write_tables(
                spark, fs, events, config, timer, also=[quarantine]
            )

        valid = tables["f_event"].rows
        if stats.read != valid + stats.quarantined + duplicates:
            raise ReconciliationError(
                f"records read ({stats.read}) != valid ({valid}) + quarantined "
                f"({stats.quarantined}) + duplicates ({duplicates})"
            )

        for table in tables.values():
            fs.write_bytes(table.copy_manifest, copy_manifest_bytes(table.entries))
        manifest = _manifest(
            config,
            partitions=tuple(d.isoformat() for d in selection.partitions),
            stats=stats,
            counts=Counts(
                read=stats.read,
                valid=valid,
                quarantined=stats.quarantined,
                duplicates=duplicates,
                time_corrected=time_corrected,
            ),
            tables=tables,
            files_read=len(selection.files),
            stage_seconds=timer.seconds,
        )
        # What the warehouse load reads as data (never as SQL text), then, last, the manifest:
        # it is what makes the run complete and loadable.
        fs.write_bytes(
            layout.load_summary_uri(config.curated, config.run_id), load_summary_bytes(manifest)
        )
        fs.write_bytes(layout.manifest_uri(config.curated, config.run_id), manifest.to_bytes())
        published = True
        return manifest
    finally:
        if not published:
            for uri in (config.run_uri, config.quarantine_uri):
                try:
                    fs.delete(uri)
                except Exception:
                    log.exception("could not remove the incomplete output %s", uri)
        try:
            fs.delete(staging)
        except Exception:
            log.exception("could not remove the staging directory %s", staging)


def _manifest(
    config: JobConfig,
    *,
    partitions: tuple[str, ...],
    stats: ReadStats,
    counts: Counts,
    tables: dict[str, TableOutput],
    files_read: int,
    stage_seconds: dict[str, float],
) -> RunManifest:
    high_water_mark = epoch_to_iso(stats.high_water_epoch)
    return RunManifest(
        run_id=config.run_id,
        created_at=datetime.now(UTC).replace(microsecond=0),
        window=RunWindow(
            since=config.since,
            until=config.until,
            full_refresh=config.full_refresh,
            partitions=partitions,
        ),
        high_water_mark=parse_timestamp(high_water_mark) if high_water_mark else None,
        counts=counts,
        quarantine=QuarantineSummary(
            uri=config.quarantine_uri + "/",
            by_reason=stats.by_reason,
            worst_files=tuple(
                WorstFile(file=f.file, read=f.read, quarantined=f.quarantined)
                for f in stats.worst_files()
            ),
        ),
        tables=tables,
        source_files=files_read,
        max_bad_share=config.max_bad_share,
        stage_seconds=stage_seconds,
    )


def _qualified(fs: HadoopFs, config: JobConfig) -> JobConfig:
    from dataclasses import replace

    return replace(
        config,
        raw=fs.qualify(config.raw),
        curated=fs.qualify(config.curated),
        staging=fs.qualify(config.staging) if config.staging else None,
    )


def main(argv: list[str] | None = None) -> int:
    """spark-submit entry: 0 ok, 1 failure, 2 bad arguments, 3 bad input data."""
    logging.basicConfig(
        level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    try:
        config = parse_args(sys.argv[1:] if argv is None else argv)
    except ConfigError as exc:
        log.error("%s", exc)
        return EXIT_USAGE
    spark = SparkSession.builder.appName(f"liberta-{config.run_id}").getOrCreate()
    try:
        manifest = run(spark, config)
    except (BadRecordShareExceeded, RawLayoutError) as exc:
        log.error("%s", exc)
        return EXIT_BAD_DATA
    except Exception:
        log.exception("run %s failed", config.run_id)
        return EXIT_FAILED
    log.info(
        "run %s published: %s; high-water mark %s",
        config.run_id,
        ", ".join(f"{k} {v}" for k, v in manifest.counts.to_json().items()),
        manifest.to_json()["high_water_mark"],
    )
    return EXIT_OK


if __name__ == "__main__":
    sys.exit(main())
