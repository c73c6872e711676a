"""Every SQL file the state machine sends, as rendered for Redshift, through the Data API.

The admin setup and the bootstrap (ddl + views + procedures + grants) apply on an empty
database and again idempotently; the Redshift load batch runs as ONE BatchExecuteStatement
against a real run's Parquet and load summary in LocalStack S3 and leaves the same warehouse
as the local loader (`load_run`) on the same run; views return the same rows as their Postgres
rendering; the window rule, post-load checks, run counts and etl queries run with Data API
parameters.
"""

from __future__ import annotations

from typing import Any

import psycopg
import pytest

from liberta.warehouse.db import bootstrap as postgres_bootstrap
from liberta.warehouse.loader import load_run
from tests.localstack import sql_source
from tests.localstack.conftest import DataApi, LocalStackUnderTest, new_database

pytestmark = pytest.mark.slow

ANALYSIS_TABLES = ("d_user", "d_date", "d_device", "d_item", "f_session", "f_event", "f_revenue")
COPY_ROLE = "liberta-test-copy-role"


def _bootstrap(api: DataApi) -> list[dict[str, Any]]:
    """The warehouse setup's admin batch, then the bootstrap in batches of <= 40."""
    results = [api.wait(api.batch(sql_source.admin_statements(api.database)))]
    statements = sql_source.bootstrap_statements()
    for start in range(0, len(statements), 40):  # the state machine's batches of <= 40
        results.append(api.wait(api.batch(statements[start : start + 40])))
    return results


def _parameters(relpath: str, values: dict[str, str]) -> list[dict[str, str]]:
    return [{"name": n, "value": values[n]} for n in sql_source.parameter_names(relpath)]


def _window(api: DataApi, **request: str) -> list[Any]:
    values = {
        "since": "none",
        "until": "none",
        "full_refresh": "false",
        "started_at": "2026-11-02T02:30:00.123Z",
        "lookback_hours": "48",
        **request,
    }
    (row,) = api.rows(
        sql_source.data_api_statement(sql_source.WINDOW_SQL),
        Parameters=_parameters(sql_source.WINDOW_SQL, values),
    )
    return row


def test_each_bootstrap_statement_translates_and_runs(data_api: DataApi) -> None:
    """Statement by statement, file by file: a failure names the file."""
    for statement in sql_source.admin_statements(data_api.database):
        described = data_api.wait(data_api.execute(statement))
        assert described["Status"] == "FINISHED", f"admin: {described.get('Error')}"
    for relpath in sql_source.bootstrap_files():
        for statement in sql_source.statements_of(relpath):
            described = data_api.wait(data_api.execute(statement))
            assert described["Status"] == "FINISHED", f"{relpath}: {described.get('Error')}"


def test_bootstrap_batches_apply_on_empty_database_and_again(data_api: DataApi) -> None:
    for attempt in (1, 2):
        for result in _bootstrap(data_api):
            assert result["Status"] == "FINISHED", f"attempt {attempt}: {result.get('Error')}"
    tables = data_api.rows(
        "SELECT table_schema || '.' || table_name FROM information_schema.tables "
        "WHERE table_schema IN ('analysis', 'staging', 'etl') AND table_type = 'BASE TABLE'"
    )
    assert {f"analysis.{t}" for t in ANALYSIS_TABLES} <= {row[0] for row in tables}
    # Redshift-only foreign keys were dropped, primary keys kept.
    constraints = data_api.rows(
        "SELECT contype::text, count(*) FROM pg_constraint WHERE connamespace = 'analysis'::regnamespace GROUP BY 1"
    )
    assert dict((k, v) for k, v in constraints) == {"p": len(ANALYSIS_TABLES)}
    # Nothing loaded yet: the window rule makes the first run a full refresh.
    assert _window(data_api) == [None, True, None, "2026-11-02T02:30:00Z"]


