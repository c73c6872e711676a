"""A local SparkSession sized for this machine (the pipeline, the tests and the benchmarks).

Spark's defaults suit a cluster, not a laptop: a 1 GB driver heap (too small for millions of
events), 200 shuffle partitions (mostly scheduling overhead on a few cores), the local time
zone and INT96 Parquet timestamps (which Redshift's COPY does not want). This module fixes
those in one place.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from pyspark.sql import SparkSession

LOG4J2_CONFIG = Path(__file__).with_name("spark_log4j2.properties")
_MIN_HEAP_MB = 1024
# The job's live data is small (it stages to Parquet, it does not cache): what fills a bigger
# heap is garbage that G1 lets pile up, growing the heap towards its maximum when the machine
# is busy. Measured with 5M events: 9.6 GB heap -> 4-6 GB resident, 2 GB heap -> 2.5 GB,
# the same CPU time and no spills that fail.
_MAX_HEAP_MB = 2 * 1024
# A local run is short and its JVM is new: C2 spends about half of the JVM's CPU compiling
# Spark's code and each query's generated code; inlining less makes each compilation
# smaller (measured with `python -m bench.spark_job`: README, Performance). Left out of
# EMR's settings: its executors live longer and run warm, where inlining pays; not measured.
_JIT_OPTIONS = "-XX:InlineSmallCode=1000 -XX:FreqInlineSize=150"


def available_cores() -> int:
    """CPU cores this process may use (respects affinity masks and cgroup CPU sets)."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # not Linux
        return max(1, os.cpu_count() or 1)


def total_memory_mb() -> int:
    """Physical memory of the machine in MiB, or of the cgroup limit when that is lower."""
    total = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") // (1024 * 1024)
    for limit_file in ("/sys/fs/cgroup/memory.max", "/sys/fs/cgroup/memory/memory.limit_in_bytes"):
        try:
            with open(limit_file, encoding="ascii") as handle:
                text = handle.read().strip()
        except OSError:
            continue
        if text.isdigit():
            total = min(total, int(text) // (1024 * 1024))
    return total


def default_driver_memory(total_mb: int | None = None) -> str:
    """Heap for a local driver: 40% of memory, at least 1 GiB, at most 2 GiB.

    In local mode the driver JVM also runs the executors; the rest of the memory stays for
    Python workers, the OS page cache and the other processes of the pipeline (Postgres).
    """
    total = total_memory_mb() if total_mb is None else total_mb
    heap = min(_MAX_HEAP_MB, max(_MIN_HEAP_MB, int(total * 0.4)))
    return f"{heap}m"


def local_spark_conf(
    *,
    app_name: str = "liberta",
    cores: int | None = None,
    driver_memory: str | None = None,
    ui: bool = False,
) -> dict[str, str]:
    """The settings `local_spark_session` applies (exposed so they can be inspected)."""
    n_cores = cores or available_cores()
    return {
        "spark.app.name": app_name,
        "spark.master": f"local[{n_cores}]",
        "spark.driver.memory": driver_memory or default_driver_memory(),
        "spark.driver.host": "127.0.0.1",
        "spark.driver.bindAddress": "127.0.0.1",
        "spark.ui.enabled": "true" if ui else "false",
        "spark.ui.host": "127.0.0.1",
        "spark.ui.showConsoleProgress": "false",
        # A few partitions per core: enough to balance, few enough to keep tasks cheap.
        "spark.sql.shuffle.partitions": str(max(4, 2 * n_cores)),
        "spark.default.parallelism": str(max(4, 2 * n_cores)),
        "spark.sql.adaptive.enabled": "true",
        "spark.sql.adaptive.coalescePartitions.enabled": "true",
        "spark.sql.session.timeZone": "UTC",
        "spark.sql.parquet.outputTimestampType": "TIMESTAMP_MICROS",
        "spark.sql.parquet.datetimeRebaseModeInWrite": "CORRECTED",
        "spark.sql.parquet.int96RebaseModeInWrite": "CORRECTED",
        "spark.sql.ansi.enabled": "false",
        "spark.driver.extraJavaOptions": (
            f"-Duser.timezone=UTC -XX:+UseG1GC {_JIT_OPTIONS} "
            f"-Dlog4j2.configurationFile={LOG4J2_CONFIG.as_uri()}"
        ),
        "spark.executor.extraJavaOptions": "-Duser.timezone=UTC",
        "spark.pyspark.python": os.environ.get("PYSPARK_PYTHON", sys.executable),
        "spark.pyspark.driver.python": sys.executable,
        # No _SUCCESS marker files: the run manifest is the completion marker.
        "spark.hadoop.mapreduce.fileoutputcommitter.marksuccessfuljobs": "false",
    }


def local_spark_session(
    *,
    app_name: str = "liberta",
    cores: int | None = None,
    driver_memory: str | None = None,
    ui: bool = False,
) -> SparkSession:
    """Start (or return the running) local SparkSession with settings sized for this machine.

    `cores` defaults to every core this process may use, `driver_memory` (a JVM size such as
    `"4g"`) to `default_driver_memory()`. Memory and cores only take effect when this call
    starts the JVM; a session that already runs is returned as it is, with the SQL settings
    re-applied.
    """
    from pyspark.sql import SparkSession

    conf = local_spark_conf(app_name=app_name, cores=cores, driver_memory=driver_memory, ui=ui)
    os.environ.setdefault("PYSPARK_PYTHON", conf["spark.pyspark.python"])
    # Spark binds to 127.0.0.1 anyway; saying so up front avoids its hostname warning.
    os.environ.setdefault("SPARK_LOCAL_IP", "127.0.0.1")
    builder = SparkSession.builder
    for key, value in conf.items():
        builder = builder.config(key, value)
    spark = builder.getOrCreate()
    for key, value in conf.items():
        if key.startswith("spark.sql."):
            spark.conf.set(key, value)
    spark.sparkContext.setLogLevel("WARN")
    return spark
