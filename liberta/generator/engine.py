"""`generate(config)`: plan players and sessions, render lines day by day, write the files."""

from __future__ import annotations

import datetime as dt
import random
import time
from collections import deque
from concurrent.futures import Future, ThreadPoolExecutor

from liberta.generator.config import GeneratorConfig
from liberta.generator.players import make_players, make_world, plan_sessions
from liberta.generator.render import DayLines, Renderer
from liberta.generator.sinks import Sink, encode, open_sink
from liberta.generator.summary import SUMMARY_NAME, GenerationSummary, WrittenFile, build_summary

EVENTS_DIR = "events"


def _prepare(sink: Sink, *, overwrite: bool, summary: bool) -> None:
    taken = sink.any_under(EVENTS_DIR) or (summary and sink.exists(SUMMARY_NAME))
    if not taken:
        return
    if not overwrite:
        raise FileExistsError(
            f"{sink.uri} already holds generated data ({EVENTS_DIR}/ or {SUMMARY_NAME}); "
            "choose another --out or pass --overwrite to replace it"
        )
    sink.remove_under(EVENTS_DIR)
    if summary and sink.exists(SUMMARY_NAME):
        sink.remove_under(SUMMARY_NAME)


def generate(config: GeneratorConfig) -> GenerationSummary:
    """Write raw events as `config` asks and return (and write) the summary."""
    started = time.perf_counter()
    sink = open_sink(config.out)
    late_sink = open_sink(config.late_out) if config.late_out else sink
    _prepare(sink, overwrite=config.overwrite, summary=True)
    if late_sink is not sink:
        _prepare(late_sink, overwrite=config.overwrite, summary=False)

    # independent streams, so a change in one stage does not reshuffle the others
    world = make_world(config)
    players = make_players(world, random.Random(f"{config.seed}:players"))
    sessions = plan_sessions(world, players, random.Random(f"{config.seed}:sessions"))
    renderer = Renderer(world, random.Random(f"{config.seed}:events"))

    files: list[WrittenFile] = []
    by_dt: dict[str, dict[str, int]] = {}
    in_flight: deque[Future[None]] = deque()
    F = config.files_per_day

    def write(target: Sink, key: str, lines: list[str], name: str) -> None:
        data = ("\n".join(lines) + "\n").encode("utf-8")
        target.put(
            key,
            encode(data, compression=config.compression, name=name, level=config.compression_level),
        )

    with ThreadPoolExecutor(max_workers=2, thread_name_prefix="liberta-gen-write") as pool:

        def emit(day: DayLines) -> None:
            if not 0 <= day.day < config.days:
                raise AssertionError(f"event arrived outside the window: day {day.day}")
            date = (config.start_date + dt.timedelta(days=day.day)).isoformat()
            read = 0
            for idx, lines in enumerate(day.files):
                if not lines:
                    continue
                late = idx == F
                name = (f"late-{0:05d}" if late else f"events-{idx:05d}") + config.suffix
                key = f"{EVENTS_DIR}/dt={date}/{name}"
                target = late_sink if late else sink
                files.append(WrittenFile(f"{target.uri}/{key}", date, len(lines), 0, late))
                in_flight.append(pool.submit(write, target, key, lines, name))
                read += len(lines)
            by_dt[date] = {
                "read": read,
                "valid": read - day.invalid - day.duplicates,
                "invalid": day.invalid,
                "duplicates": day.duplicates,
                "late_lines": len(day.files[F]),
            }
            while len(in_flight) > 2 * (F + 1):  # bound memory: at most ~2 days queued
                in_flight.popleft().result()

        renderer.run(sessions, emit)
        while in_flight:
            in_flight.popleft().result()

    summary = build_summary(
        config=config,
        out=sink.uri,
        late_out=late_sink.uri if late_sink is not sink else None,
        truth=renderer.truth,
        players=players,
        files=sorted(files, key=lambda f: f.uri),
        by_dt=dict(sorted(by_dt.items())),
    )
    sink.put(SUMMARY_NAME, summary.to_json().encode("utf-8"))
    summary.elapsed_s = time.perf_counter() - started
    return summary