def test_untranslatable_sql_fails_loudly_with_statement_and_reason(data_api: DataApi) -> None:
    for sql, reason in (
        ("SELECT JSON_PARSE('{}') AS doc", "JSON_PARSE"),
        ("VACUUM analysis.f_event", "VACUUM"),
        ("SELECT DATEDIFF(week, DATE '2026-01-01', DATE '2026-02-01')", "DATEDIFF(week"),
        (
            "COPY t FROM 's3://b/k' IAM_ROLE 'arn:aws:iam::000000000000:role/r' FORMAT AS CSV",
            "COPY",
        ),
        (
            "COPY t FROM 's3://b/k' IAM_ROLE 'arn:aws:iam::000000000000:role/r' FORMAT AS PARQUET GZIP",
            "GZIP",
        ),
    ):
        described = data_api.wait(data_api.execute(sql))
        assert described["Status"] == "FAILED", sql
        assert (
            "cannot run this statement on Postgres" in described["Error"]
            or "not supported" in described["Error"]
        )
        assert reason in described["Error"], described["Error"]
        assert sql.split()[0] in described["Error"]


def test_redshift_functions_keep_redshift_semantics(data_api: DataApi) -> None:
    assert data_api.rows(
        "SELECT DATEDIFF(day, TIMESTAMP '2026-01-01 23:00:00', TIMESTAMP '2026-01-02 01:00:00'), "
        "DATEDIFF(hour, TIMESTAMP '2026-01-01 23:59:00', TIMESTAMP '2026-01-02 00:01:00'), "
        "DATEADD(hour, -48, TIMESTAMP '2026-01-03 00:00:00'), "
        "SYSDATE = SYSDATE, GETDATE() >= SYSDATE, NVL(NULL, 'x'), LEN('abc')"
    ) == [[1, 1, "2026-01-01 00:00:00", True, True, "x", 3]]


def _table_rows(url: str) -> dict[str, list[tuple]]:
    with psycopg.connect(url) as conn:
        return {
            table: sorted(conn.execute(f"SELECT * FROM analysis.{table}").fetchall(), key=repr)
            for table in ANALYSIS_TABLES
        } | {
            "load_log": conn.execute(
                "SELECT run_id, status, window_since, window_until, full_refresh, high_water_mark, "
                "rows_read, rows_valid, rows_quarantined, rows_duplicates, rows_time_corrected, error "
                "FROM etl.load_log ORDER BY run_id"
            ).fetchall(),
            "quarantine_summary": sorted(
                conn.execute(
                    "SELECT run_id, reason, records FROM etl.quarantine_summary"
                ).fetchall()
            ),
            "load_table_stats": sorted(
                conn.execute(
                    "SELECT run_id, table_name, rows_staged, rows_inserted, rows_updated FROM etl.load_table_stats"
                ).fetchall()
            ),
        }


