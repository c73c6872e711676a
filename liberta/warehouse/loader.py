"""The local warehouse load: one run's Parquet into Postgres in ONE transaction.

Same steps and SQL as the Redshift batch (`sql.LOAD_STEPS`), except the COPY: each table's
Parquet files (listed in the run manifest) are streamed into `staging.<table>` with
`COPY ... FROM STDIN` (CSV produced by Arrow, batch by batch: no row-by-row inserts). Any error
rolls the whole load back; the raised `LoadError` names the run, the step, the table and the file.
"""

from __future__ import annotations

import io
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime

import psycopg
import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

from liberta.warehouse.db import connect
from liberta.warehouse.errors import LoadError
from liberta.warehouse.manifest import fetch, read_load_summary, read_manifest
from liberta.warehouse.runs import TableLoadStats, record_failed_run
from liberta_core.manifest import RunManifest
from liberta_core.sql import (
    COPY_TABLE_STEP_PREFIX,
    ETL_ROLE,
    LOAD_STEPS,
    RUN_SUMMARY_STEP,
    Dialect,
    render,
    split_statements,
)
from liberta_core.steps import LOAD
from liberta_core.tables import TABLES_BY_NAME, Table

_GATE_STEP = "load/assert_quality_gate.sql"
_POST_LOAD_CHECKS_STEP = "load/assert_post_load_checks.sql"
_CSV_OPTIONS = pacsv.WriteOptions(include_header=False, batch_size=8192)


@dataclass(frozen=True, kw_only=True)
class LoadConfig:
    """How the local load behaves."""

    # A second concurrent load waits this long for etl.run_lock, then fails clearly.
    lock_timeout_s: float = 30.0
    # Rows per Arrow batch turned into CSV for COPY.
    batch_rows: int = 65_536
    # Write a `failed` row to etl.load_log after a rollback.
    record_failures: bool = True
    # Memory per sort/hash of the load's own session (SET LOCAL): the merges sort a run's facts by
    # key and the gate groups them; below ~200 MB they spill to disk at 1M events (~2 s slower).
    work_mem_mb: int = 256


@dataclass(frozen=True)
class LoadResult:
    run_id: str
    manifest_uri: str
    full_refresh: bool
    high_water_mark: str | None
    tables: dict[str, TableLoadStats]
    rows_copied: int
    copy_seconds: float
    total_seconds: float
    # Seconds per load step (COPY steps included), in load order.
    step_seconds: dict[str, float] = field(default_factory=dict)

    @property
    def copy_rows_per_s(self) -> float:
        return self.rows_copied / self.copy_seconds if self.copy_seconds > 0 else 0.0


def load_run(
    conn_or_url: psycopg.Connection | str,
    manifest_uri: str,
    *,
    config: LoadConfig | None = None,
) -> LoadResult:
    """Load one run (its `manifest.json`) into the warehouse, all or nothing."""
    config = config or LoadConfig()
    manifest = read_manifest(manifest_uri)
    if isinstance(conn_or_url, str):
        with connect(conn_or_url, autocommit=True, role=ETL_ROLE) as conn:
            return _load_with_failure_log(conn, manifest, manifest_uri, config)
    return _load_with_failure_log(conn_or_url, manifest, manifest_uri, config)


def _load_with_failure_log(
    conn: psycopg.Connection, manifest: RunManifest, manifest_uri: str, config: LoadConfig
) -> LoadResult:
    if conn.info.transaction_status != psycopg.pq.TransactionStatus.IDLE:
        raise LoadError(
            f"run {manifest.run_id}: the connection is inside a transaction; load_run needs its "
            f"own (commit or roll back first)"
        )
    started_at = datetime.now(UTC).replace(tzinfo=None)
    try:
        return _load(conn, manifest, manifest_uri, config)
    except LoadError as exc:
        if config.record_failures and not conn.closed:
            try:
                record_failed_run(
                    conn,
                    run_id=manifest.run_id,
                    started_at=started_at,
                    full_refresh=manifest.window.full_refresh,
                    error=str(exc),
                    failed_step=LOAD.name,
                )
            except psycopg.Error as log_exc:
                exc.add_note(f"(the failure could not be logged to etl.load_log: {log_exc})")
        raise


