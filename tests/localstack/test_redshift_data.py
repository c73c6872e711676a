"""The redshift-data provider: lifecycle, batches, parameters, typed results, cancel, errors."""

from __future__ import annotations

import threading
import time

import psycopg
import pytest
from botocore.exceptions import ClientError

from tests.localstack.conftest import DataApi, LocalStackUnderTest

pytestmark = pytest.mark.slow


def test_statement_runs_asynchronously_through_redshift_states(data_api: DataApi) -> None:
    statement_id = data_api.execute("SELECT pg_sleep(0.6), 1 AS one")
    seen = []
    while True:
        status = data_api.client.describe_statement(Id=statement_id)["Status"]
        if not seen or seen[-1] != status:
            seen.append(status)
        if status in ("FINISHED", "FAILED", "ABORTED"):
            break
        time.sleep(0.02)
    assert seen[-1] == "FINISHED"
    assert "STARTED" in seen and set(seen) <= {"SUBMITTED", "PICKED", "STARTED", "FINISHED"}
    described = data_api.client.describe_statement(Id=statement_id)
    assert described["HasResultSet"] is True and described["ResultRows"] == 1
    assert described["Duration"] >= 500_000_000  # nanoseconds, like Redshift
    assert described["RedshiftPid"] > 0
    assert described["QueryString"] == "SELECT pg_sleep(0.6), 1 AS one"
    assert described["UpdatedAt"] >= described["CreatedAt"]


def test_batch_is_one_transaction_all_or_nothing(data_api: DataApi) -> None:
    data_api.run("CREATE TABLE public.items (id int PRIMARY KEY, name varchar(20)) DISTSTYLE ALL")
    described = data_api.wait(
        data_api.batch(
            [
                "INSERT INTO public.items VALUES (1, 'a')",
                "INSERT INTO public.items VALUES (1, 'duplicate key')",
                "INSERT INTO public.items VALUES (3, 'c')",
            ]
        )
    )
    assert described["Status"] == "FAILED"
    assert described["Error"].startswith("ERROR: duplicate key value violates unique constraint")
    subs = described["SubStatements"]
    assert [s["Id"] for s in subs] == [f"{described['Id']}:{n}" for n in (1, 2, 3)]
    assert [s["Status"] for s in subs] == ["FINISHED", "FAILED", "ABORTED"]
    assert data_api.rows("SELECT count(*) FROM public.items") == [[0]]

    ok = data_api.wait(
        data_api.batch(
            ["INSERT INTO public.items VALUES (1, 'a')", "SELECT id, name FROM public.items"]
        )
    )
    assert ok["Status"] == "FINISHED"
    assert [s["Status"] for s in ok["SubStatements"]] == ["FINISHED", "FINISHED"]
    result = data_api.client.get_statement_result(Id=f"{ok['Id']}:2")
    assert result["Records"] == [[{"longValue": 1}, {"stringValue": "a"}]]
    with pytest.raises(ClientError, match="ValidationException"):
        data_api.client.get_statement_result(Id=ok["Id"])  # a batch id has no result itself


def test_parameters_bind_as_untyped_literals_with_quotes(data_api: DataApi) -> None:
    data_api.run(
        "CREATE TABLE public.log (run_id varchar(64), started_at timestamp, ok boolean, n bigint)"
    )
    data_api.run(
        "INSERT INTO public.log VALUES (:run_id, CAST(:started AS timestamp), :ok, :n)",
        Parameters=[
            {"name": "run_id", "value": "it's a 'quoted' run; DROP TABLE x; --"},
            {"name": "started", "value": "2026-11-01 06:00:00"},
            {"name": "ok", "value": "true"},
            {"name": "n", "value": "42"},
        ],
    )
    assert data_api.rows(
        "SELECT run_id, started_at, ok, n, 'a:b' AS literal, 1::int AS cast FROM public.log"
    ) == [["it's a 'quoted' run; DROP TABLE x; --", "2026-11-01 06:00:00", True, 42, "a:b", 1]]
    missing = data_api.wait(
        data_api.execute("SELECT :nope", Parameters=[{"name": "other", "value": "1"}])
    )
    assert missing["Status"] == "FAILED" and ":nope" in missing["Error"]


