"""Benchmark of the star-schema Spark job against Spark's own JSON parse of the same files.

For each size (default 1M and 5M generated events, gzip, 20 files) a fresh process starts
Spark (`local_spark_session`, default sizing) and, on the files the job reads:

1. the *floor*: `from_json` with the job's `RAW_SCHEMA` over every line, forced by an
   aggregate over three fields (the least any job that validates these files must spend);
2. the job (`emr_jobs.main.run`), timed without Spark's start-up, with its per-stage times;
3. the floor again (the machine is shared and noisy: the floor is the mean of the two, and
   both are printed).

The ratios job / floor and parse_validate_stage / floor are what this benchmark reports:
absolute seconds move by 2x on a shared machine, the ratios measured side by side do not.
Peak memory is the largest sum of resident memory of that process and its children (the
JVM, Python workers), sampled every 0.2 s from /proc. The job's counts are reconciled with
the generator's summary, and the content of every table, the quarantine and the counts is
compared with the digests recorded on the job before the speed work
(`bench/recorded_hashes.json`, see `bench.content_hash`). Results go to
`bench-results/spark_job.json` and a markdown table.

    python -m bench.spark_job                      # 1M and 5M (~6 min here)
    python -m bench.spark_job --events 1000000     # one size (~1.5 min)
    python -m bench.spark_job --event-log DIR      # also write Spark's event log to DIR
    python -m bench.spark_job --record-hashes      # (re)record the content digests
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
RECORDED_HASHES = Path(__file__).with_name("recorded_hashes.json")
DAYS, FILES_PER_DAY = 4, 4  # + one late file per day: 20 gzip files
FLOOR_FIELDS = ("arrival_ts", "data.user_id", "user_meta.origin")


def _cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def floor_seconds(spark: Any, uris: list[str]) -> float:
    """Seconds for Spark's own parse of `uris` with the job's schema (forced by an aggregate)."""
    from pyspark.sql import functions as F

    from emr_jobs.contract import JSON_OPTIONS, RAW_SCHEMA

    parsed = spark.read.text(uris).select(F.from_json("value", RAW_SCHEMA, JSON_OPTIONS).alias("j"))
    started = time.perf_counter()
    parsed.agg(
        F.count(f"j.{FLOOR_FIELDS[0]}"),
        F.max(f"j.{FLOOR_FIELDS[1]}"),
        F.sum(F.length(f"j.{FLOOR_FIELDS[2]}")),
    ).collect()
    return time.perf_counter() - started


def child(argv: list[str]) -> int:
    """In the benchmark's subprocess: floor, job, floor; prints one RESULT line."""
    t0 = time.perf_counter()
    from emr_jobs.config import parse_args
    from emr_jobs.fs import HadoopFs
    from emr_jobs.main import run
    from emr_jobs.read import select_raw_files
    from liberta.spark_local import local_spark_session

    spark = local_spark_session(app_name="liberta-bench")
    started = time.perf_counter()
    jvm = spark.sparkContext._gateway.proc.pid
    config = parse_args(argv)
    fs = HadoopFs(spark)
    selection = select_raw_files(
        fs, fs.qualify(config.raw), since=None, until=None, full_refresh=True
    )
    uris = [f.uri for f in selection.files]
    floor_before = floor_seconds(spark, uris)
    cpu_before = _cpu_seconds(jvm)
    job_started = time.perf_counter()
    manifest = run(spark, config).to_json()
    job_s = time.perf_counter() - job_started
    job_cpu = _cpu_seconds(jvm) - cpu_before
    floor_after = floor_seconds(spark, uris)
    result = {
        "spark_start_s": started - t0,
        "floor_s": [floor_before, floor_after],
        "job_s": job_s,
        "job_jvm_cpu_s": job_cpu,
        "driver_memory": spark.conf.get("spark.driver.memory"),
        "manifest": manifest,
    }
    print("RESULT " + json.dumps(result), flush=True)
    spark.stop()
    return 0


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


