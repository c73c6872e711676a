"""The generator's summary: what was written, and what a correct pipeline must find.

Written as JSON next to the data (`<out>/_generator_summary.json`) so tests and the
end-to-end check can reconcile without re-reading the files. Deterministic: the same
configuration gives the same bytes (timings are kept off the file).
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass, field
from typing import Any

from liberta.generator.config import GeneratorConfig
from liberta.generator.faults import FAULT_KINDS, INVALID_KINDS
from liberta.generator.players import DAY, Player
from liberta.generator.render import Truth

SUMMARY_NAME = "_generator_summary.json"
FORMAT_VERSION = 1


@dataclass(frozen=True)
class WrittenFile:
    uri: str
    dt: str
    lines: int
    bytes: int
    late: bool


@dataclass
class GenerationSummary:
    """Counts that reconcile: `lines.read == lines.valid + lines.invalid + lines.duplicates`.

    `valid` counts distinct valid events (the `events` asked for), `duplicates` extra exact
    copies of valid lines, `invalid` lines that break the contract (by kind in
    `invalid_by_kind`). `figures` are the docs/metrics.md figures computed from the model.
    """

    config: dict[str, Any]
    out: str
    events_uri: str
    summary_uri: str
    lines: dict[str, int]
    valid_by_category: dict[str, int]
    invalid_by_kind: dict[str, int]
    invalid_by_detail: dict[str, int]
    faults: dict[str, int]
    time_corrected: int
    benign_variants: dict[str, int]
    duplicates: dict[str, int]
    late: dict[str, Any]
    by_dt: dict[str, dict[str, int]]
    files: list[WrittenFile]
    players: dict[str, int]
    sessions: dict[str, int]
    revenue: dict[str, Any]
    figures: dict[str, Any]
    elapsed_s: float = field(default=0.0, compare=False)

    def to_dict(self) -> dict[str, Any]:
        out = {"format_version": FORMAT_VERSION}
        for name in self.__dataclass_fields__:
            if name == "elapsed_s":
                continue
            value = getattr(self, name)
            if name == "files":
                value = [f.__dict__ for f in value]
            out[name] = value
        return out

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), indent=2, sort_keys=True) + "\n"

    @property
    def events_per_s(self) -> float:
        return self.lines["valid"] / self.elapsed_s if self.elapsed_s else 0.0


def _date(config: GeneratorConfig, day: int) -> str:
    return (config.start_date + dt.timedelta(days=day)).isoformat()


def build_summary(
    *,
    config: GeneratorConfig,
    out: str,
    late_out: str | None,
    truth: Truth,
    players: list[Player],
    files: list[WrittenFile],
    by_dt: dict[str, dict[str, int]],
) -> GenerationSummary:
    ws = config.window_start_ts
    read = sum(f.lines for f in files)
    invalid = sum(truth.invalid_by_kind.values())
    duplicates = truth.duplicates_same_file + truth.duplicates_other_file
    valid = sum(truth.valid_by_category.values())
    if read != valid + invalid + duplicates:  # a bug here would make every check downstream lie
        raise AssertionError(
            f"generator bookkeeping broke: read {read} != valid {valid} + invalid {invalid} "
            f"+ duplicates {duplicates}"
        )

    installs: dict[int, int] = {}
    for p in players:
        day = (p.install_ts - ws) // DAY
        installs[day] = installs.get(day, 0) + 1
    new_payers: dict[int, int] = {}
    for p in players:
        if p.first_pay_event_ts is not None:
            day = (p.first_pay_event_ts - ws) // DAY
            new_payers[day] = new_payers.get(day, 0) + 1
    days = sorted(set(truth.players_by_day) | set(installs))
    by_date = {
        _date(config, d): {
            "dau": len(truth.players_by_day.get(d, ())),
            "sessions": truth.sessions_by_day.get(d, 0),
            "playtime_s": truth.playtime_by_day.get(d, 0),
            "revenue_usd": round(truth.revenue_usd_by_day.get(d, 0.0), 6),
            "new_payers": new_payers.get(d, 0),
            "installs": installs.get(d, 0),
        }
        for d in days
    }
    retention: dict[str, dict[str, int]] = {}
    for p in players:
        day = (p.install_ts - ws) // DAY
        row = retention.setdefault(_date(config, day), {"installs": 0, "d1": 0, "d7": 0, "d30": 0})
        row["installs"] += 1
        for n in (1, 7, 30):
            if p.idx in truth.players_by_day.get(day + n, ()):
                row[f"d{n}"] += 1
    payers = sum(1 for p in players if p.first_pay_event_ts is not None)
    faults = {kind: truth.invalid_by_kind.get(kind, 0) for kind in INVALID_KINDS}
    faults["future_clock"] = truth.future_clock
    assert set(faults) == set(FAULT_KINDS)

    return GenerationSummary(
        config=config.to_dict(),
        out=out,
        events_uri=f"{out}/events",
        summary_uri=f"{out}/{SUMMARY_NAME}",
        lines={"read": read, "valid": valid, "invalid": invalid, "duplicates": duplicates},
        valid_by_category=dict(sorted(truth.valid_by_category.items())),
        invalid_by_kind={k: truth.invalid_by_kind.get(k, 0) for k in INVALID_KINDS},
        invalid_by_detail=dict(sorted(truth.invalid_by_detail.items())),
        faults=faults,
        time_corrected=truth.future_clock,
        benign_variants=dict(sorted(truth.benign_variants.items())),
        duplicates={
            "same_file": truth.duplicates_same_file,
            "other_file": truth.duplicates_other_file,
        },
        late={
            "lines": truth.late_lines,
            "files": sum(1 for f in files if f.late),
            "uri": f"{late_out or out}/events",
        },
        by_dt=by_dt,
        files=files,
        players={
            "total": len(players),
            "payers": payers,
            "whales": sum(1 for p in players if p.whale and p.first_pay_event_ts is not None),
            "returning": sum(1 for p in players if len(p.active_days) > 1),
        },
        sessions={"total": truth.sessions, "offline": truth.offline_sessions},
        revenue={
            "business_events": truth.business_events,
            "minor_by_currency": dict(sorted(truth.revenue_minor_by_currency.items())),
            "usd": round(sum(truth.revenue_usd_by_day.values()), 6),
        },
        figures={"paying_players": payers, "by_date": by_date, "retention": retention},
    )
