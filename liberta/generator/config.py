"""The one configuration object of the raw-event generator."""

from __future__ import annotations

import dataclasses
import datetime as dt
from dataclasses import dataclass
from typing import Any, Literal

Compression = Literal["gz", "bz2", "lzo", "none"]
COMPRESSIONS: tuple[str, ...] = ("gz", "bz2", "lzo", "none")
SUFFIXES = {"gz": ".json.gz", "bz2": ".json.bz2", "lzo": ".json.lzo", "none": ".json"}


@dataclass(frozen=True, kw_only=True)
class GeneratorConfig:
    """What `liberta generate` writes.

    `events` is the number of distinct valid events. Faults come on top, as rates relative to
    `events`: `duplicate_rate` extra exact copies of valid lines, `corrupt_rate` faulty lines
    split evenly across the fault kinds (the `future_clock` share changes valid events in
    place; the other kinds are extra invalid lines). `late_rate` moves that share of each
    day's lines into `late-*` files of the same `dt`.
    """

    events: int
    start_date: dt.date
    days: int
    players: int
    seed: int = 0
    out: str
    compression: Compression = "gz"
    files_per_day: int = 4
    duplicate_rate: float = 0.0
    late_rate: float = 0.0
    corrupt_rate: float = 0.0
    # share of valid business/session_end events whose integer is written "99" or 99.0,
    # and of all valid events whose arrival_ts is written as an integral float
    benign_variant_rate: float = 0.02
    payer_rate: float = 0.035
    offline_session_rate: float = 0.06
    game_id: int = 71_842
    # where late files go: None = next to the others; a URI = same layout under that root,
    # so a test can deliver them after a first pipeline run
    late_out: str | None = None
    overwrite: bool = False
    compression_level: int = 6

    def __post_init__(self) -> None:
        problems = list(self._problems())
        if problems:
            raise ValueError("invalid generator configuration: " + "; ".join(problems))

    def _problems(self) -> Any:
        if not isinstance(self.start_date, dt.date) or isinstance(self.start_date, dt.datetime):
            yield f"start_date must be a date, got {self.start_date!r}"
        elif self.start_date < dt.date(2010, 1, 2):
            yield "start_date must be 2010-01-02 or later (earlier client clocks count as wrong)"
        if self.days < 1:
            yield f"days must be >= 1, got {self.days}"
        if self.players < 1:
            yield f"players must be >= 1, got {self.players}"
        if self.events < 2 * self.players:
            yield (
                f"events ({self.events}) must be at least 2 x players ({self.players}): every "
                "player plays at least one session, which has a start and an end event"
            )
        if self.compression not in COMPRESSIONS:
            yield f"compression must be one of {', '.join(COMPRESSIONS)}, got {self.compression!r}"
        if self.files_per_day < 1:
            yield f"files_per_day must be >= 1, got {self.files_per_day}"
        for name in (
            "duplicate_rate",
            "late_rate",
            "corrupt_rate",
            "benign_variant_rate",
            "payer_rate",
            "offline_session_rate",
        ):
            value = getattr(self, name)
            if not 0.0 <= value <= 1.0:
                yield f"{name} must be between 0 and 1, got {value}"
        if not self.out:
            yield "out must be a local path or an s3://bucket/prefix URI"
        if not 1 <= self.compression_level <= 9:
            yield f"compression_level must be 1..9, got {self.compression_level}"

    @property
    def suffix(self) -> str:
        return SUFFIXES[self.compression]

    @property
    def window_start_ts(self) -> int:
        return int(dt.datetime.combine(self.start_date, dt.time(), dt.UTC).timestamp())

    @property
    def window_end_ts(self) -> int:
        return self.window_start_ts + self.days * 86_400

    def to_dict(self) -> dict[str, Any]:
        out = dataclasses.asdict(self)
        out["start_date"] = self.start_date.isoformat()
        return out
