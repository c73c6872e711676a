"""The SQL of redshift_sql/: rendering rules, Redshift parsing, the load batch, the bootstrap."""

from __future__ import annotations

import re

import psycopg
import pytest
import sqlglot
from sqlglot import exp
from sqlglot.errors import ErrorLevel

from liberta.warehouse.db import bootstrap
from liberta_core.sql import (
    LOAD_PLACEHOLDER_SOURCES,
    LOAD_STEPS,
    REDSHIFT_BATCH_LIMIT,
    SQL_FOLDERS,
    Dialect,
    SqlTemplateError,
    apply_markers,
    bootstrap_statements,
    load_placeholders,
    redshift_failed_run_statement,
    redshift_load_batch,
    split_statements,
    sql_files,
    sql_root,
    statements,
    to_psycopg,
    watermark_query,
)
from liberta_core.tables import TABLES

ALL_FILES = [p for folder in SQL_FOLDERS for p in sql_files(folder)]
# sqlglot has no grammar for these; they are checked by the pattern instead.
COMMAND_PATTERNS = {
    "CALL": re.compile(r"CALL (etl\.[a-z_]+\(\)|liberta_admin\.ensure_role\('[a-z_]+'\))"),
    "LOCK": re.compile(r"LOCK etl\.run_lock"),
    # Redshift's role grants (RBAC), as its GRANT reference spells them.
    "GRANT": re.compile(
        r"GRANT (CREATE ON DATABASE \w+|USAGE ON LANGUAGE plpgsql|USAGE ON SCHEMA analysis"
        r"|SELECT ON ALL TABLES IN SCHEMA analysis) TO ROLE liberta_(etl|analyst)"
    ),
}


def test_markers_keep_one_dialect():
    text = "a /*redshift: ENCODE az64 */, b /*postgres: now() */ c\n"
    assert apply_markers(text, Dialect.REDSHIFT) == "a ENCODE az64, b  c\n"
    assert apply_markers(text, Dialect.POSTGRES) == "a , b now() c\n"
    with pytest.raises(SqlTemplateError, match="unknown dialect marker '/\\*redshfit:'"):
        apply_markers("/*redshfit: x */", Dialect.REDSHIFT, where="f.sql")


def test_placeholders_become_bound_parameters_on_postgres():
    sql = "SELECT '${run_id}', ${rows} WHERE x LIKE '50%' -- ${not_this}"
    assert to_psycopg(sql) == "SELECT %(run_id)s, %(rows)s WHERE x LIKE '50%%' -- ${not_this}"
    assert to_psycopg("SELECT '100%'") == "SELECT '100%'"
    with pytest.raises(SqlTemplateError, match="inside the longer string"):
        to_psycopg("SELECT '${prefix}/x.manifest'")


def test_split_statements_respects_quotes_comments_and_dollar_bodies():
    sql = "SELECT ';'; -- a; comment\nCREATE PROCEDURE p() AS $$ BEGIN x; y; END; $$;\n/* z; */"
    assert split_statements(sql) == [
        "SELECT ';'",
        "-- a; comment\nCREATE PROCEDURE p() AS $$ BEGIN x; y; END; $$",
    ]


def substituted(statement: str) -> str:
    """As the state machine's States.Format would: numbers and booleans bare, text quoted."""
    statement = statement.replace("${full_refresh}", "false")
    return re.sub(r"(?<!')\$\{[a-z_0-9]+\}(?!')", "0", statement)


@pytest.mark.parametrize("relpath", ALL_FILES)
def test_redshift_rendering_parses_in_the_redshift_dialect(relpath):
    rendered = [substituted(s) for s in statements(relpath, Dialect.REDSHIFT)]
    assert rendered, f"{relpath} renders no statement for Redshift"
    for statement in rendered:
        (tree,) = sqlglot.parse(statement, read="redshift", error_level=ErrorLevel.RAISE)
        if isinstance(tree, exp.Command):
            code = "\n".join(
                line for line in statement.splitlines() if not line.lstrip().startswith("--")
            ).strip()
            keyword = code.split()[0].upper()
            assert keyword in COMMAND_PATTERNS, f"{relpath}: sqlglot cannot parse {code[:80]}"
            assert COMMAND_PATTERNS[keyword].fullmatch(code), code


def test_the_parse_check_can_fail():
    with pytest.raises(sqlglot.errors.ParseError):
        sqlglot.parse("SELECT FROM WHERE (", read="redshift", error_level=ErrorLevel.RAISE)


def test_postgres_rendering_has_no_redshift_only_syntax():
    for relpath in ALL_FILES:
        text = "\n".join(statements(relpath, Dialect.POSTGRES)).upper()
        for word in (
            "ENCODE ",
            "DISTKEY",
            "SORTKEY",
            "DISTSTYLE",
            "IAM_ROLE",
            "GETDATE",
            "SYSDATE",
        ):
            assert word not in text, f"{relpath} renders {word} for Postgres"