def run_job(raw: Path, curated: Path, event_log: Path | None = None) -> dict[str, Any]:
    args = ["--raw", str(raw), "--curated", str(curated), "--run-id", "bench", "--full-refresh"]
    env = {**os.environ, "PYSPARK_PYTHON": sys.executable}
    if event_log is not None:
        event_log.mkdir(parents=True, exist_ok=True)
        env["PYSPARK_SUBMIT_ARGS"] = (
            f"--conf spark.eventLog.enabled=true --conf spark.eventLog.dir={event_log.as_uri()} "
            "pyspark-shell"
        )
    started = time.perf_counter()
    proc = subprocess.Popen(
        [sys.executable, "-m", "bench.spark_job", "--child", *args],
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


def check_content(events: int, curated: Path, raw: Path, *, record: bool) -> tuple[str, list[str]]:
    """Compare (or record) the digests of the run's output; returns (status, problems)."""
    from bench.content_hash import compare, run_digests

    digests = run_digests(curated, "bench", (raw / "events").as_uri())
    recorded = json.loads(RECORDED_HASHES.read_text()) if RECORDED_HASHES.exists() else {}
    key = str(events)
    if record:
        recorded[key] = digests
        RECORDED_HASHES.write_text(json.dumps(recorded, indent=2, sort_keys=True) + "\n")
        return "recorded", []
    if key not in recorded:
        return "not recorded", []
    problems = compare(recorded[key], digests)
    return ("identical" if not problems else "DIFFERENT"), problems


def main(argv: list[str] | None = None) -> int:
    args_in = sys.argv[1:] if argv is None else argv
    if args_in[:1] == ["--child"]:
        return child(args_in[1:])
    parser = argparse.ArgumentParser(prog="python -m bench.spark_job")
    parser.add_argument(
        "--events", "--sizes", dest="sizes", type=int, nargs="+", default=[1_000_000, 5_000_000]
    )
    parser.add_argument("--event-log", type=Path, help="write Spark's event log here")
    parser.add_argument(
        "--record-hashes", action="store_true", help="record the output digests (trusted code only)"
    )
    args = parser.parse_args(args_in)
    load = os.getloadavg()[0]
    results = []
    for events in args.sizes:
        raw, summary = generate(events)
        curated = DATA_DIR / f"curated-{events}"
        result = run_job(raw, curated, args.event_log)
        manifest = result.pop("manifest")
        problems = reconcile(manifest, summary)
        content, content_problems = check_content(events, curated, raw, record=args.record_hashes)
        read = manifest["counts"]["read"]
        floor = sum(result["floor_s"]) / 2
        stages = manifest["stage_seconds"]
        row = {
            "events": events,
            "lines_read": read,
            "files": manifest["source"]["files"],
            "floor_s": round(floor, 2),
            "floor_runs_s": [round(x, 2) for x in result["floor_s"]],
            "job_s": round(result["job_s"], 2),
            "job_over_floor": round(result["job_s"] / floor, 2),
            "parse_validate_stage_s": stages["parse_validate_stage"],
            "parse_validate_over_floor": round(stages["parse_validate_stage"] / floor, 2),
            "wall_s": round(result["wall_s"], 1),
            "spark_start_s": round(result["spark_start_s"], 1),
            "events_per_s": round(read / result["job_s"]),
            "job_jvm_cpu_s": round(result["job_jvm_cpu_s"], 1),
            "peak_rss_mb": round(result["peak_rss_mb"]),
            "driver_memory": result["driver_memory"],
            "stage_s": stages,
            "reconciles_with_generator": not problems,
            "problems": problems,
            "content": content,
            "content_problems": content_problems,
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
    print(
        "| events | floor | job | job / floor | parse_validate / floor | events/s (job) "
        "| peak RSS | counts | content |"
    )
    print("|---:|---:|---:|---:|---:|---:|---:|---|---|")
    for r in results:
        ok = "reconcile" if r["reconciles_with_generator"] else "MISMATCH"
        print(
            f"| {r['events']:,} | {r['floor_s']} s | {r['job_s']} s | {r['job_over_floor']}x | "
            f"{r['parse_validate_over_floor']}x | {r['events_per_s']:,} | "
            f"{r['peak_rss_mb']:,} MB | {ok} | {r['content']} |"
        )
    print(f"\nload average at start: {load:.1f} (other processes share the {os.cpu_count()} cores)")
    good = all(r["reconciles_with_generator"] and r["content"] != "DIFFERENT" for r in results)
    return 0 if good else 1


if __name__ == "__main__":
    sys.exit(main())