def test_typed_fields_and_column_metadata(data_api: DataApi) -> None:
    statement_id = data_api.execute(
        "SELECT 1::smallint AS s, 2::int AS i, 3::bigint AS b, 1.25::real AS r, 2.5::float8 AS d, "
        "12.5::numeric(18,6) AS money, 'x'::varchar(10) AS v, 'y'::char(3) AS c, true AS flag, "
        "DATE '2026-11-01' AS day, TIMESTAMP '2026-11-01 06:00:00' AS ts, NULL::int AS missing"
    )
    assert data_api.wait(statement_id)["Status"] == "FINISHED"
    result = data_api.client.get_statement_result(Id=statement_id)
    assert result["TotalNumRows"] == 1
    assert result["Records"][0] == [
        {"longValue": 1},
        {"longValue": 2},
        {"longValue": 3},
        {"doubleValue": 1.25},
        {"doubleValue": 2.5},
        {"stringValue": "12.500000"},
        {"stringValue": "x"},
        {"stringValue": "y  "},
        {"booleanValue": True},
        {"stringValue": "2026-11-01"},
        {"stringValue": "2026-11-01 06:00:00"},
        {"isNull": True},
    ]
    types = [(m["name"], m["typeName"]) for m in result["ColumnMetadata"]]
    assert types == [
        ("s", "int2"), ("i", "int4"), ("b", "int8"), ("r", "float4"), ("d", "float8"),
        ("money", "numeric"), ("v", "varchar"), ("c", "bpchar"), ("flag", "bool"),
        ("day", "date"), ("ts", "timestamp"), ("missing", "int4"),
    ]  # fmt: skip
    money = result["ColumnMetadata"][5]
    assert (money["precision"], money["scale"], money["isSigned"]) == (18, 6, True)


def test_results_are_paginated(data_api: DataApi) -> None:
    statement_id = data_api.execute("SELECT g FROM generate_series(1, 2500) AS g")
    data_api.wait(statement_id)
    first = data_api.client.get_statement_result(Id=statement_id)
    assert first["TotalNumRows"] == 2500 and len(first["Records"]) == 1000 and first["NextToken"]
    assert len(data_api.rows("SELECT g FROM generate_series(1, 2500) AS g")) == 2500


def test_cancel_aborts_the_running_backend_and_commits_nothing(
    data_api: DataApi, localstack: LocalStackUnderTest
) -> None:
    data_api.run("CREATE TABLE public.c (a int)")
    statement_id = data_api.batch(["INSERT INTO public.c VALUES (1)", "SELECT pg_sleep(30)"])
    deadline = time.monotonic() + 10
    while (
        data_api.client.describe_statement(Id=statement_id)["SubStatements"][1]["Status"]
        != "STARTED"
    ):
        assert time.monotonic() < deadline
        time.sleep(0.05)
    started = time.monotonic()
    assert data_api.client.cancel_statement(Id=statement_id)["Status"] is True
    described = data_api.wait(statement_id, timeout=10)
    assert time.monotonic() - started < 5
    assert described["Status"] == "ABORTED"
    assert data_api.rows("SELECT count(*) FROM public.c") == [[0]]
    with psycopg.connect(localstack.db_url("postgres")) as conn:
        active = conn.execute(
            "SELECT count(*) FROM pg_stat_activity WHERE query LIKE '%pg_sleep(30)%' AND pid <> pg_backend_pid()"
        ).fetchone()[0]
    assert active == 0
    with pytest.raises(ClientError, match="already in ABORTED state"):
        data_api.client.cancel_statement(Id=statement_id)


def test_client_token_returns_the_same_statement_and_runs_it_once(data_api: DataApi) -> None:
    data_api.run("CREATE TABLE public.t (a int)")
    first = data_api.execute("INSERT INTO public.t VALUES (1)", ClientToken="token-0001")
    second = data_api.execute("INSERT INTO public.t VALUES (1)", ClientToken="token-0001")
    assert first == second
    data_api.wait(first)
    assert data_api.rows("SELECT count(*) FROM public.t") == [[1]]