def test_redshift_load_batch_is_one_data_api_batch():
    batch = redshift_load_batch()
    assert len(batch) <= REDSHIFT_BATCH_LIMIT
    assert batch[0] == "LOCK etl.run_lock"
    copies = [s for s in batch if s.startswith("COPY")]
    assert len(copies) == len(TABLES) + 1  # and the load summary
    assert any(
        "COPY staging.run_summary\nFROM '${run_uri}/load/summary.json'" in s
        and "FORMAT AS JSON 'auto'" in s
        for s in copies
    )
    for table in TABLES:
        assert any(
            f"COPY staging.{table.name}\nFROM '${{run_uri}}/copy/{table.name}.manifest'" in s
            and "IAM_ROLE '${iam_role}'" in s
            and "FORMAT AS PARQUET" in s
            and s.rstrip().endswith("MANIFEST")
            for s in copies
        ), table.name
    gate = batch.index("CALL etl.assert_load_gate()")
    merges = [i for i, s in enumerate(batch) if s.startswith(("MERGE", "INSERT INTO analysis"))]
    assert len(merges) == len(TABLES) and min(merges) > gate
    checks = batch.index("CALL etl.assert_post_load_checks()")
    assert max(merges) < checks < batch.index(batch[-2])
    assert "TRUNCATE" not in "\n".join(batch).upper()
    assert batch[-2].startswith("INSERT INTO etl.load_log")
    # States.Format reads braces and backslashes: only the placeholders may contain braces.
    without_placeholders = re.sub(r"\$\{[a-z_0-9]+\}", "", "\n".join(batch))
    assert not re.search(r"[{}\\]", without_placeholders)


def test_every_load_placeholder_has_a_documented_source():
    assert set(load_placeholders()) == set(LOAD_PLACEHOLDER_SOURCES)
    # Only what the orchestrator knows before the run; every manifest value is data the SQL
    # reads from staging.run_summary.
    assert set(load_placeholders()) == {"run_id", "run_uri", "iam_role"}


def test_failed_run_statement_uses_data_api_parameters():
    sql = redshift_failed_run_statement()
    assert ":run_id" in sql and ":error" in sql and "${" not in sql
    sqlglot.parse(sql.replace(":", "__p_"), read="redshift", error_level=ErrorLevel.RAISE)


def test_load_steps_and_bootstrap_files_exist():
    for relpath in LOAD_STEPS:
        assert (sql_root() / relpath).is_file()
    assert bootstrap_statements(Dialect.REDSHIFT)[0].endswith(
        "CREATE SCHEMA IF NOT EXISTS analysis"
    )


def test_bootstrap_applies_cleanly_twice(conn):
    assert bootstrap(conn) == len(bootstrap_statements(Dialect.POSTGRES))
    bootstrap(conn)
    views = conn.execute(
        "SELECT count(*) FROM information_schema.views WHERE table_schema = 'analysis'"
    ).fetchone()
    assert views == (11,)


PG_TYPES = {
    "bigint": "bigint", "int": "integer", "smallint": "smallint", "boolean": "boolean",
    "double": "double precision", "date": "date", "timestamp": "timestamp without time zone",
    "decimal(18,6)": "numeric(18,6)",
}  # fmt: skip


@pytest.mark.parametrize("schema", ["analysis", "staging"])
def test_ddl_matches_the_star_schema_contract(conn, schema):
    for table in TABLES:
        columns = conn.execute(
            "SELECT column_name, data_type, character_maximum_length, numeric_precision,"
            " numeric_scale, is_nullable FROM information_schema.columns"
            " WHERE table_schema = %s AND table_name = %s ORDER BY ordinal_position",
            (schema, table.name),
        ).fetchall()
        assert [c[0] for c in columns] == table.column_names, table.name
        for column, (_, data_type, length, precision, scale, nullable) in zip(
            table.columns, columns, strict=True
        ):
            if column.type.startswith("varchar"):
                assert (data_type, length) == ("character varying", int(column.type[8:-1]))
            elif data_type == "numeric":
                assert f"numeric({precision},{scale})" == PG_TYPES[column.type]
            else:
                assert data_type == PG_TYPES[column.type], (table.name, column.name)
            assert (nullable == "YES") == column.nullable, (table.name, column.name)


