"""`liberta demo`: generate a few weeks of play, run the pipeline, land one more day, run again.

The raw files are generated into an "incoming" area first and then *land* in the lake in two
deliveries, the way an export arrives over time: the first delivery holds every day but the
last (with the late files of all but the last few days), the second the last day plus the late
files that arrived with it. The second run is incremental: it reads only the partitions since
the warehouse's high-water mark minus the lookback.
"""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

from liberta.generator import GeneratorConfig, generate

DEMO_START = date(2026, 10, 1)


@dataclass(frozen=True, kw_only=True)
class DemoPlan:
    home: Path
    events: int = 300_000
    players: int = 6_000
    days: int = 22
    start_date: date = DEMO_START
    seed: int = 7
    files_per_day: int = 4
    duplicate_rate: float = 0.01
    late_rate: float = 0.02
    corrupt_rate: float = 0.004
    # Late files arrive up to this many days after their partition's day.
    late_arrival_days: int = 2

    @property
    def incoming(self) -> Path:
        return self.home / "demo" / "incoming"

    @property
    def incoming_late(self) -> Path:
        return self.home / "demo" / "incoming-late"

    @property
    def raw(self) -> Path:
        return self.home / "demo" / "lake" / "raw"

    @property
    def curated(self) -> Path:
        return self.home / "demo" / "lake" / "curated"

    @property
    def last_day(self) -> date:
        return self.start_date + timedelta(days=self.days - 1)


def generate_incoming(plan: DemoPlan):
    """Write the whole sample (main files and late files apart) into the incoming area."""
    return generate(
        GeneratorConfig(
            events=plan.events,
            start_date=plan.start_date,
            days=plan.days,
            players=plan.players,
            seed=plan.seed,
            out=str(plan.incoming),
            late_out=str(plan.incoming_late),
            compression="gz",
            files_per_day=plan.files_per_day,
            duplicate_rate=plan.duplicate_rate,
            late_rate=plan.late_rate,
            corrupt_rate=plan.corrupt_rate,
            overwrite=True,
        )
    )


def reset_lake(plan: DemoPlan) -> None:
    shutil.rmtree(plan.raw, ignore_errors=True)
    shutil.rmtree(plan.curated, ignore_errors=True)
    plan.raw.mkdir(parents=True)


def land(plan: DemoPlan, *, main_days: tuple[date, date], late_days: tuple[date, date]) -> int:
    """Copy the files of the given days (inclusive ranges) into the lake; returns files landed."""
    landed = 0
    for source_root, (first, last) in ((plan.incoming, main_days), (plan.incoming_late, late_days)):
        for partition in sorted((source_root / "events").glob("dt=*")):
            day = date.fromisoformat(partition.name.removeprefix("dt="))
            if not first <= day <= last:
                continue
            target = plan.raw / "events" / partition.name
            target.mkdir(parents=True, exist_ok=True)
            for file in sorted(partition.iterdir()):
                shutil.copy2(file, target / file.name)
                landed += 1
    return landed


def first_delivery(plan: DemoPlan) -> int:
    """Every day but the last; late files of all days that are older than the late window."""
    before_last = plan.last_day - timedelta(days=1)
    late_until = plan.last_day - timedelta(days=plan.late_arrival_days + 1)
    return land(
        plan, main_days=(plan.start_date, before_last), late_days=(plan.start_date, late_until)
    )


def second_delivery(plan: DemoPlan) -> int:
    """The last day, and the late files of the last few days that arrived with it."""
    late_from = plan.last_day - timedelta(days=plan.late_arrival_days)
    return land(
        plan, main_days=(plan.last_day, plan.last_day), late_days=(late_from, plan.last_day)
    )
