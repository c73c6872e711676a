"""Render the SQL of `redshift_sql/` for Redshift or for the local Postgres.

One source serves both dialects (see `redshift_sql/README.md`):

- `/*redshift: ... */` keeps its content on Redshift and vanishes on Postgres;
  `/*postgres: ... */` is the reverse. Everything else is shared.
- `${name}` is a runtime value. `'${name}'` is a string value, `${name}` a number or boolean.
  On Postgres both become the bound parameter `%(name)s` (psycopg); on Redshift they stay as
  they are, for the Step Functions state machine to substitute (`States.Format`) because the
  Data API's `BatchExecuteStatement` has no bind parameters.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from enum import StrEnum
from functools import cache
from importlib import resources
from importlib.resources.abc import Traversable
from pathlib import Path

from liberta_core.tables import TABLE_NAMES


class Dialect(StrEnum):
    REDSHIFT = "redshift"
    POSTGRES = "postgres"


class SqlTemplateError(ValueError):
    """A `.sql` file breaks the rendering conventions (named in the message)."""


# Every folder of redshift_sql/ (see its README).
SQL_FOLDERS: tuple[str, ...] = ("admin", "ddl", "views", "grants", "load", "etl")

# The roles the admin SQL creates and the identities act as (see redshift_sql/admin/).
ETL_ROLE = "liberta_etl"
ANALYST_ROLE = "liberta_analyst"

# Files with a role the orchestrators know by name.
WINDOW_SQL = "etl/select_window.sql"
FAILED_RUN_SQL = "etl/insert_failed_load_log.sql"
RUN_COUNTS_SQL = "etl/select_run_counts.sql"
# select_run_counts.sql's columns, in order.
RUN_COUNT_COLUMNS: tuple[str, ...] = (
    "rows_read",
    "rows_valid",
    "rows_quarantined",
    "rows_duplicates",
    *(f"rows_{table}" for table in TABLE_NAMES),
)

# Redshift's Data API runs at most this many statements in one BatchExecuteStatement.
REDSHIFT_BATCH_LIMIT = 40

# The load, in order: one transaction from the lock to the log row. Every value it needs comes
# from the run's load summary (staging.run_summary); the SQL text holds only the run id (in the
# COPY paths, and as the run the gate expects) and the COPY role, both known before the run.
LOAD_STEPS: tuple[str, ...] = (
    "load/lock_run.sql",
    "load/clear_staging.sql",
    "load/set_expected_run.sql",
    "load/copy_run_summary.sql",
    *(f"load/copy_{table}.sql" for table in TABLE_NAMES),
    "load/dedupe_d_user.sql",
    "load/dedupe_f_session.sql",
    "load/full_refresh_clear_analysis.sql",
    "load/assert_quality_gate.sql",
    "load/record_table_stats.sql",
    *(f"load/merge_{table}.sql" for table in TABLE_NAMES),
    "load/assert_post_load_checks.sql",
    "load/insert_load_log.sql",
    "load/insert_quarantine_summary.sql",
)
# Files the local loader runs its own way (it streams Parquet, binds the summary).
COPY_TABLE_STEP_PREFIX = "load/copy_"
RUN_SUMMARY_STEP = "load/copy_run_summary.sql"

# Where the state machine finds each placeholder of the Redshift load batch.
LOAD_PLACEHOLDER_SOURCES: dict[str, str] = {
    "run_id": "$.run_id (the execution name, checked against liberta_core.run_id)",
    "run_uri": "s3://<curated>/runs/<run_id> (liberta_core.layout)",
    "iam_role": "the Redshift role ARN allowed to read the curated bucket (deployment setting)",
}

_MARKER = re.compile(r"/\*(?P<tag>[A-Za-z_]+):(?P<body>.*?)\*/", re.DOTALL)
_PLACEHOLDER = re.compile(r"\$\{(?P<name>[a-z_][a-z0-9_]*)\}")
_QUOTED_PLACEHOLDER = re.compile(r"'\$\{(?P<name>[a-z_][a-z0-9_]*)\}'")
_STRING_LITERAL = re.compile(r"'(?:[^']|'')*'")


def sql_root() -> Traversable:
    """The SQL files: the installed `redshift_sql` package (`LIBERTA_SQL_DIR` overrides it)."""
    override = os.environ.get("LIBERTA_SQL_DIR")
    if override:
        return Path(override)
    return resources.files("redshift_sql")


@cache
def _source(root: Traversable, relpath: str) -> str:
    path = root.joinpath(*relpath.split("/"))
    if not path.is_file():
        raise SqlTemplateError(f"no SQL file {relpath!r} under {root}")
    return path.read_text(encoding="utf-8")


def apply_markers(text: str, dialect: Dialect, *, where: str = "<sql>") -> str:
    """Keep `/*<dialect>: ... */` bodies of `dialect`, drop the other dialect's."""

    def replace(match: re.Match[str]) -> str:
        tag = match.group("tag").lower()
        if tag not in {d.value for d in Dialect}:
            raise SqlTemplateError(
                f"{where}: unknown dialect marker '/*{match.group('tag')}:' "
                f"(use /*redshift: ... */ or /*postgres: ... */)"
            )
        return match.group("body").strip() if tag == dialect.value else ""

    rendered = _MARKER.sub(replace, text)
    return "\n".join(line.rstrip() for line in rendered.splitlines()) + "\n"