def _load(
    conn: psycopg.Connection, manifest: RunManifest, manifest_uri: str, config: LoadConfig
) -> LoadResult:
    # The run's load summary (load/summary.json, the document Redshift COPYs), bound as
    # parameters; the rest of the SQL reads it from staging.run_summary, as on Redshift. The
    # run id the load is for is the manifest's: the gate refuses a summary of another run.
    values: dict[str, object] = {
        "run_id": manifest.run_id,
        **{f"summary_{name}": value for name, value in read_load_summary(manifest_uri).items()},
    }
    started = time.perf_counter()
    copy_seconds = 0.0
    rows_copied = 0
    step_seconds: dict[str, float] = {}
    where = f"run {manifest.run_id} ({manifest_uri})"
    with conn.transaction(), conn.cursor() as cur:
        cur.execute(f"SET LOCAL lock_timeout = '{int(config.lock_timeout_s * 1000)}ms'")
        cur.execute(f"SET LOCAL work_mem = '{int(config.work_mem_mb)}MB'")
        # JIT compiling the gate's 27-branch view took longer (up to 6 s) than running it.
        cur.execute("SET LOCAL jit = off")
        for step in LOAD_STEPS:
            step_started = time.perf_counter()
            if step.startswith(COPY_TABLE_STEP_PREFIX) and step != RUN_SUMMARY_STEP:
                name = step.removeprefix(COPY_TABLE_STEP_PREFIX).removesuffix(".sql")
                table = TABLES_BY_NAME[name]
                rows_copied += _copy_table(cur, table, manifest, config, where)
                copy_seconds += time.perf_counter() - step_started
                # Fresh statistics: without them Postgres plans the merges as for empty tables.
                cur.execute(f"ANALYZE staging.{table.name}")
            elif step == _GATE_STEP:
                # The same view etl.assert_load_gate() reads (Redshift path), queried here to
                # list every violation in the error; evaluating it twice would only cost time.
                _raise_on_violations(
                    cur,
                    "etl/select_gate_violations.sql",
                    where,
                    "quality gate failed, nothing was merged",
                )
            elif step == _POST_LOAD_CHECKS_STEP:
                _raise_on_violations(
                    cur,
                    "etl/select_post_load_violations.sql",
                    where,
                    "post-load checks failed, the load was rolled back",
                )
            else:
                _run_step(cur, step, values, where, config)
            step_seconds[step] = time.perf_counter() - step_started
        stats = _current_stats(cur, values, where)
    return LoadResult(
        run_id=manifest.run_id,
        manifest_uri=manifest_uri,
        full_refresh=manifest.window.full_refresh,
        high_water_mark=manifest.to_json()["high_water_mark"],
        tables=stats,
        rows_copied=rows_copied,
        copy_seconds=copy_seconds,
        total_seconds=time.perf_counter() - started,
        step_seconds=step_seconds,
    )


def _execute_file(
    cur: psycopg.Cursor, relpath: str, values: dict[str, object]
) -> list[tuple[object, ...]]:
    rendered = render(relpath, Dialect.POSTGRES)
    params = values if "%(" in rendered else None
    rows: list[tuple[object, ...]] = []
    for statement in split_statements(rendered):
        cur.execute(statement, params)
        if cur.description is not None:
            rows = cur.fetchall()
    return rows


def _run_step(
    cur: psycopg.Cursor, step: str, values: dict[str, object], where: str, config: LoadConfig
) -> None:
    try:
        _execute_file(cur, step, values)
    except psycopg.errors.LockNotAvailable as exc:
        raise LoadError(
            f"{where}: another load holds etl.run_lock; gave up after waiting "
            f"{config.lock_timeout_s:g}s (loads never interleave: retry when it has finished)"
        ) from exc
    except psycopg.Error as exc:
        raise LoadError(f"{where}: step {step} failed: {_describe(exc)}") from exc


def _raise_on_violations(cur: psycopg.Cursor, query: str, where: str, what: str) -> None:
    try:
        violations = _execute_file(cur, query, {})
    except psycopg.Error as exc:
        raise LoadError(f"{where}: {query} failed: {_describe(exc)}") from exc
    if violations:
        listed = "; ".join(f"{check} {table}: {detail}" for check, table, detail in violations[:10])
        more = f" (and {len(violations) - 10} more)" if len(violations) > 10 else ""
        raise LoadError(f"{where}: {what}: {listed}{more}")


def _current_stats(
    cur: psycopg.Cursor, values: dict[str, object], where: str
) -> dict[str, TableLoadStats]:
    try:
        rows = _execute_file(cur, "etl/select_current_load_stats.sql", values)
    except psycopg.Error as exc:
        raise LoadError(f"{where}: reading the load statistics failed: {_describe(exc)}") from exc
    return {
        str(name): TableLoadStats(int(staged), int(inserted), int(updated))
        for name, staged, inserted, updated in rows
    }


