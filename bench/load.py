"""Benchmark the local warehouse load: rows/s through COPY ... FROM STDIN, and the whole load.

Run as `python -m bench.load [--events N]`. Builds a synthetic run that follows the contract
(liberta_core/tables.py: N events, N/10 sessions, N/100 players, N/50 purchases; keys spread
like the job's xxhash64 keys), starts a throwaway Postgres (Liberta's own server code, default
durability settings) and loads the run into an empty warehouse, then again (the idempotent
re-load: every row already there).
Prints one line per load and writes `bench-results/load.json`.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import platform
import shutil
import tempfile
import time
from decimal import Decimal
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from liberta.warehouse.db import bootstrap, connect
from liberta.warehouse.loader import LoadResult, load_run
from liberta.warehouse.server import LocalPostgres, LocalPostgresConfig, free_port
from liberta_core.tables import TABLES, Table

RESULTS = Path("bench-results") / "load.json"
DAYS = 30
FIRST_DAY = dt.date(2026, 1, 1)
_MASK64 = (1 << 64) - 1
_USER, _SESSION, _EVENT, _PURCHASE = range(4)


def _arrow_type(logical: str) -> pa.DataType:
    if logical.startswith("varchar"):
        return pa.string()
    if logical.startswith("decimal"):
        return pa.decimal128(18, 6)
    return {
        "bigint": pa.int64(), "int": pa.int32(), "smallint": pa.int16(), "boolean": pa.bool_(),
        "double": pa.float64(), "date": pa.date32(), "timestamp": pa.timestamp("us"),
    }[logical]  # fmt: skip


def _table(table: Table, columns: dict[str, object], rows: int) -> pa.Table:
    arrays = []
    for column in table.columns:
        value = columns.get(column.name)
        kind = _arrow_type(column.type)
        if value is None:
            arrays.append(pa.nulls(rows, kind))
        elif isinstance(value, pa.Array):
            arrays.append(value.cast(kind))
        elif isinstance(value, list):
            arrays.append(pa.array(value, kind))
        else:
            arrays.append(pa.repeat(pa.scalar(value, kind), rows))
    schema = pa.schema([pa.field(c.name, _arrow_type(c.type), c.nullable) for c in table.columns])
    return pa.Table.from_arrays(arrays, schema=schema)


def _ts(micros: list[int]) -> pa.Array:
    return pa.array(micros, pa.int64()).cast(pa.timestamp("us"))


def _hash_key(kind: int, i: int) -> int:
    """A unique, well-spread signed 64-bit key, like the job's xxhash64 keys (splitmix64: a
    bijection, so distinct (kind, i) within a kind never collide)."""
    z = (i * 8 + kind + 0x9E3779B97F4A7C15) & _MASK64
    z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & _MASK64
    z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & _MASK64
    z ^= z >> 31
    return z - (1 << 64) if z >= 1 << 63 else z


def synthetic_run(base: Path, events: int, files: int = 4) -> tuple[str, int]:
    """Keys are hashes (random order, as the Spark job writes them), rows in generation order."""
    users, sessions, purchases = max(events // 100, 1), max(events // 10, 1), max(events // 50, 1)
    user_keys = [_hash_key(_USER, i) for i in range(users)]
    session_keys = [_hash_key(_SESSION, i) for i in range(sessions)]
    epoch = dt.datetime(1970, 1, 1)
    base_us = int((dt.datetime.combine(FIRST_DAY, dt.time()) - epoch).total_seconds()) * 10**6
    day_us = 86_400 * 10**6
    days = [FIRST_DAY + dt.timedelta(days=d) for d in range(DAYS)]
    date_keys = [int(d.strftime("%Y%m%d")) for d in days]

    s_user = [user_keys[i % users] for i in range(sessions)]
    s_day = [i % DAYS for i in range(sessions)]
    s_start = [base_us + s_day[i] * day_us + (i * 7919) % (80_000 * 10**6) for i in range(sessions)]
    e_session = [i % sessions for i in range(events)]
    p_session = [(i * 10) % sessions for i in range(purchases)]

    data: dict[str, tuple[dict[str, object], int]] = {
        "d_user": ({
            "user_key": user_keys, "user_id": [f"user-{i}" for i in range(users)],
            "game_id": 1, "install_ts": _ts([base_us] * users), "install_date": FIRST_DAY,
            "first_build": "1.0", "origin": "organic", "country_code": "US", "platform": "ios",
            "first_seen_ts": _ts([base_us] * users),
            "last_seen_ts": _ts([base_us + DAYS * day_us] * users),
            "is_paying": [i % 5 == 0 for i in range(users)], "first_payment_ts": None,
        }, users),
        "d_date": ({
            "date_key": date_keys, "calendar_date": days,
            "year": [d.year for d in days], "quarter": [(d.month - 1) // 3 + 1 for d in days],
            "month": [d.month for d in days], "day_of_month": [d.day for d in days],
            "day_of_week": [d.isoweekday() for d in days],
            "iso_week": [d.isocalendar().week for d in days],
            "is_weekend": [d.isoweekday() >= 6 for d in days],
            "month_name": [d.strftime("%B") for d in days],
            "day_name": [d.strftime("%A") for d in days],
        }, DAYS),
        "d_device": ({"device_key": [1], "platform": ["ios"], "os_version": ["17"],
                      "manufacturer": ["Apple"], "device": ["iPhone"]}, 1),
        "d_item": ({"item_key": [1], "item_type": ["gems"], "item_id": ["pack"],
                    "cart_type": ["shop"]}, 1),
        "f_session": ({
            "session_key": session_keys,
            "session_id": [f"session-{i}" for i in range(sessions)],
            "user_key": s_user, "device_key": 1, "date_key": [date_keys[d] for d in s_day],
            "start_ts": _ts(s_start), "end_ts": _ts([t + 600 * 10**6 for t in s_start]),
            "length_s": 600, "session_num": [i // users + 1 for i in range(sessions)],
        }, sessions),
        "f_event": ({
            "event_key": [_hash_key(_EVENT, i) for i in range(events)],
            "user_key": [s_user[s] for s in e_session],
            "session_key": [session_keys[s] for s in e_session],
            "date_key": [date_keys[s_day[s]] for s in e_session],
            "device_key": 1, "event_ts": _ts([s_start[s] for s in e_session]),
            "arrival_ts": _ts([s_start[s] for s in e_session]), "is_time_corrected": False,
            "category": ["session_end" if i % 10 == 0 else "design" for i in range(events)],
            "event_id": "level:boss:1", "session_num": 1, "length_s": None,
            "value": [float(i % 100) for i in range(events)], "game_id": 1,
            "country_code": "US",
        }, events),
        "f_revenue": ({
            "event_key": [_hash_key(_PURCHASE, i) for i in range(purchases)],
            "user_key": [s_user[s] for s in p_session],
            "session_key": [session_keys[s] for s in p_session],
            "date_key": [date_keys[s_day[s]] for s in p_session], "device_key": 1, "item_key": 1,
            "event_ts": _ts([s_start[s] for s in p_session]), "currency": "USD",
            "amount_minor": 199, "amount_usd": Decimal("1.99"), "transaction_num": 1,
            "is_first_purchase": False, "country_code": "US",
        }, purchases),
    }  # fmt: skip
    run = base / "runs" / "bench-run"
    (run / "copy").mkdir(parents=True)
    tables, total = {}, 0
    for table in TABLES:
        columns, rows = data[table.name]
        arrow = _table(table, columns, rows)
        (run / table.name).mkdir()
        entries = []
        step = -(-rows // files)
        for i in range(0, rows, step):
            path = run / table.name / f"part-{i // step:05d}.parquet"
            pq.write_table(arrow.slice(i, step), path)
            entries.append({"url": path.as_uri(), "mandatory": True,
                            "meta": {"content_length": path.stat().st_size}})  # fmt: skip
        (run / "copy" / f"{table.name}.manifest").write_text(json.dumps({"entries": entries}))
        tables[table.name] = {
            "rows": rows,
            "entries": entries,
            "copy_manifest": (run / "copy" / f"{table.name}.manifest").as_uri(),
        }
        total += rows
    manifest = {
        "format_version": 1, "run_id": "bench-run", "created_at": "2026-02-01T00:00:00Z",
        "window": {"since": None, "until": None, "full_refresh": False, "partitions": []},
        "high_water_mark": "2026-01-31T00:00:00Z",
        "counts": {"read": events, "valid": events, "quarantined": 0, "duplicates": 0,
                   "time_corrected": 0},
        "quarantine": {"uri": "", "by_reason": {}, "worst_files": []},
        "tables": tables,
    }  # fmt: skip
    (run / "manifest.json").write_text(json.dumps(manifest))
    return (run / "manifest.json").as_uri(), total


def _line(label: str, result: LoadResult) -> dict[str, object]:
    record = {
        "load": label,
        "rows_copied": result.rows_copied,
        "copy_seconds": round(result.copy_seconds, 3),
        "copy_rows_per_s": round(result.copy_rows_per_s),
        "total_seconds": round(result.total_seconds, 3),
        "rows_per_s_whole_load": round(result.rows_copied / result.total_seconds),
        "inserted": {k: v.rows_inserted for k, v in result.tables.items()},
        "step_seconds": {k: round(v, 3) for k, v in result.step_seconds.items()},
    }
    slowest = sorted(result.step_seconds.items(), key=lambda kv: -kv[1])[:4]
    print(
        f"{label:>8}: {result.rows_copied:>9,} rows COPY {result.copy_seconds:6.2f}s "
        f"({result.copy_rows_per_s:>9,.0f} rows/s); whole load {result.total_seconds:6.2f}s "
        f"({record['rows_per_s_whole_load']:>9,} rows/s)\n          slowest steps: "
        + ", ".join(f"{k} {v:.2f}s" for k, v in slowest)
    )
    return record


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--events", type=int, default=1_000_000)
    args = parser.parse_args()
    base = Path(tempfile.mkdtemp(prefix="liberta-bench-load-"))
    base.chmod(0o755)
    server = LocalPostgres(LocalPostgresConfig(data_dir=base / "pgdata", port=free_port()))
    try:
        started = time.perf_counter()
        uri, total = synthetic_run(base, args.events)
        print(f"synthetic run: {total:,} rows in {time.perf_counter() - started:.1f}s")
        server.start()
        with connect(server.url, autocommit=True) as conn:
            bootstrap(conn)
            records = [_line("first", load_run(conn, uri)), _line("reload", load_run(conn, uri))]
        RESULTS.parent.mkdir(exist_ok=True)
        RESULTS.write_text(json.dumps({
            "events": args.events, "rows": total, "loads": records,
            "machine": {"python": platform.python_version(), "cpus": __import__("os").cpu_count()},
        }, indent=2) + "\n")  # fmt: skip
        print(f"wrote {RESULTS}")
    finally:
        server.stop()
        shutil.rmtree(base, ignore_errors=True)


if __name__ == "__main__":
    main()