def test_checks_pass_on_a_good_load_and_find_injected_violations(conn, tmp_path):
    from liberta.warehouse.loader import load_run

    from .dataset import RUN_A, run_a
    from .rundir import write_run

    load_run(conn, write_run(tmp_path, "run-a", run_a(), **RUN_A))
    # The post-load checks of the load transaction, over the keys still in staging (run A).
    (query,) = statements("etl/select_post_load_violations.sql", Dialect.POSTGRES)

    def violations(check: str) -> list[tuple]:
        return [row for row in conn.execute(query).fetchall() if row[0] == check]

    assert conn.execute(query).fetchall() == []
    # Neither dialect stops these writes once the load is over (Redshift never enforces keys,
    # local Postgres has no foreign keys): inside a rolled-back transaction, lift the primary
    # key Postgres does enforce and write what Redshift would let through; the checks see it.
    with conn.transaction():
        conn.execute("ALTER TABLE analysis.d_item DROP CONSTRAINT d_item_pkey")
        conn.execute("UPDATE analysis.f_event SET user_key = 999 WHERE event_key = 1001")
        conn.execute("INSERT INTO analysis.d_item SELECT * FROM analysis.d_item")
        assert violations("no_orphan_facts") == [
            ("no_orphan_facts", "f_event", "1 rows whose user_key has no row in d_user, e.g. 999")
        ]
        assert violations("keys_unique") == [
            ("keys_unique", "d_item", "1 duplicated key value(s), e.g. 401")
        ]
        raise psycopg.Rollback()
    assert conn.execute(watermark_query(Dialect.POSTGRES)).fetchall() != []


def test_post_load_checks_cover_every_table_of_the_contract():
    """The checks are written out per table in SQL: a table added to the contract must be
    added there too (its key unique after the merges, never null)."""
    from liberta_core.sql import render

    sql = render("ddl/075_post_load_violations.sql", Dialect.REDSHIFT)
    for table in TABLES:
        (key,) = table.key
        unique = (
            f"SELECT '{table.name}' AS table_name, a.{key} AS key_value\n"
            f"    FROM analysis.{table.name} AS a\n"
            f"    WHERE a.{key} IN (SELECT {key} FROM staging.{table.name})"
        )
        assert unique in sql, table.name
        assert f"FROM analysis.{table.name}\n    WHERE {key} IS NULL" in sql, table.name


def test_foreign_keys_are_declared_for_redshift_only():
    def references(dialect: Dialect) -> list[str]:
        ddl = "\n".join(bootstrap_statements(dialect))
        return re.findall(r"FOREIGN KEY \((\w+)\) REFERENCES analysis\.(\w+)", ddl)

    assert len(references(Dialect.REDSHIFT)) == 3 + 4 + 5  # f_session, f_event, f_revenue
    assert ("item_key", "d_item") in references(Dialect.REDSHIFT)
    assert references(Dialect.POSTGRES) == []


def test_bootstrap_upgrades_a_warehouse_whose_gate_read_expected_rows(conn):
    """Warehouses of the release before the load summary: their gate view read
    staging.expected_rows, which this release drops (found on a clean install over one)."""
    conn.execute("DROP VIEW staging.v_gate_violations")
    conn.execute(
        "CREATE TABLE staging.expected_rows (table_name varchar(32) NOT NULL,"
        " expected_rows bigint NOT NULL)"
    )
    conn.execute(
        "CREATE VIEW staging.v_gate_violations AS SELECT 'row_count' AS check_name,"
        " table_name, 'expected ' || expected_rows AS detail FROM staging.expected_rows"
    )
    bootstrap(conn)
    tables = conn.execute(
        "SELECT table_name FROM information_schema.tables WHERE table_schema = 'staging'"
        " AND table_name IN ('expected_rows', 'v_gate_violations', 'run_summary')"
    ).fetchall()
    assert sorted(t for (t,) in tables) == ["run_summary", "v_gate_violations"]
    assert conn.execute("SELECT count(*) FROM staging.v_gate_violations").fetchone()[0] > 0


def test_bootstrap_drops_foreign_keys_of_an_older_local_database(conn):
    """Databases bootstrapped when Postgres still had the foreign keys lose them (once)."""

    def constraints() -> set[tuple[str, str]]:
        rows = conn.execute(
            "SELECT conrelid::regclass::text, contype FROM pg_constraint"
            " WHERE connamespace = 'analysis'::regnamespace"
        ).fetchall()
        return {(table, kind) for table, kind in rows}

    conn.execute(
        "ALTER TABLE analysis.f_event ADD FOREIGN KEY (user_key)"
        " REFERENCES analysis.d_user (user_key)"
    )
    conn.execute(
        "ALTER TABLE analysis.f_revenue ADD CONSTRAINT f_revenue_item_key_fkey"
        " FOREIGN KEY (item_key) REFERENCES analysis.d_item (item_key)"
    )
    assert ("analysis.f_event", "f") in constraints()
    bootstrap(conn)
    assert {kind for _, kind in constraints()} == {"p"}
    # The primary keys stay: they serve the merges' anti-joins and reject duplicate keys.
    assert ("analysis.f_event", "p") in constraints() and len(constraints()) == 7