def _describe(exc: psycopg.Error) -> str:
    diag = exc.diag
    parts = [diag.message_primary or str(exc).strip()]
    if diag.message_detail:
        parts.append(diag.message_detail)
    if diag.context:
        parts.append(f"context: {diag.context.strip()}")
    return " | ".join(parts)


# -- COPY ---------------------------------------------------------------------------------------

_ALLOWED: dict[str, tuple[str, ...]] = {
    "bigint": ("int8", "int16", "int32", "int64"),
    "int": ("int8", "int16", "int32"),
    "smallint": ("int8", "int16"),
    "boolean": ("bool",),
    "double": ("float", "double"),
    "date": ("date32[day]", "date64[ms]"),
    "string": ("string", "large_string"),
}


def _type_matches(logical: str, arrow_type: pa.DataType) -> bool:
    if logical.startswith("varchar"):
        return str(arrow_type) in _ALLOWED["string"]
    if logical.startswith("decimal"):
        precision, scale = (int(x) for x in logical[len("decimal(") : -1].split(","))
        return (
            pa.types.is_decimal(arrow_type)
            and arrow_type.scale == scale
            and arrow_type.precision <= precision
        )
    if logical == "timestamp":
        return pa.types.is_timestamp(arrow_type) and arrow_type.tz in (None, "UTC", "+00:00")
    return str(arrow_type) in _ALLOWED[logical]


def check_schema(table: Table, schema: pa.Schema, url: str) -> None:
    """The Parquet columns must be the contract's, in its order, with compatible types
    (Redshift's COPY maps Parquet columns to table columns by position)."""
    expected = table.column_names
    if schema.names != expected:
        first = next(
            (i for i, (a, b) in enumerate(zip(schema.names, expected, strict=False)) if a != b),
            min(len(schema.names), len(expected)),
        )
        found = schema.names[first] if first < len(schema.names) else "<none>"
        wanted = expected[first] if first < len(expected) else "<none>"
        raise LoadError(
            f"table {table.name}: file {url} does not match the contract (liberta_core/tables.py): "
            f"column {first + 1} is {found!r}, expected {wanted!r}; file columns {schema.names}"
        )
    for column, arrow_field in zip(table.columns, schema, strict=True):
        if not _type_matches(column.type, arrow_field.type):
            raise LoadError(
                f"table {table.name}: file {url}: column {column.name!r} has Parquet type "
                f"{arrow_field.type}, the contract wants {column.type}"
            )


def _copy_table(
    cur: psycopg.Cursor,
    table: Table,
    manifest: RunManifest,
    config: LoadConfig,
    where: str,
) -> int:
    files = manifest.tables[table.name]
    columns = ", ".join(table.column_names)
    rows = 0
    current = "<no file>"
    try:
        with cur.copy(f"COPY staging.{table.name} ({columns}) FROM STDIN (FORMAT csv)") as copy:
            for entry in files.entries:
                current = entry.url
                with fetch(entry.url) as path:
                    size = path.stat().st_size
                    if entry.content_length is not None and entry.content_length != size:
                        raise LoadError(
                            f"{where}: table {table.name}: file {entry.url} has {size} bytes, "
                            f"the manifest says {entry.content_length} (truncated or replaced)"
                        )
                    parquet = pq.ParquetFile(path)
                    check_schema(table, parquet.schema_arrow, entry.url)
                    for batch in parquet.iter_batches(batch_size=config.batch_rows):
                        buffer = io.BytesIO()
                        pacsv.write_csv(batch, buffer, _CSV_OPTIONS)
                        copy.write(buffer.getbuffer())
                        rows += batch.num_rows
    except LoadError as exc:
        if str(exc).startswith(where):
            raise
        raise LoadError(f"{where}: {exc}") from exc
    except FileNotFoundError as exc:
        raise LoadError(
            f"{where}: table {table.name}: file {current} listed in the manifest is missing ({exc})"
        ) from exc
    except (pa.ArrowException, OSError) as exc:
        raise LoadError(
            f"{where}: table {table.name}: file {current} is not readable Parquet ({exc})"
        ) from exc
    except psycopg.Error as exc:
        raise LoadError(
            f"{where}: table {table.name}: COPY into staging.{table.name} failed at file "
            f"{current}: {_describe(exc)}"
        ) from exc
    except Exception as exc:
        raise LoadError(
            f"{where}: table {table.name}: file {current} could not be fetched "
            f"({type(exc).__name__}: {exc})"
        ) from exc
    return rows
