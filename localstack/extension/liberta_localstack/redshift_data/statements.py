"""Data API statements: their state machine, worker threads and results.

Each statement (single or batch) runs in its own thread and its own Postgres connection, as a
Redshift session would: SUBMITTED (accepted) -> PICKED (a worker has it) -> STARTED (SQL sent)
-> FINISHED | FAILED | ABORTED. A batch is ONE transaction: its sub-statements `<id>:1..n`
FINISH one by one, a failure rolls everything back (the failing one FAILED, the ones after it
ABORTED, the ones before it FINISHED as Redshift reports them, although nothing of them stays).
`cancel` cancels the running backend (`pg_cancel_backend`): the transaction rolls back and the
statement is ABORTED.
"""

from __future__ import annotations

import json
import logging
import re
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import psycopg
from psycopg import adapt
from psycopg import sql as pgsql

from liberta_localstack.redshift_data import results
from liberta_localstack.redshift_data.copy_from_s3 import CopyError, run_copy
from liberta_localstack.redshift_data.translate import (
    TranslationError,
    _map_code,
    is_copy,
    translate,
)

LOG = logging.getLogger("liberta_localstack.redshift_data")

ACTIVE = ("SUBMITTED", "PICKED", "STARTED")
TERMINAL = ("FINISHED", "FAILED", "ABORTED")

# One adapters map for every statement connection: all values arrive as text (results.py).
_TEXT_ADAPTERS = adapt.AdaptersMap(psycopg.adapters)
for _oid in range(0, 5000):
    _TEXT_ADAPTERS.register_loader(_oid, results.TextLoader)


def _now() -> datetime:
    return datetime.now(UTC)


class _Progress:
    """The status, error and timing that a statement and each of its parts keep."""

    status: str
    error: str | None
    updated_at: datetime
    started: float | None
    finished: float | None

    @property
    def duration_ns(self) -> int:
        if self.started is None:
            return -1
        end = self.finished if self.finished is not None else time.monotonic()
        return int((end - self.started) * 1e9)

    def set(self, status: str, error: str | None = None) -> None:
        self.status = status
        if error is not None:
            self.error = error
        self.updated_at = _now()


@dataclass
class Part(_Progress):
    """One SQL statement: a whole ExecuteStatement, or one sub-statement of a batch."""

    id: str
    sql: str
    status: str = "SUBMITTED"
    error: str | None = None
    created_at: datetime = field(default_factory=_now)
    updated_at: datetime = field(default_factory=_now)
    started: float | None = None
    finished: float | None = None
    columns: list[results.Column] | None = None
    rows: list[tuple[str | None, ...]] | None = None
    result_rows: int = -1
    result_size: int = 0
    query_id: int = 0

    @property
    def has_result_set(self) -> bool:
        return self.columns is not None and len(self.columns) > 0


@dataclass
class Connection:
    """Where a statement runs: the Postgres database and the user it connects as (on the
    Engine's Postgres)."""

    database: str
    db_user: str
    workgroup_name: str | None
    cluster_identifier: str | None
    secret_arn: str | None
    requested_db_user: str | None


@dataclass
class Statement(_Progress):
    id: str
    name: str | None
    connection: Connection
    parts: list[Part]
    is_batch: bool
    parameters: list[dict[str, str]] | None
    status: str = "SUBMITTED"
    error: str | None = None
    created_at: datetime = field(default_factory=_now)
    updated_at: datetime = field(default_factory=_now)
    started: float | None = None
    finished: float | None = None
    backend_pid: int = -1
    cancel_requested: bool = False
    lock: threading.Lock = field(default_factory=threading.Lock)

    @property
    def query_string(self) -> str:
        return "; ".join(p.sql for p in self.parts) if self.is_batch else self.parts[0].sql


class _Cancelled(Exception):
    pass


def redshift_error(exc: BaseException) -> str:
    """Redshift's wording: `ERROR: <message>` (plus the detail, when Postgres gives one)."""
    if isinstance(exc, psycopg.Error) and exc.diag.message_primary:
        text = f"ERROR: {exc.diag.message_primary}"
        if exc.diag.message_detail:
            text += f"\n  Detail: {exc.diag.message_detail}"
        return text
    message = str(exc).strip()
    return message if message.startswith("ERROR:") else f"ERROR: {message}"