def test_errors_are_shaped_like_redshift(data_api: DataApi) -> None:
    client = data_api.client
    with pytest.raises(ClientError) as info:
        client.describe_statement(Id="00000000-0000-0000-0000-000000000000")
    assert info.value.response["Error"]["Code"] == "ResourceNotFoundException"
    with pytest.raises(ClientError) as info:
        client.execute_statement(
            Database=data_api.database, Sql="SELECT 1", WorkgroupName="wg1", ClusterIdentifier="c1"
        )
    assert info.value.response["Error"]["Code"] == "ValidationException"
    with pytest.raises(ClientError) as info:
        client.batch_execute_statement(
            WorkgroupName="wg1", Database=data_api.database, Sqls=["SELECT 1"] * 41
        )
    assert info.value.response["Error"]["Code"] == "ValidationException"
    failed = data_api.wait(data_api.execute("SELECT * FROM no_such_table"))
    assert failed["Status"] == "FAILED"
    assert failed["Error"] == 'ERROR: relation "no_such_table" does not exist'
    with pytest.raises(ClientError) as info:
        client.get_statement_result(Id=failed["Id"])
    assert info.value.response["Error"]["Code"] == "ResourceNotFoundException"


def test_active_statements_are_limited(data_api: DataApi, localstack: LocalStackUnderTest) -> None:
    # The quota is LIBERTA_LS_MAX_ACTIVE_STATEMENTS (20 in these tests; 200 by default).
    ids: list[str] = []
    errors: list[str] = []
    lock = threading.Lock()

    def submit() -> None:
        try:
            statement_id = data_api.execute("SELECT pg_sleep(3)")
            with lock:
                ids.append(statement_id)
        except ClientError as exc:
            with lock:
                errors.append(exc.response["Error"]["Code"])

    threads = [threading.Thread(target=submit) for _ in range(30)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors and set(errors) == {"ActiveStatementsExceededException"}
    for statement_id in ids:
        data_api.wait(statement_id, timeout=120)


def test_list_statements_filters_by_name_prefix_and_status(data_api: DataApi) -> None:
    data_api.run("SELECT 1", StatementName="liberta-dev-watermark-run1")
    data_api.wait(data_api.execute("SELECT nope", StatementName="liberta-dev-load-run1"))
    listed = data_api.client.list_statements(StatementName="liberta-dev-", Status="FAILED")[
        "Statements"
    ]
    assert [s["StatementName"] for s in listed] == ["liberta-dev-load-run1"]
    names = {
        s["StatementName"]
        for s in data_api.client.list_statements(StatementName="liberta-dev-")["Statements"]
    }
    assert {"liberta-dev-watermark-run1", "liberta-dev-load-run1"} <= names


def test_secret_arn_connects_as_the_secrets_username(
    data_api: DataApi, localstack: LocalStackUnderTest
) -> None:
    with psycopg.connect(localstack.db_url("postgres"), autocommit=True) as conn:
        conn.execute("DROP ROLE IF EXISTS liberta_secret_user")
        conn.execute("CREATE ROLE liberta_secret_user LOGIN")
    secret = localstack.client("secretsmanager").create_secret(
        Name="liberta-test-admin",
        SecretString='{"username": "liberta_secret_user", "password": "unused"}',
    )["ARN"]
    assert data_api.rows("SELECT current_user", SecretArn=secret) == [["liberta_secret_user"]]
    assert data_api.rows("SELECT current_user") == [["postgres"]]  # root credentials: fallback


def test_iam_role_maps_to_iamr_user_with_tagged_roles(
    data_api: DataApi, localstack: LocalStackUnderTest
) -> None:
    with psycopg.connect(localstack.db_url("postgres"), autocommit=True) as conn:
        conn.execute("DROP ROLE IF EXISTS liberta_readers")
        conn.execute("CREATE ROLE liberta_readers")
    iam = localstack.client("iam")
    role_arn = iam.create_role(
        RoleName="liberta-analyst",
        AssumeRolePolicyDocument='{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"*"},"Action":"sts:AssumeRole"}]}',
        Tags=[{"Key": "RedshiftDbRoles", "Value": "liberta_readers:no_such_role"}],
    )["Role"]["Arn"]
    creds = localstack.client("sts").assume_role(RoleArn=role_arn, RoleSessionName="test")[
        "Credentials"
    ]
    import boto3

    assumed = boto3.client(
        "redshift-data",
        endpoint_url=localstack.endpoint,
        region_name="us-east-1",
        aws_access_key_id=creds["AccessKeyId"],
        aws_secret_access_key=creds["SecretAccessKey"],
        aws_session_token=creds["SessionToken"],
    )
    api = DataApi(assumed, data_api.database)
    assert api.rows(
        "SELECT current_user, pg_has_role(current_user, 'liberta_readers', 'MEMBER')"
    ) == [["IAMR:liberta-analyst", True]]
