"""What a run shows while it works: the current step, elapsed time and Spark stage progress."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager
from typing import Protocol

from rich.console import Console
from rich.status import Status


class Progress(Protocol):
    def step(self, name: str, description: str) -> AbstractContextManager[None]: ...

    def detail(self, text: str) -> None: ...


class SilentProgress:
    """For `--quiet` and `--json`: report nothing while running."""

    @contextmanager
    def step(self, name: str, description: str) -> Iterator[None]:
        yield

    def detail(self, text: str) -> None:
        return None


class ConsoleProgress:
    """A spinner with the step, its elapsed seconds and the latest detail (Spark stages)."""

    def __init__(self, console: Console) -> None:
        self._console = console
        self._status: Status | None = None
        self._label = ""
        self._detail = ""
        self._started = 0.0
        self._lock = threading.Lock()
        self._stop = threading.Event()

    def _refresh(self) -> None:
        while not self._stop.wait(0.5):
            self._update()

    def _update(self) -> None:
        with self._lock:
            if self._status is not None:
                elapsed = time.monotonic() - self._started
                suffix = f" · {self._detail}" if self._detail else ""
                self._status.update(f"{self._label} [dim]{elapsed:5.1f}s{suffix}[/]")

    @contextmanager
    def step(self, name: str, description: str) -> Iterator[None]:
        self._label, self._detail, self._started = description, "", time.monotonic()
        self._stop.clear()
        ticker = threading.Thread(target=self._refresh, daemon=True)
        with self._console.status(description) as status:
            self._status = status
            ticker.start()
            try:
                yield
            finally:
                self._stop.set()
                ticker.join()
                with self._lock:
                    self._status = None
        elapsed = time.monotonic() - self._started
        self._console.print(f"[green]✓[/] {description} [dim]({elapsed:.1f}s)[/]")

    def detail(self, text: str) -> None:
        with self._lock:
            self._detail = text
        self._update()


class SparkStageWatcher:
    """Polls Spark's status tracker and reports active stages as `stage N: done/total tasks`."""

    def __init__(self, spark_context, progress: Progress, interval_s: float = 0.5) -> None:
        self._tracker = spark_context.statusTracker()
        self._progress = progress
        self._interval_s = interval_s
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._poll, daemon=True)

    def __enter__(self) -> SparkStageWatcher:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()
        self._progress.detail("")

    def _poll(self) -> None:
        while not self._stop.wait(self._interval_s):
            parts = []
            for stage_id in sorted(self._tracker.getActiveStageIds()):
                info = self._tracker.getStageInfo(stage_id)
                if info is not None:
                    parts.append(
                        f"stage {stage_id}: {info.numCompletedTasks}/{info.numTasks} tasks"
                    )
            self._progress.detail(", ".join(parts))
