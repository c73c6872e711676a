"""The ONE place these tests read Liberta's SQL (the renderer module may move): the SQL the
state machine sends, rendered for Redshift, and the Postgres rendering for comparisons."""

from __future__ import annotations

import json
import re
from typing import Any

from liberta.warehouse import sql as _sql

REDSHIFT = _sql.Dialect.REDSHIFT
POSTGRES = _sql.Dialect.POSTGRES


def bootstrap_statements() -> list[str]:
    """ddl/ then views/, rendered for Redshift (the state machine's bootstrap batches)."""
    return _sql.bootstrap_statements(REDSHIFT)


def bootstrap_files() -> list[str]:
    return _sql.bootstrap_files()


def statements_of(relpath: str) -> list[str]:
    return _sql.statements(relpath, REDSHIFT)


def view_names() -> list[str]:
    names = []
    for relpath in _sql.sql_files("views"):
        for statement in _sql.statements(relpath, REDSHIFT):
            match = re.search(r"CREATE OR REPLACE VIEW\s+([\w.]+)", statement)
            if match:
                names.append(match.group(1))
    return names


def load_batch() -> list[str]:
    return _sql.redshift_load_batch()


def check_queries() -> dict[str, str]:
    return _sql.check_queries(REDSHIFT)


def window_start_query() -> str:
    return _sql.window_start_query(REDSHIFT)


def failed_run_statement() -> str:
    return _sql.redshift_failed_run_statement()


def etl_queries() -> dict[str, str]:
    return {relpath: _sql.statements(relpath, REDSHIFT)[0] for relpath in _sql.sql_files("etl")}


def fill_placeholders(statement: str, values: dict[str, Any]) -> str:
    """`${name}` -> the value as the state machine's States.Format writes it."""

    def text(match: re.Match[str]) -> str:
        value = values[match.group(1)]
        if value is None:
            return "null"
        if isinstance(value, bool):
            return "true" if value else "false"
        return str(value)

    return re.sub(r"\$\{([a-z_][a-z0-9_]*)\}", text, statement)


def load_values(manifest: dict[str, Any], *, copy_prefix: str, iam_role: str) -> dict[str, Any]:
    """The load placeholders' values from a run manifest (LOAD_PLACEHOLDER_SOURCES)."""
    values: dict[str, Any] = {
        "run_id": manifest["run_id"],
        "copy_prefix": copy_prefix,
        "iam_role": iam_role,
        "full_refresh": manifest["window"]["full_refresh"],
        "window_since": manifest["window"].get("since"),
        "window_until": manifest["window"].get("until"),
        "high_water_mark": manifest.get("high_water_mark"),
        "quarantine_by_reason": json.dumps(
            manifest["quarantine"]["by_reason"], separators=(",", ":")
        ),
    }
    for name, count in manifest["counts"].items():
        values[f"counts_{name}"] = count
    for table, entry in manifest["tables"].items():
        values[f"rows_{table}"] = entry["rows"]
    missing = set(_sql.load_placeholders()) - set(values)
    if missing:
        raise KeyError(f"no value for load placeholders {sorted(missing)}")
    return values


def postgres_view_query(view: str) -> str:
    return f"SELECT * FROM {view}"