def placeholders_in(sql: str) -> list[str]:
    """Placeholder names in order of first appearance."""
    seen: dict[str, None] = {}
    for match in _PLACEHOLDER.finditer(sql):
        seen.setdefault(match.group("name"), None)
    return list(seen)


def to_psycopg(sql: str, *, where: str = "<sql>") -> str:
    """`'${x}'` and `${x}` -> `%(x)s`; a literal `%` -> `%%` (only when there are parameters)."""
    tokens = list(_tokens(sql))
    if not any(kind != "comment" and _PLACEHOLDER.search(text) for kind, text in tokens):
        return sql
    out: list[str] = []
    for kind, text in tokens:
        text = text.replace("%", "%%")
        if kind == "string" and "${" in text:
            match = _QUOTED_PLACEHOLDER.fullmatch(text)
            if not match:
                raise SqlTemplateError(
                    f"{where}: placeholder inside the longer string {text} cannot be a bound "
                    f"parameter on Postgres; use a whole '${{name}}' or a /*redshift: */ block"
                )
            text = f"%({match.group('name')})s"
        elif kind == "code":
            text = _PLACEHOLDER.sub(lambda m: f"%({m.group('name')})s", text)
        out.append(text)
    return "".join(out)


def render(relpath: str, dialect: Dialect) -> str:
    """One file of `redshift_sql/` rendered for `dialect` (all its statements)."""
    text = apply_markers(_source(sql_root(), relpath), dialect, where=relpath)
    if dialect is Dialect.POSTGRES:
        text = to_psycopg(text, where=relpath)
    return text


def _tokens(sql: str) -> Iterator[tuple[str, str]]:
    """Lex just enough SQL: strings, quoted names, comments, $$ bodies, `;` and other code."""
    i, n = 0, len(sql)
    code_start = 0
    while i < n:
        ch = sql[i]
        kind, end = None, i
        if ch in "'\"":
            end = i + 1
            while end < n:
                if sql[end] == ch:
                    if end + 1 < n and sql[end + 1] == ch:
                        end += 2
                        continue
                    break
                end += 1
            kind, end = ("string" if ch == "'" else "code"), min(end + 1, n)
        elif sql.startswith("--", i):
            end = sql.find("\n", i)
            kind, end = "comment", (n if end == -1 else end)
        elif sql.startswith("/*", i):
            end = sql.find("*/", i + 2)
            kind, end = "comment", (n if end == -1 else end + 2)
        elif ch == "$" and (tag := re.match(r"\$[A-Za-z_]*\$", sql[i:])):
            end = sql.find(tag.group(0), i + len(tag.group(0)))
            kind, end = "dollar", (n if end == -1 else end + len(tag.group(0)))
        elif ch == ";":
            kind, end = "semicolon", i + 1
        if kind is None:
            i += 1
            continue
        if code_start < i:
            yield "code", sql[code_start:i]
        yield kind, sql[i:end]
        i = code_start = end
    if code_start < n:
        yield "code", sql[code_start:n]


def split_statements(sql: str) -> list[str]:
    """Split on top-level `;` (outside quotes, comments and $$ bodies); drop empty statements.

    Each statement is returned without its trailing `;`.
    """
    statements: list[list[str]] = [[]]
    for kind, text in _tokens(sql):
        if kind == "semicolon":
            statements.append([])
        else:
            statements[-1].append(text)
    return ["".join(s).strip() for s in statements if _has_code("".join(s))]


