"""Benchmark `liberta generate`: events/s and peak memory per compression.

Run as `python -m bench.generator [--events N] [--quick]`; prints one line per case and
writes `bench-results/generator.json`. Each case runs in a fresh process so peak memory is
its own. The headline is gzip output at 1M events (requirement: >= 100k events/s).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import multiprocessing as mp
import os
import platform
import resource
import shutil
import tempfile
import time
from pathlib import Path

RESULTS = Path("bench-results") / "generator.json"


def _case(compression: str, events: int, out_q: mp.Queue) -> None:  # type: ignore[type-arg]
    from liberta.generator import GeneratorConfig, generate

    out = tempfile.mkdtemp(prefix=f"liberta-bench-{compression}-")
    try:
        config = GeneratorConfig(
            events=events,
            start_date=dt.date(2024, 3, 1),
            days=14,
            players=max(100, events // 100),
            seed=1,
            out=out,
            compression=compression,  # type: ignore[arg-type]
            files_per_day=4,
            duplicate_rate=0.01,
            late_rate=0.01,
            corrupt_rate=0.01,
        )
        started, cpu_started = time.perf_counter(), time.process_time()
        summary = generate(config)
        elapsed = time.perf_counter() - started
        cpu = time.process_time() - cpu_started  # all threads of this process
        size = sum(p.stat().st_size for p in Path(out).rglob("*") if p.is_file())
        out_q.put(
            {
                "compression": compression,
                "events": events,
                "lines": summary.lines["read"],
                "files": len(summary.files),
                "seconds": round(elapsed, 3),
                "events_per_s": round(events / elapsed),
                "cpu_seconds": round(cpu, 3),
                "events_per_cpu_s": round(events / cpu),
                "load_avg_1m": round(os.getloadavg()[0], 2),
                "output_mb": round(size / 1e6, 1),
                "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024),
            }
        )
    finally:
        shutil.rmtree(out, ignore_errors=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--events", type=int, default=1_000_000, help="events for gz/none/lzo")
    parser.add_argument("--bz2-events", type=int, default=200_000, help="bz2 is ~10x slower")
    parser.add_argument("--quick", action="store_true", help="gzip only")
    args = parser.parse_args()
    cases = [("gz", args.events)]
    if not args.quick:
        cases += [("none", args.events), ("lzo", args.events), ("bz2", args.bz2_events)]
    ctx = mp.get_context("spawn")
    results = []
    for compression, events in cases:
        queue = ctx.Queue()
        proc = ctx.Process(target=_case, args=(compression, events, queue))
        proc.start()
        result = queue.get()
        proc.join()
        if proc.exitcode != 0:
            raise SystemExit(f"benchmark case {compression} failed (exit {proc.exitcode})")
        results.append(result)
        print(
            f"generator {compression:>4}: {events:>9,} events in {result['seconds']:6.2f} s = "
            f"{result['events_per_s']:>9,} events/s ({result['events_per_cpu_s']:,} per CPU-s), "
            f"{result['output_mb']:.1f} MB, peak RSS {result['peak_rss_mb']} MB, "
            f"load {result['load_avg_1m']}"
        )
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(
        json.dumps(
            {
                "benchmark": "generator",
                "measured_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
                "machine": {"cpus": os.cpu_count(), "python": platform.python_version()},
                "results": results,
            },
            indent=2,
        )
        + "\n"
    )
    print(f"wrote {RESULTS}")


if __name__ == "__main__":
    main()