def test_load_batch_gives_the_same_warehouse_as_the_local_loader(
    localstack: LocalStackUnderTest, published_run: dict[str, Any], job_setup
) -> None:
    manifest = published_run["manifest"]
    iam = localstack.client("iam")
    try:
        iam.get_role(RoleName=COPY_ROLE)
    except iam.exceptions.NoSuchEntityException:
        iam.create_role(RoleName=COPY_ROLE, AssumeRolePolicyDocument="{}")
    role_arn = iam.get_role(RoleName=COPY_ROLE)["Role"]["Arn"]

    via_api = new_database(localstack, "viaapi")
    api = DataApi(localstack.client("redshift-data"), via_api)
    for result in _bootstrap(api):
        assert result["Status"] == "FINISHED", result.get("Error")
    assert sql_source.load_placeholders() == ["run_id", "run_uri", "iam_role"]
    values = {
        "run_id": manifest["run_id"],
        "run_uri": f"s3://{job_setup.curated_bucket}/runs/{manifest['run_id']}",
        "iam_role": role_arn,
    }
    batch = [sql_source.fill_placeholders(s, values) for s in sql_source.load_batch()]
    assert len(batch) <= 40
    loaded = api.wait(api.batch(batch))
    assert loaded["Status"] == "FINISHED", loaded.get("Error")
    assert all(s["Status"] == "FINISHED" for s in loaded["SubStatements"])

    via_loader = new_database(localstack, "vialoader")
    loader_url = localstack.db_url(via_loader)
    with psycopg.connect(loader_url) as conn:
        postgres_bootstrap(conn)
    load_run(loader_url, f"s3://{job_setup.curated_bucket}/runs/{manifest['run_id']}/manifest.json")

    expected = _table_rows(loader_url)
    actual = _table_rows(localstack.db_url(via_api))
    assert sum(len(expected[t]) for t in ANALYSIS_TABLES) > 100
    assert actual == expected

    # Views: the Redshift rendering (through the Data API) = the Postgres rendering.
    with psycopg.connect(loader_url) as conn:
        for view in sql_source.view_names():
            want = sorted(conn.execute(sql_source.postgres_view_query(view)).fetchall(), key=repr)
            with psycopg.connect(localstack.db_url(via_api)) as other:
                got = sorted(
                    other.execute(sql_source.postgres_view_query(view)).fetchall(), key=repr
                )
            assert got == want, view
    # The post-load checks find nothing; the window moves past the loaded high-water mark;
    # the run counts are the run's; every etl query runs.
    assert api.rows(sql_source.data_api_statement("etl/select_post_load_violations.sql")) == []
    problem, full_refresh, since, _until = _window(api, started_at="2030-01-01T00:00:00Z")
    assert (problem, full_refresh) == (None, False) and since.endswith("Z")
    (counts,) = api.rows(
        sql_source.data_api_statement(sql_source.RUN_COUNTS_SQL),
        Parameters=_parameters(sql_source.RUN_COUNTS_SQL, {"run_id": manifest["run_id"]}),
    )
    assert counts[:2] == [manifest["counts"]["read"], manifest["counts"]["valid"]]
    etl_values = {"limit": "10", "run_id": manifest["run_id"]}
    for relpath in sql_source.etl_files():
        if relpath in (sql_source.FAILED_RUN_SQL, sql_source.WINDOW_SQL):
            continue  # test_failed_run_statement_binds_..., _window above
        query = sql_source.statements_of(relpath)[0]
        if "'${" in query:  # text values: Data API parameters, as the state machine sends
            described = api.wait(
                api.execute(
                    sql_source.data_api_statement(relpath),
                    Parameters=_parameters(relpath, etl_values),
                )
            )
        else:  # numbers (the local CLI's listings): written into the SQL
            described = api.wait(api.execute(sql_source.fill_placeholders(query, etl_values)))
        assert described["Status"] == "FINISHED", f"{relpath}: {described.get('Error')}"
    runs = api.rows(
        sql_source.fill_placeholders(sql_source.statements_of("etl/list_runs.sql")[0], etl_values)
    )
    assert [row[:2] for row in runs] == [[manifest["run_id"], "succeeded"]]

    # Reloading the same run through the API is idempotent (0 inserted, 0 updated).
    again = api.wait(
        api.batch([sql_source.fill_placeholders(s, values) for s in sql_source.load_batch()])
    )
    assert again["Status"] == "FINISHED", again.get("Error")
    assert {t: _table_rows(localstack.db_url(via_api))[t] for t in ANALYSIS_TABLES} == {
        t: expected[t] for t in ANALYSIS_TABLES
    }


def test_failed_run_statement_binds_data_api_parameters(data_api: DataApi) -> None:
    for result in _bootstrap(data_api):
        assert result["Status"] == "FINISHED"
    data_api.run(
        sql_source.data_api_statement(sql_source.FAILED_RUN_SQL),
        Parameters=[
            {"name": "run_id", "value": "run-9"},
            {"name": "started_at", "value": "2026-11-01T06:00:00Z"},
            {"name": "full_refresh", "value": "null"},
            {"name": "error", "value": "Liberta.SqlFailed: it's {broken} \\ here"},
            {"name": "failed_step", "value": "load"},
        ],
    )
    assert data_api.rows(
        "SELECT run_id, status, started_at, full_refresh, error, failed_step FROM etl.load_log"
    ) == [
        [
            "run-9",
            "failed",
            "2026-11-01 06:00:00",
            None,
            "Liberta.SqlFailed: it's {broken} \\ here",
            "load",
        ]
    ]