def _has_code(statement: str) -> bool:
    without_comments = re.sub(r"--[^\n]*|/\*.*?\*/", "", statement, flags=re.DOTALL)
    return bool(without_comments.strip())


def statements(relpath: str, dialect: Dialect) -> list[str]:
    """The statements of one file, rendered for `dialect`."""
    return split_statements(render(relpath, dialect))


def sql_files(folder: str) -> list[str]:
    """Relative paths of the `.sql` files of one folder of `redshift_sql/`, in name order."""
    directory = sql_root().joinpath(folder)
    return sorted(
        f"{folder}/{entry.name}"
        for entry in directory.iterdir()
        if entry.is_file() and entry.name.endswith(".sql")
    )


def bootstrap_files() -> list[str]:
    return sql_files("ddl") + sql_files("views") + sql_files("grants")


def bootstrap_statements(dialect: Dialect) -> list[str]:
    """Idempotent DDL, views and grants, in the order they must run (schemas, tables, views,
    the analyst's reads); run as the ETL role."""
    return [s for relpath in bootstrap_files() for s in statements(relpath, dialect)]


def admin_statements(dialect: Dialect) -> list[str]:
    """The administrator's setup (roles and the ETL role's grants), idempotent. On Redshift it
    keeps the `${database}` placeholder, the deployment's database name."""
    return [s for relpath in sql_files("admin") for s in statements(relpath, dialect)]


def redshift_load_batch() -> list[str]:
    """The whole Redshift load as statements for ONE Data API `BatchExecuteStatement`.

    Lock, clear staging, the expected run, COPY the load summary and each table, dedupe
    staging, full-refresh delete (a no-op unless the summary says so), quality gate (raises),
    per-table stats, MERGE each table, post-load checks (raise), load log (which moves
    `etl.watermark`), quarantine summary. Its only placeholders are `run_id`, `run_uri` and
    `iam_role` (`load_placeholders()`); every other value is data the SQL reads itself.
    """
    batch = [
        _without_comment_lines(s)
        for relpath in LOAD_STEPS
        for s in statements(relpath, Dialect.REDSHIFT)
    ]
    if len(batch) > REDSHIFT_BATCH_LIMIT:
        raise SqlTemplateError(
            f"the Redshift load has {len(batch)} statements; BatchExecuteStatement runs at "
            f"most {REDSHIFT_BATCH_LIMIT}"
        )
    return batch


def _without_comment_lines(statement: str) -> str:
    # The state machine's States.Format reads braces and backslashes; comments may hold either.
    return "\n".join(
        line for line in statement.splitlines() if not line.lstrip().startswith("--")
    ).strip()


def load_placeholders() -> list[str]:
    """The placeholder names `redshift_load_batch()` uses, in order of first appearance."""
    return placeholders_in("\n".join(redshift_load_batch()))


def watermark_query(dialect: Dialect) -> str:
    """Returns one row with one column, `high_water_mark` (null before the first load)."""
    return statements("etl/select_watermark.sql", dialect)[0]


def data_api_statement(relpath: str) -> str:
    """A one-statement file for Redshift's `ExecuteStatement`, with named parameters.

    `'${name}'` becomes the Data API parameter `:name` (values are bound, never pasted into the
    SQL text); unquoted placeholders are refused, since the Data API binds only strings.
    """
    (sql,) = statements(relpath, Dialect.REDSHIFT)
    sql = _QUOTED_PLACEHOLDER.sub(lambda m: f":{m.group('name')}", sql)
    if _PLACEHOLDER.search(sql):
        raise SqlTemplateError(
            f"{relpath}: use only quoted '${{name}}' values (Data API parameters)"
        )
    return sql


def parameter_names(relpath: str) -> list[str]:
    """The placeholder names of a file, in order of first appearance."""
    return placeholders_in(render(relpath, Dialect.REDSHIFT))


def redshift_failed_run_statement() -> str:
    """The failed-run log row for Redshift, with Data API named parameters (`:run_id`, ...).

    Parameters: run_id, started_at, full_refresh, error, failed_step (all text): the error text
    is arbitrary, so it must be bound, not written into the SQL.
    """
    return data_api_statement(FAILED_RUN_SQL)


def window_query(dialect: Dialect) -> str:
    """`etl/select_window.sql` rendered for `dialect` (see that file for the rule)."""
    if dialect is Dialect.REDSHIFT:
        return data_api_statement(WINDOW_SQL)
    (sql,) = statements(WINDOW_SQL, dialect)
    return sql
