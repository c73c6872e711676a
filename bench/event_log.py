"""Summarise a Spark event log: where the CPU of each SQL query (and each stage) went.

The job's `stage_seconds` say how long each step took; the event log says what Spark did in
it: per SQL execution its wall time, and per stage the summed task run time, CPU time, GC
time, bytes read and written, shuffle and spill. Write a log with
`python -m bench.spark_job --event-log DIR`, then

    python -m bench.event_log DIR/local-...            # one line per query and per stage
    python -m bench.event_log DIR/local-... --plans    # also the final physical plans
"""

from __future__ import annotations

import argparse
import json
import sys
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

_NS = 1e9
_MS = 1e3


@dataclass
class StageTotals:
    stage_id: int
    name: str = ""
    tasks: int = 0
    run_s: float = 0.0
    cpu_s: float = 0.0
    gc_s: float = 0.0
    read_mb: float = 0.0
    written_mb: float = 0.0
    shuffle_write_mb: float = 0.0
    shuffle_read_mb: float = 0.0
    spill_mb: float = 0.0
    peak_exec_mb: float = 0.0


@dataclass
class Query:
    execution_id: int
    description: str
    start_ms: int
    end_ms: int = 0
    plan: str = ""
    stages: list[int] = field(default_factory=list)


def _mb(value: float) -> float:
    return value / 1024 / 1024


def summarise(path: Path) -> tuple[list[Query], dict[int, StageTotals]]:
    queries: dict[int, Query] = {}
    job_query: dict[int, int] = {}
    stages: dict[int, StageTotals] = {}
    stage_query: dict[int, int] = {}
    with path.open(encoding="utf-8") as handle:
        for text in handle:
            event: dict[str, Any] = json.loads(text)
            kind = event["Event"]
            if kind.endswith("SQLExecutionStart"):
                queries[event["executionId"]] = Query(
                    event["executionId"],
                    event.get("description", ""),
                    event["time"],
                    plan=event.get("physicalPlanDescription", ""),
                )
            elif kind.endswith("SQLAdaptiveExecutionUpdate"):
                query = queries.get(event["executionId"])
                if query is not None:
                    query.plan = event.get("physicalPlanDescription", query.plan)
            elif kind.endswith("SQLExecutionEnd"):
                if event["executionId"] in queries:
                    queries[event["executionId"]].end_ms = event["time"]
            elif kind == "SparkListenerJobStart":
                props = event.get("Properties", {})
                execution = props.get("spark.sql.execution.id")
                if execution is not None:
                    job_query[event["Job ID"]] = int(execution)
                    for stage_id in event.get("Stage IDs", []):
                        stage_query.setdefault(stage_id, int(execution))
            elif kind == "SparkListenerStageCompleted":
                info = event["Stage Info"]
                totals = stages.setdefault(info["Stage ID"], StageTotals(info["Stage ID"]))
                totals.name = info.get("Stage Name", "")
            elif kind == "SparkListenerTaskEnd":
                metrics = event.get("Task Metrics") or {}
                totals = stages.setdefault(event["Stage ID"], StageTotals(event["Stage ID"]))
                totals.tasks += 1
                totals.run_s += metrics.get("Executor Run Time", 0) / _MS
                totals.cpu_s += metrics.get("Executor CPU Time", 0) / _NS
                totals.gc_s += metrics.get("JVM GC Time", 0) / _MS
                totals.read_mb += _mb(metrics.get("Input Metrics", {}).get("Bytes Read", 0))
                totals.written_mb += _mb(metrics.get("Output Metrics", {}).get("Bytes Written", 0))
                shuffle_w = metrics.get("Shuffle Write Metrics", {})
                totals.shuffle_write_mb += _mb(shuffle_w.get("Shuffle Bytes Written", 0))
                shuffle_r = metrics.get("Shuffle Read Metrics", {})
                totals.shuffle_read_mb += _mb(
                    shuffle_r.get("Remote Bytes Read", 0) + shuffle_r.get("Local Bytes Read", 0)
                )
                totals.spill_mb += _mb(metrics.get("Disk Bytes Spilled", 0))
                totals.peak_exec_mb = max(
                    totals.peak_exec_mb, _mb(metrics.get("Peak Execution Memory", 0))
                )
    for stage_id, execution in stage_query.items():
        if execution in queries and stage_id in stages:
            queries[execution].stages.append(stage_id)
    return sorted(queries.values(), key=lambda q: q.execution_id), stages


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.event_log")
    parser.add_argument("log", type=Path)
    parser.add_argument("--plans", action="store_true", help="print the final physical plans")
    args = parser.parse_args(argv)
    queries, stages = summarise(args.log)
    totals: dict[str, float] = defaultdict(float)
    for q in queries:
        wall = (q.end_ms - q.start_ms) / _MS if q.end_ms else float("nan")
        cpu = sum(stages[s].cpu_s for s in q.stages)
        run = sum(stages[s].run_s for s in q.stages)
        totals["wall"] += wall if q.end_ms else 0
        totals["cpu"] += cpu
        print(f"query {q.execution_id}: {wall:.2f} s wall, {run:.1f} s task, {cpu:.1f} s CPU")
        print(f"  {q.description[:110]}")
        for stage_id in sorted(q.stages):
            s = stages[stage_id]
            print(
                f"    stage {s.stage_id:>3} {s.tasks:>4} tasks  run {s.run_s:6.1f} s  "
                f"cpu {s.cpu_s:6.1f} s  gc {s.gc_s:5.1f} s  in {s.read_mb:7.1f} MB  "
                f"out {s.written_mb:7.1f} MB  shuffle w {s.shuffle_write_mb:6.1f} "
                f"r {s.shuffle_read_mb:6.1f} MB  spill {s.spill_mb:5.1f} MB  "
                f"peak {s.peak_exec_mb:6.1f} MB"
            )
        if args.plans and q.plan:
            print("\n".join("      " + x for x in q.plan.splitlines()))
    print(f"total: {totals['wall']:.1f} s query wall, {totals['cpu']:.1f} s task CPU")
    return 0


if __name__ == "__main__":
    sys.exit(main())
