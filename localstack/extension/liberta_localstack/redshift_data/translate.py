"""Redshift SQL -> Postgres SQL, statement by statement.

sqlglot (it knows both dialects) parses each statement as Redshift and writes it as Postgres.
Where Redshift and Postgres mean different things, or sqlglot has no translation, a NAMED
rule below does the work; `RULES` lists every rule with why. `COPY` is not translated: it
is executed by `copy_from_s3` (see `classify`).

Anything the translator does not understand FAILS with `TranslationError`, naming the
statement and the reason: no SQL is ever dropped silently.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

import sqlglot
from sqlglot import ErrorLevel, exp
from sqlglot.errors import SqlglotError


class TranslationError(ValueError):
    """The statement cannot run on Postgres; the message names the statement and the reason."""

    def __init__(self, statement: str, reason: str) -> None:
        reason = re.sub(r"\x1b\[[0-9;]*m", "", reason)  # sqlglot underlines with ANSI codes
        shown = " ".join(statement.split())
        if len(shown) > 300:
            shown = shown[:300] + " ..."
        super().__init__(
            f"Liberta's LocalStack extension cannot run this statement on Postgres: {reason}. "
            f"Statement: {shown}"
        )
        self.statement = statement
        self.reason = reason


@dataclass(frozen=True)
class Rule:
    name: str
    why: str


# Every translation that is not sqlglot's own Redshift -> Postgres generation.
RULES: tuple[Rule, ...] = (
    Rule(
        "drop-distribution-and-sort",
        "DISTSTYLE, DISTKEY, [COMPOUND|INTERLEAVED] SORTKEY, ENCODE and BACKUP only place and "
        "compress data on Redshift nodes; Postgres has no equivalent and results do not change",
    ),
    Rule(
        "drop-foreign-keys",
        "Redshift declares foreign keys but never enforces them; Postgres would enforce them "
        "(different results and a trigger per row), so they are dropped. PRIMARY KEY and UNIQUE "
        "are kept: Postgres enforces them where Redshift does not (documented difference)",
    ),
    Rule(
        "sysdate",
        "SYSDATE is the transaction's start as a timestamp without time zone in UTC: "
        "CAST(transaction_timestamp() AT TIME ZONE 'UTC' AS timestamp)",
    ),
    Rule(
        "getdate",
        "GETDATE() is the current statement's time as a timestamp without time zone in UTC "
        "(sqlglot would make it CURRENT_TIMESTAMP, the transaction's start): "
        "CAST(statement_timestamp() AT TIME ZONE 'UTC' AS timestamp)",
    ),
    Rule(
        "datediff-boundaries",
        "Redshift's DATEDIFF counts the part boundaries crossed (DATEDIFF(day, '23:00', next "
        "day '01:00') = 1); sqlglot divides elapsed seconds, so day/hour/minute/second/month/"
        "year are rewritten; other parts fail",
    ),
    Rule(
        "unpivot-json-object",
        "FROM (SELECT JSON_PARSE('<object>') AS d) AS q, UNPIVOT q.d AS v AT k (SUPER) becomes "
        "jsonb_each_text(CAST('<object>' AS jsonb)) AS q(k, v); and FROM (SELECT ..., "
        "JSON_PARSE(<column>) AS d FROM t) AS q, UNPIVOT q.d AS v AT k becomes the same "
        "subquery with CAST(<column> AS jsonb) AS d, then jsonb_each_text(q.d) AS "
        "q_unpivot(k, v) (a function in FROM sees the items before it); other SUPER/UNPIVOT "
        "forms fail",
    ),
    Rule(
        "grant-to-role",
        "Redshift's GRANT ... TO ROLE r and GRANT ROLE r TO u are Postgres's GRANT ... TO r and "
        "GRANT r TO u",
    ),
    Rule(
        "system-view-svv-roles",
        "Redshift's system view SVV_ROLES (role_name, role_id, role_owner) read in FROM or JOIN "
        "(the admin SQL's role check) becomes the same columns selected from pg_roles",
    ),
    Rule(
        "pass-through-commands",
        "LOCK, CALL, CREATE/DROP ROLE, GRANT/REVOKE, BEGIN/COMMIT/ROLLBACK/END and SET mean the "
        "same in both dialects and are sent as written (after the rules above)",
    ),
)

# Redshift functions with no Postgres counterpart that sqlglot would pass through unchanged;
# Postgres would fail with "function does not exist" without saying why.
_REDSHIFT_ONLY_FUNCTIONS = {
    "JSON_PARSE": "SUPER values (JSON_PARSE) are only translated in the unpivot-json-object form",
    "JSON_SERIALIZE": "SUPER values are not supported",
    "IS_VALID_JSON": "IS_VALID_JSON has no Postgres counterpart",
    "CONVERT_TIMEZONE": "CONVERT_TIMEZONE is not translated",
    "APPROXIMATE": "APPROXIMATE aggregates are not translated",
    "LISTAGG": "LISTAGG is not translated (use string_agg semantics explicitly)",
    "DATE_PART_YEAR": "DATE_PART_YEAR is not translated",
    "SYSDATE": "SYSDATE must not be called with parentheses",
}

_COMMAND_PREFIXES = (
    "LOCK",
    "CALL",
    "CREATE ROLE",
    "DROP ROLE",
    "GRANT",
    "REVOKE",
    "BEGIN",
    "START TRANSACTION",
    "COMMIT",
    "END",
    "ROLLBACK",
    "SET",
)


# -- lexing: the rules below only ever touch code, never string literals ----------------------

_TOKEN = re.compile(
    r"(?P<string>'(?:[^']|'')*')"
    r"|(?P<ident>\"(?:[^\"]|\"\")*\")"
    r"|(?P<comment>--[^\n]*|/\*.*?\*/)",
    re.DOTALL,
)


def _map_code(sql: str, fn: Callable[[str], str]) -> str:
    """Apply `fn` to every stretch of code outside string literals, quoted names and comments."""
    out: list[str] = []
    pos = 0
    for match in _TOKEN.finditer(sql):
        out.append(fn(sql[pos : match.start()]))
        out.append(match.group(0))
        pos = match.end()
    out.append(fn(sql[pos:]))
    return "".join(out)


def strip_comments(sql: str) -> str:
    out: list[str] = []
    pos = 0
    for match in _TOKEN.finditer(sql):
        out.append(sql[pos : match.start()])
        out.append(" " if match.group("comment") else match.group(0))
        pos = match.end()
    out.append(sql[pos:])
    return "".join(out).strip()


# -- text rules ---------------------------------------------------------------------------------

_SYSDATE_SQL = "CAST(transaction_timestamp() AT TIME ZONE 'UTC' AS timestamp)"
_GETDATE_SQL = "CAST(statement_timestamp() AT TIME ZONE 'UTC' AS timestamp)"


def _time_functions(code: str) -> str:
    code = re.sub(r"(?i)\bGETDATE\s*\(\s*\)", _GETDATE_SQL, code)
    return re.sub(r"(?i)\bSYSDATE\b(?!\s*\()", _SYSDATE_SQL, code)


_SVV_ROLES_SQL = (
    "(SELECT rolname AS role_name, CAST(oid AS integer) AS role_id, "
    "CAST(NULL AS varchar) AS role_owner FROM pg_roles) AS svv_roles"
)


def _system_views(code: str) -> str:
    return re.sub(r"(?i)\b(FROM|JOIN)\s+(pg_catalog\.)?svv_roles\b", rf"\1 {_SVV_ROLES_SQL}", code)


def _grant_to_role(code: str) -> str:
    code = re.sub(r"(?i)\bGRANT\s+ROLE\s+", "GRANT ", code)
    return re.sub(r"(?i)\bTO\s+ROLE\s+", "TO ", code)


_UNPIVOT_JSON = re.compile(
    r"\(\s*SELECT\s+JSON_PARSE\s*\(\s*(?P<arg>'(?:[^']|'')*')\s*\)\s+AS\s+(?P<doc>\w+)\s*\)"
    r"\s+AS\s+(?P<alias>\w+)\s*,\s*UNPIVOT\s+(?P=alias)\s*\.\s*(?P=doc)\s+AS\s+(?P<value>\w+)"
    r"\s+AT\s+(?P<key>\w+)",
    re.IGNORECASE,
)


_UNPIVOT_COLUMN = re.compile(
    r",\s*UNPIVOT\s+(?P<alias>\w+)\s*\.\s*(?P<doc>\w+)\s+AS\s+(?P<value>\w+)\s+AT\s+(?P<key>\w+)",
    re.IGNORECASE,
)


def _unpivot_json_column(sql: str) -> str:
    match = _UNPIVOT_COLUMN.search(sql)
    if match is None:
        return sql
    parsed = re.compile(
        rf"JSON_PARSE\s*\(\s*(?P<column>[\w.]+)\s*\)\s+AS\s+{match.group('doc')}\b",
        re.IGNORECASE,
    )
    if parsed.search(sql[: match.start()]) is None:
        return sql  # not the documented form: the JSON_PARSE check below rejects it
    head = parsed.sub(
        lambda m: f"CAST({m.group('column')} AS jsonb) AS {match.group('doc')}",
        sql[: match.start()],
        count=1,
    )
    alias = match.group("alias")
    unpivot = (
        f", jsonb_each_text({alias}.{match.group('doc')}) "
        f"AS {alias}_unpivot({match.group('key')}, {match.group('value')})"
    )
    return head + unpivot + sql[match.end() :]


def _unpivot_json(sql: str) -> str:
    sql = _unpivot_json_column(sql)
    return _UNPIVOT_JSON.sub(
        lambda m: (
            f"jsonb_each_text(CAST({m.group('arg')} AS jsonb)) "
            f"AS {m.group('alias')}({m.group('key')}, {m.group('value')})"
        ),
        sql,
    )


# -- AST rules ------------------------------------------------------------------------------------

_REDSHIFT_ONLY_PROPERTIES = (
    exp.DistStyleProperty,
    exp.DistKeyProperty,
    exp.SortKeyProperty,
    exp.BackupProperty,
)


def _drop_distribution_and_sort(node: exp.Expression) -> exp.Expression | None:
    if isinstance(node, _REDSHIFT_ONLY_PROPERTIES):
        return None
    if isinstance(node, exp.ColumnConstraint) and isinstance(
        node.args.get("kind"), exp.EncodeColumnConstraint | exp.CompressColumnConstraint
    ):
        return None
    return node


def _drop_foreign_keys(node: exp.Expression) -> exp.Expression | None:
    if isinstance(node, exp.ForeignKey):
        return None
    if isinstance(node, exp.ColumnConstraint) and isinstance(node.args.get("kind"), exp.Reference):
        return None
    if isinstance(node, exp.Constraint) and any(
        isinstance(e, exp.ForeignKey) for e in node.expressions
    ):
        return None
    return node


_DATEDIFF_SQL = {
    "DAY": "(CAST({b} AS date) - CAST({a} AS date))",
    "HOUR": (
        "CAST(FLOOR(EXTRACT(EPOCH FROM date_trunc('hour', CAST({b} AS timestamp)) "
        "- date_trunc('hour', CAST({a} AS timestamp))) / 3600) AS bigint)"
    ),
    "MINUTE": (
        "CAST(FLOOR(EXTRACT(EPOCH FROM date_trunc('minute', CAST({b} AS timestamp)) "
        "- date_trunc('minute', CAST({a} AS timestamp))) / 60) AS bigint)"
    ),
    "SECOND": (
        "CAST(FLOOR(EXTRACT(EPOCH FROM date_trunc('second', CAST({b} AS timestamp)) "
        "- date_trunc('second', CAST({a} AS timestamp)))) AS bigint)"
    ),
    "MONTH": (
        "CAST((EXTRACT(YEAR FROM CAST({b} AS timestamp)) - EXTRACT(YEAR FROM CAST({a} AS "
        "timestamp))) * 12 + EXTRACT(MONTH FROM CAST({b} AS timestamp)) - EXTRACT(MONTH FROM "
        "CAST({a} AS timestamp)) AS bigint)"
    ),
    "YEAR": (
        "CAST(EXTRACT(YEAR FROM CAST({b} AS timestamp)) - EXTRACT(YEAR FROM CAST({a} AS "
        "timestamp)) AS bigint)"
    ),
}
_DATE_PART_ALIASES = {
    "D": "DAY",
    "DAYS": "DAY",
    "H": "HOUR",
    "HOURS": "HOUR",
    "HR": "HOUR",
    "MIN": "MINUTE",
    "MINUTES": "MINUTE",
    "S": "SECOND",
    "SEC": "SECOND",
    "SECONDS": "SECOND",
    "MON": "MONTH",
    "MONTHS": "MONTH",
    "Y": "YEAR",
    "YR": "YEAR",
    "YEARS": "YEAR",
}


def _datediff(statement: str) -> Callable[[exp.Expression], exp.Expression]:
    def rule(node: exp.Expression) -> exp.Expression:
        if not isinstance(node, exp.DateDiff | exp.TsOrDsDiff):
            return node
        unit = node.args.get("unit")
        part = (unit.name if unit is not None else "DAY").upper()
        part = _DATE_PART_ALIASES.get(part, part)
        template = _DATEDIFF_SQL.get(part)
        if template is None:
            raise TranslationError(statement, f"DATEDIFF({part.lower()}, ...) is not translated")
        # sqlglot: DateDiff(this=end, expression=start)
        end_sql = node.this.sql(dialect="postgres")
        start_sql = node.expression.sql(dialect="postgres")
        return sqlglot.parse_one(template.format(a=start_sql, b=end_sql), read="postgres")

    return rule


def _reject_redshift_only_functions(tree: exp.Expression, statement: str) -> None:
    for node in tree.find_all(exp.Anonymous):
        name = str(node.this).upper()
        if name in _REDSHIFT_ONLY_FUNCTIONS:
            raise TranslationError(statement, _REDSHIFT_ONLY_FUNCTIONS[name])
    if tree.find(exp.ParseJSON) is not None:
        raise TranslationError(statement, _REDSHIFT_ONLY_FUNCTIONS["JSON_PARSE"])
    if tree.find(exp.Pivot) is not None:
        raise TranslationError(
            statement, "PIVOT/UNPIVOT is only translated in the unpivot-json-object form"
        )


# -- the entry points ----------------------------------------------------------------------------


def is_copy(statement: str) -> bool:
    return bool(re.match(r"(?i)COPY\b", strip_comments(statement)))


def translate(statement: str) -> str:
    """One Redshift statement (no trailing `;`) as Postgres; raises `TranslationError`."""
    code = strip_comments(statement)
    if not code:
        raise TranslationError(statement, "the statement is empty")
    if is_copy(code):
        raise TranslationError(statement, "COPY is executed by the COPY loader, not translated")
    code = _map_code(code, _time_functions)
    code = _map_code(code, _grant_to_role)
    code = _map_code(code, _system_views)
    code = _unpivot_json(code)
    if re.match(r"(?i)CREATE\s+(TEMP(ORARY)?\s+)?TABLE\b", code):
        # Column-level DISTKEY / SORTKEY (no parenthesis): sqlglot cannot parse them.
        code = _map_code(code, lambda c: re.sub(r"(?i)\b(DISTKEY|SORTKEY)\b(?!\s*\()", "", c))

    upper = " ".join(code.upper().split())
    if upper.startswith(_COMMAND_PREFIXES) and not upper.startswith("SET "):
        # sqlglot keeps these as opaque commands: same meaning in both dialects.
        return code
    if re.match(r"(?i)CREATE\s+(OR\s+REPLACE\s+)?PROCEDURE\b", code):
        # PL/pgSQL bodies are Postgres already (Redshift's SELECT INTO var ... included); the
        # text rules above have translated the functions inside the body.
        return code

    try:
        trees = sqlglot.parse(code, read="redshift", error_level=ErrorLevel.RAISE)
    except SqlglotError as exc:
        raise TranslationError(
            statement, f"sqlglot cannot parse it as Redshift SQL ({exc})"
        ) from exc
    if len(trees) != 1 or trees[0] is None:
        raise TranslationError(statement, "expected exactly one statement")
    tree = trees[0]
    if isinstance(tree, exp.Command):
        if upper.startswith("SET "):
            return code
        raise TranslationError(
            statement, f"{upper.split()[0]} is a Redshift command the translator does not know"
        )
    _reject_redshift_only_functions(tree, statement)
    tree = tree.transform(_drop_distribution_and_sort)
    tree = tree.transform(_drop_foreign_keys)
    tree = tree.transform(_datediff(statement))
    try:
        return tree.sql(dialect="postgres", unsupported_level=ErrorLevel.RAISE)
    except SqlglotError as exc:
        raise TranslationError(statement, f"no Postgres form ({exc})") from exc