class Engine:
    """Runs statements against Postgres; thread-safe."""

    def __init__(
        self,
        *,
        admin_conninfo: str,
        s3_client_factory: Callable[[], Any],
        role_exists: Callable[[str], bool],
        max_active: int,
    ) -> None:
        self._admin_conninfo = admin_conninfo
        self._s3_client_factory = s3_client_factory
        self._role_exists = role_exists
        self.max_active = max_active
        self._lock = threading.Lock()
        self.statements: dict[str, Statement] = {}
        self.client_tokens: dict[str, str] = {}
        self._query_ids = 1000

    # -- submission ------------------------------------------------------------------------

    def active_count(self) -> int:
        return sum(1 for s in self.statements.values() if s.status in ACTIVE)

    def submit(
        self,
        *,
        sqls: list[str],
        is_batch: bool,
        connection: Connection,
        name: str | None,
        parameters: list[dict[str, str]] | None,
        client_token: str | None,
    ) -> Statement:
        statement_id = str(uuid.uuid4())
        parts = (
            [Part(id=f"{statement_id}:{i}", sql=sql) for i, sql in enumerate(sqls, start=1)]
            if is_batch
            else [Part(id=statement_id, sql=sqls[0])]
        )
        statement = Statement(
            id=statement_id,
            name=name,
            connection=connection,
            parts=parts,
            is_batch=is_batch,
            parameters=parameters,
        )
        with self._lock:
            self.statements[statement_id] = statement
            if client_token:
                self.client_tokens[client_token] = statement_id
        thread = threading.Thread(
            target=self._run, args=(statement,), name=f"redshift-data-{statement_id}", daemon=True
        )
        thread.start()
        return statement

    def find(self, statement_id: str) -> tuple[Statement, Part | None] | None:
        """The statement, and the sub-statement when the id is `<id>:<n>`."""
        base, _, number = statement_id.partition(":")
        statement = self.statements.get(base)
        if statement is None:
            return None
        if not number:
            return statement, None
        index = int(number) - 1 if number.isdigit() else -1
        if not statement.is_batch or not 0 <= index < len(statement.parts):
            return None
        return statement, statement.parts[index]

    # -- cancel ------------------------------------------------------------------------------

    def cancel(self, statement: Statement) -> None:
        with statement.lock:
            statement.cancel_requested = True
            pid = statement.backend_pid if statement.status == "STARTED" else -1
        if pid > 0:
            with psycopg.connect(self._admin_conninfo, autocommit=True) as admin:
                admin.execute("SELECT pg_cancel_backend(%s)", (pid,))

    # -- execution ---------------------------------------------------------------------------

    def _next_query_id(self) -> int:
        with self._lock:
            self._query_ids += 1
            return self._query_ids

    def _run(self, statement: Statement) -> None:
        with statement.lock:
            if statement.cancel_requested:
                self._abort_all(statement)
                return
            statement.set("PICKED")
            for part in statement.parts:
                part.set("PICKED")
        try:
            translated = [self._prepare(statement, part) for part in statement.parts]
        except TranslationError as exc:
            self._fail_before_start(statement, str(exc))
            return
        try:
            conn = psycopg.connect(
                self._connect_string(statement.connection),
                autocommit=True,
                context=_TEXT_ADAPTERS,
            )
        except psycopg.Error as exc:
            self._fail_before_start(statement, redshift_error(exc))
            return
        try:
            self._execute(statement, conn, translated)
        finally:
            conn.close()

    def _connect_string(self, connection: Connection) -> str:
        return psycopg.conninfo.make_conninfo(
            self._admin_conninfo, dbname=connection.database, user=connection.db_user
        )

    def _prepare(self, statement: Statement, part: Part) -> tuple[str, bool]:
        """(SQL to run, is a COPY); parameters are bound client-side first."""
        sql = part.sql
        if statement.parameters:
            sql = bind_parameters(sql, statement.parameters)
        if is_copy(sql):
            return sql, True
        return translate(sql), False

    def _fail_before_start(self, statement: Statement, error: str) -> None:
        with statement.lock:
            statement.set("FAILED", error)
            first = statement.parts[0]
            for part in statement.parts:
                if part is first:
                    part.set("FAILED", error)
                else:
                    part.set("ABORTED")
            statement.finished = time.monotonic()

    def _abort_all(self, statement: Statement) -> None:
        statement.set("ABORTED", "Query was cancelled by the user.")
        for part in statement.parts:
            if part.status not in TERMINAL or statement.is_batch:
                part.set("ABORTED")
        statement.finished = time.monotonic()

    def _execute(
        self, statement: Statement, conn: psycopg.Connection, translated: list[tuple[str, bool]]
    ) -> None:
        conn.execute("SET TIME ZONE 'UTC'")
        pid = conn.info.backend_pid
        with statement.lock:
            if statement.cancel_requested:
                self._abort_all(statement)
                return
            statement.backend_pid = pid
            statement.set("STARTED")
            statement.started = time.monotonic()
        current: Part | None = None
        try:
            with conn.transaction(), conn.cursor() as cur:
                for part, (sql, copy) in zip(statement.parts, translated, strict=True):
                    current = part
                    if statement.cancel_requested:
                        # Cancelled between two statements (pg_cancel_backend found it idle).
                        raise _Cancelled()
                    part.set("STARTED")
                    part.started = time.monotonic()
                    part.query_id = self._next_query_id()
                    if copy:
                        part.result_rows = run_copy(
                            cur,
                            sql,
                            s3_client=self._s3_client_factory(),
                            role_exists=self._role_exists,
                        )
                    else:
                        cur.execute(sql.encode("utf-8"), prepare=False)
                        self._collect(conn, cur, part)
                    part.finished = time.monotonic()
                    if statement.is_batch:
                        # Redshift shows a sub-statement FINISHED as soon as it ran.
                        part.set("FINISHED")
        except Exception as exc:
            self._on_failure(statement, current, exc)
            return
        with statement.lock:
            for part in statement.parts:
                part.set("FINISHED")
            statement.finished = time.monotonic()
            statement.set("FINISHED")

    def _collect(self, conn: psycopg.Connection, cur: psycopg.Cursor, part: Part) -> None:
        if cur.description is None:
            part.result_rows = cur.rowcount if cur.rowcount is not None else -1
            return
        oids = {d.type_code for d in cur.description}
        rows = cur.fetchall()
        names = results.type_names(conn, oids)
        part.columns = results.columns_of(cur, names)
        part.rows = [tuple(r) for r in rows]
        part.result_rows = len(rows)
        part.result_size = len(json.dumps(part.rows, default=str).encode())

    def _on_failure(self, statement: Statement, current: Part | None, exc: Exception) -> None:
        cancelled = isinstance(exc, _Cancelled) or (
            isinstance(exc, psycopg.errors.QueryCanceled) and statement.cancel_requested
        )
        with statement.lock:
            statement.finished = time.monotonic()
            if cancelled:
                self._abort_all(statement)
                return
            error = (
                redshift_error(exc)
                if not isinstance(exc, TranslationError | CopyError)
                else str(exc)
            )
            if not isinstance(exc, psycopg.Error | TranslationError | CopyError):
                LOG.exception("statement %s failed unexpectedly", statement.id)
            seen_current = False
            for part in statement.parts:
                if part is current:
                    part.finished = time.monotonic()
                    part.set("FAILED", error)
                    seen_current = True
                elif seen_current or part.status not in ("FINISHED",):
                    part.set("ABORTED")
            statement.set("FAILED", error)


# `:name`, not the second colon of a `::` cast (nor any colon after another colon).
_PARAM = re.compile(r"(?<![:\w]):([A-Za-z_]\w*)")


def bind_parameters(sql: str, parameters: list[dict[str, str]]) -> str:
    """Replace `:name` (outside strings, quoted names, comments and `::` casts) with the
    value as an untyped string literal, quoted by psycopg (client-side binding)."""
    values = {p["name"]: p["value"] for p in parameters}
    used: set[str] = set()

    def replace(match: re.Match[str]) -> str:
        name = match.group(1)
        if name not in values:
            raise TranslationError(sql, f"the parameter :{name} has no value in Parameters")
        used.add(name)
        return pgsql.Literal(values[name]).as_string(None)

    bound = _map_code(sql, lambda code: _PARAM.sub(replace, code))
    unused = set(values) - used
    if unused:
        raise TranslationError(
            sql, f"Parameters name {', '.join(sorted(unused))}, which the SQL does not use"
        )
    return bound
