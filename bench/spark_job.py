"""Benchmark of the star-schema Spark job: 1M and 5M generated events (gzip, 20 files).

For each size, a fresh process starts Spark (`local_spark_session`, default sizing) and runs
the job on the whole data set, so the wall time includes Spark's start-up. Peak memory is
the largest sum of resident memory of that process and its children (the JVM, Python
workers), sampled every 0.2 s from /proc. The job's counts are reconciled with the
generator's summary. Results go to `bench-results/spark_job.json` and a markdown table.

    python -m bench.spark_job                 # 1M and 5M
    python -m bench.spark_job --sizes 1000000 # one size
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
DATA_DIR = ROOT / ".liberta" / "bench" / "spark_job"
RESULTS = ROOT / "bench-results" / "spark_job.json"
DAYS, FILES_PER_DAY = 4, 4  # + one late file per day: 20 gzip files

_CHILD = """
import json, os, sys, time
t0 = time.perf_counter()
from liberta.spark_local import local_spark_session
from emr_jobs.config import parse_args
from emr_jobs.main import run
spark = local_spark_session(app_name="liberta-bench")
started = time.perf_counter()
jvm = spark.sparkContext._gateway.proc.pid
def cpu(pid):
    fields = open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
manifest = run(spark, parse_args(sys.argv[1:])).to_json()
done = time.perf_counter()
print("RESULT " + json.dumps({
    "spark_start_s": started - t0, "job_s": done - started, "jvm_cpu_s": cpu(jvm),
    "driver_memory": spark.conf.get("spark.driver.memory"), "manifest": manifest,
}))
spark.stop()
"""


def _tree_rss_kb(root_pid: int) -> int:
    """Resident memory of a process and all its descendants, in KiB."""
    children: dict[int, list[int]] = {}
    rss: dict[int, int] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat", encoding="ascii", errors="replace") as handle:
                fields = handle.read().rsplit(")", 1)[1].split()
            with open(f"/proc/{entry}/statm", encoding="ascii") as handle:
                pages = int(handle.read().split()[1])
        except OSError:
            continue
        pid, ppid = int(entry), int(fields[1])
        children.setdefault(ppid, []).append(pid)
        rss[pid] = pages * os.sysconf("SC_PAGE_SIZE") // 1024
    total, todo = 0, [root_pid]
    while todo:
        pid = todo.pop()
        total += rss.get(pid, 0)
        todo.extend(children.get(pid, []))
    return total


def generate(events: int) -> tuple[Path, dict[str, Any]]:
    """Generate (or reuse) the data set for `events`; returns its root and generator summary."""
    from liberta.generator import SUMMARY_NAME, GeneratorConfig, generate

    out = DATA_DIR / f"events-{events}"
    summary_path = out / SUMMARY_NAME
    config = GeneratorConfig(
        events=events,
        start_date=dt.date(2026, 11, 1),
        days=DAYS,
        players=max(1000, events // 100),
        out=str(out),
        compression="gz",
        files_per_day=FILES_PER_DAY,
        duplicate_rate=0.01,
        corrupt_rate=0.01,
        late_rate=0.02,
        seed=7,
        overwrite=True,
    )
    if summary_path.exists():
        summary = json.loads(summary_path.read_text())
        if summary.get("config", {}).get("events") == events:
            return out, summary
    started = time.perf_counter()
    generate(config)
    print(f"generated {events:,} events in {time.perf_counter() - started:.1f} s", flush=True)
    return out, json.loads(summary_path.read_text())


def run_job(raw: Path, curated: Path) -> dict[str, Any]:
    args = ["--raw", str(raw), "--curated", str(curated), "--run-id", "bench", "--full-refresh"]
    env = {**os.environ, "PYSPARK_PYTHON": sys.executable}
    started = time.perf_counter()
    proc = subprocess.Popen(
        [sys.executable, "-c", _CHILD, *args],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    peak = 0
    stop = threading.Event()

    def sample() -> None:
        nonlocal peak
        while not stop.is_set():
            peak = max(peak, _tree_rss_kb(proc.pid))
            time.sleep(0.2)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    out, _ = proc.communicate()
    wall = time.perf_counter() - started
    stop.set()
    sampler.join()
    if proc.returncode != 0:
        raise RuntimeError(f"the job failed (exit {proc.returncode})")
    result = json.loads(next(x for x in out.splitlines() if x.startswith("RESULT "))[7:])
    result["wall_s"] = wall
    result["peak_rss_mb"] = peak / 1024
    return result


def reconcile(manifest: dict[str, Any], summary: dict[str, Any]) -> list[str]:
    counts, lines = manifest["counts"], summary["lines"]
    problems = []
    for job_name, gen_name in (
        ("read", "read"),
        ("valid", "valid"),
        ("quarantined", "invalid"),
        ("duplicates", "duplicates"),
    ):
        if counts[job_name] != lines[gen_name]:
            problems.append(f"{job_name}: job {counts[job_name]} != generator {lines[gen_name]}")
    if counts["time_corrected"] != summary["time_corrected"]:
        problems.append(
            f"time_corrected: job {counts['time_corrected']} != {summary['time_corrected']}"
        )
    return problems


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.spark_job")
    parser.add_argument("--sizes", type=int, nargs="+", default=[1_000_000, 5_000_000])
    args = parser.parse_args(argv)
    load = os.getloadavg()[0]
    results = []
    for events in args.sizes:
        raw, summary = generate(events)
        curated = DATA_DIR / f"curated-{events}"
        result = run_job(raw, curated)
        manifest = result.pop("manifest")
        problems = reconcile(manifest, summary)
        read = manifest["counts"]["read"]
        row = {
            "events": events,
            "lines_read": read,
            "files": manifest["source"]["files"],
            "wall_s": round(result["wall_s"], 1),
            "spark_start_s": round(result["spark_start_s"], 1),
            "job_s": round(result["job_s"], 1),
            "events_per_s": round(read / result["wall_s"]),
            "jvm_cpu_s": round(result["jvm_cpu_s"], 1),
            "peak_rss_mb": round(result["peak_rss_mb"]),
            "driver_memory": result["driver_memory"],
            "stage_s": manifest["stage_seconds"],
            "reconciles_with_generator": not problems,
            "problems": problems,
        }
        results.append(row)
        print(json.dumps(row), flush=True)
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(
        json.dumps(
            {"machine": {"cores": os.cpu_count(), "load_avg_1m_at_start": load}, "runs": results},
            indent=2,
        )
        + "\n"
    )
    print()
    print("| events | files | wall (incl. start-up) | events/s | peak RSS | JVM CPU | counts |")
    print("|---:|---:|---:|---:|---:|---:|---|")
    for r in results:
        ok = "reconcile" if r["reconciles_with_generator"] else "MISMATCH"
        print(
            f"| {r['events']:,} | {r['files']} | {r['wall_s']} s | {r['events_per_s']:,} | "
            f"{r['peak_rss_mb']:,} MB | {r['jvm_cpu_s']} s | {ok} |"
        )
    print(f"\nload average at start: {load:.1f} (other processes share the {os.cpu_count()} cores)")
    return 0 if all(r["reconciles_with_generator"] for r in results) else 1


if __name__ == "__main__":
    sys.exit(main())