def test_copy_json_auto_loads_objects_by_column_name(
    data_api: DataApi, localstack: LocalStackUnderTest
) -> None:
    s3 = localstack.client("s3")
    s3.create_bucket(Bucket="ls-json")
    s3.put_object(
        Bucket="ls-json",
        Key="summary.json",
        Body=b'{"run_id": "r1", "Rows": 3, "ok": true, "extra": {"a": 1}}\n{"run_id": "r2", "rows": null}',
    )
    localstack.client("iam").create_role(
        RoleName="liberta-json-role", AssumeRolePolicyDocument="{}"
    )
    data_api.run(
        "CREATE TABLE public.summary (run_id varchar(10), rows bigint, ok boolean, extra varchar(100))"
    )
    role = "arn:aws:iam::000000000000:role/liberta-json-role"
    data_api.run(
        f"COPY public.summary FROM 's3://ls-json/summary.json' IAM_ROLE '{role}' FORMAT AS JSON 'auto'"
    )
    assert data_api.rows("SELECT * FROM public.summary ORDER BY run_id") == [
        ["r1", None, True, '{"a":1}'],  # 'auto' is case-sensitive: "Rows" is not rows
        ["r2", None, None, None],
    ]
    data_api.run("DELETE FROM public.summary")
    data_api.run(
        f"COPY public.summary FROM 's3://ls-json/summary.json' IAM_ROLE '{role}' FORMAT AS JSON 'auto ignorecase'"
    )
    assert data_api.rows("SELECT run_id, rows FROM public.summary ORDER BY run_id") == [
        ["r1", 3],
        ["r2", None],
    ]
    missing_role = data_api.wait(
        data_api.execute(
            "COPY public.summary FROM 's3://ls-json/summary.json' IAM_ROLE 'arn:aws:iam::000000000000:role/nope' FORMAT AS JSON 'auto'"
        )
    )
    assert (
        missing_role["Status"] == "FAILED"
        and "not authorized to assume IAM Role" in missing_role["Error"]
    )


def test_copy_checks_the_manifest_entries(
    data_api: DataApi, localstack: LocalStackUnderTest, published_run: dict[str, Any], job_setup
) -> None:
    """content_length and mandatory are checked; Parquet also loads from a plain prefix."""
    import json

    s3 = localstack.client("s3")
    iam = localstack.client("iam")
    try:
        iam.get_role(RoleName=COPY_ROLE)
    except iam.exceptions.NoSuchEntityException:
        iam.create_role(RoleName=COPY_ROLE, AssumeRolePolicyDocument="{}")
    role = f"arn:aws:iam::000000000000:role/{COPY_ROLE}"
    for result in _bootstrap(data_api):
        assert result["Status"] == "FINISHED"
    table = published_run["manifest"]["tables"]["d_user"]
    bucket = job_setup.curated_bucket
    copy_key = table["copy_manifest"].removeprefix(f"s3://{bucket}/")
    document = json.loads(s3.get_object(Bucket=bucket, Key=copy_key)["Body"].read())

    def copy_with(entries: list[dict[str, Any]]) -> dict[str, Any]:
        s3.put_object(
            Bucket=bucket,
            Key="tampered/d_user.manifest",
            Body=json.dumps({"entries": entries}).encode(),
        )
        return data_api.wait(
            data_api.execute(
                f"COPY staging.d_user FROM 's3://{bucket}/tampered/d_user.manifest' IAM_ROLE '{role}' FORMAT AS PARQUET MANIFEST"
            )
        )

    first = document["entries"][0]
    wrong_length = {**first, "meta": {"content_length": first["meta"]["content_length"] + 1}}
    failed = copy_with([wrong_length])
    assert failed["Status"] == "FAILED" and "meta.content_length says" in failed["Error"]
    missing = {
        "url": f"s3://{bucket}/runs/none/part-0.parquet",
        "mandatory": True,
        "meta": {"content_length": 1},
    }
    failed = copy_with([missing])
    assert failed["Status"] == "FAILED" and "mandatory entry" in failed["Error"]
    optional = {**missing, "mandatory": False}
    assert copy_with([optional, *document["entries"]])["Status"] == "FINISHED"
    assert data_api.rows("SELECT count(*) FROM staging.d_user") == [[table["rows"]]]

    prefix = first["url"].rsplit("/", 1)[0]
    data_api.run("DELETE FROM staging.d_user")
    data_api.run(f"COPY staging.d_user FROM '{prefix}/' IAM_ROLE '{role}' FORMAT AS PARQUET")
    assert data_api.rows("SELECT count(*) FROM staging.d_user") == [[table["rows"]]]
    by_position = data_api.wait(
        data_api.execute(
            f"COPY staging.d_date FROM '{prefix}/' IAM_ROLE '{role}' FORMAT AS PARQUET"
        )
    )
    assert by_position["Status"] == "FAILED" and "map by position" in by_position["Error"]
