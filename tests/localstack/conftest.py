"""LocalStack with Liberta's extension, started ONCE per test session by the project's own code.

It runs against the session Postgres of tests/conftest.py. The LocalStack venv is built (cold,
~1 min) by `liberta.localstack.venv.ensure_venv` into the checkout's
`.liberta/localstack/venvs` when missing, and reused afterwards. LocalStack's port is free
(`LIBERTA_LOCALSTACK_TEST_PORT` picks one), never 4566, so a developer's own LocalStack can
keep running.
"""

from __future__ import annotations

import itertools
import os
import shutil
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import boto3
import psycopg
import pytest

from liberta.localstack import runtime
from liberta.localstack.venv import project_localstack_dir, venvs_root
from liberta.warehouse.server import LocalPostgres, free_port

REGION = "us-east-1"
_names = itertools.count()


@dataclass(frozen=True)
class LocalStackUnderTest:
    endpoint: str
    config: runtime.LocalStackConfig
    home: Path
    pg: LocalPostgres
    start_seconds: float
    venv_build_seconds: float

    def client(self, service: str) -> Any:
        return boto3.client(
            service,
            endpoint_url=self.endpoint,
            region_name=REGION,
            aws_access_key_id="test",
            aws_secret_access_key="test",
        )

    def db_url(self, database: str, user: str = "postgres") -> str:
        return f"postgresql://{user}@127.0.0.1:{self.pg.config.port}/{database}"


@pytest.fixture(scope="session")
def localstack(pg_server: LocalPostgres) -> Iterator[LocalStackUnderTest]:
    # A LIBERTA_HOME of its own: the CLI tests find this LocalStack's pid file through it.
    home = Path(tempfile.mkdtemp(prefix="liberta-localstack-test-"))
    state = home / "localstack"
    port = int(os.environ.get("LIBERTA_LOCALSTACK_TEST_PORT") or free_port())
    config = runtime.LocalStackConfig(
        state_dir=state,
        db_url=f"postgresql://postgres@127.0.0.1:{pg_server.config.port}/postgres",
        port=port,
        venvs_root=venvs_root(),
        spark_python=sys.executable,
        spark_driver_memory="2g",
        start_timeout_s=180,
        # A small quota, so the quota test needs few connections (Postgres allows 100).
        extra_env={"LIBERTA_LS_MAX_ACTIVE_STATEMENTS": "20"},
    )
    assert project_localstack_dir().is_dir()
    result = runtime.start(config)
    build = result.venv.build_seconds if result.venv and result.venv.built_now else 0.0
    print(
        f"\n[localstack] venv {f'built in {build:.0f}s' if build else 'reused'}; "
        f"started in {result.seconds:.1f}s on {result.endpoint}"
    )
    try:
        yield LocalStackUnderTest(result.endpoint, config, home, pg_server, result.seconds, build)
    finally:
        runtime.stop(config)
        shutil.rmtree(home, ignore_errors=True)


@pytest.fixture(scope="session")
def aws_env(localstack: LocalStackUnderTest) -> Iterator[None]:
    """boto3 in this process (generator, loader, s3_mirror) reaches LocalStack."""
    saved = {
        k: os.environ.get(k)
        for k in (
            "AWS_ENDPOINT_URL",
            "AWS_ACCESS_KEY_ID",
            "AWS_SECRET_ACCESS_KEY",
            "AWS_DEFAULT_REGION",
            "AWS_PROFILE",
            "AWS_SESSION_TOKEN",
        )
    }
    os.environ.update(
        AWS_ENDPOINT_URL=localstack.endpoint,
        AWS_ACCESS_KEY_ID="test",
        AWS_SECRET_ACCESS_KEY="test",
        AWS_DEFAULT_REGION=REGION,
    )
    os.environ.pop("AWS_PROFILE", None)
    os.environ.pop("AWS_SESSION_TOKEN", None)
    try:
        yield
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value


def new_database(localstack: LocalStackUnderTest, prefix: str = "ls") -> str:
    name = f"{prefix}_{next(_names)}_{os.getpid()}"
    with psycopg.connect(localstack.db_url("postgres"), autocommit=True) as conn:
        conn.execute(f"CREATE DATABASE {name}")
    return name


@pytest.fixture
def database(localstack: LocalStackUnderTest) -> Iterator[str]:
    name = new_database(localstack)
    yield name
    with psycopg.connect(localstack.db_url("postgres"), autocommit=True) as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


class DataApi:
    """A thin helper around the redshift-data client: run, wait, fetch."""

    def __init__(self, client: Any, database: str, workgroup: str = "liberta-test") -> None:
        self.client = client
        self.database = database
        self.workgroup = workgroup

    def execute(self, sql: str, **kwargs: Any) -> str:
        return self.client.execute_statement(
            WorkgroupName=self.workgroup, Database=self.database, Sql=sql, **kwargs
        )["Id"]

    def batch(self, sqls: list[str], **kwargs: Any) -> str:
        return self.client.batch_execute_statement(
            WorkgroupName=self.workgroup, Database=self.database, Sqls=sqls, **kwargs
        )["Id"]

    def wait(self, statement_id: str, timeout: float = 120) -> dict[str, Any]:
        deadline = time.monotonic() + timeout
        while True:
            described = self.client.describe_statement(Id=statement_id)
            if described["Status"] in ("FINISHED", "FAILED", "ABORTED"):
                return described
            if time.monotonic() > deadline:
                raise TimeoutError(f"statement {statement_id} still {described['Status']}")
            time.sleep(0.05)

    def run(self, sql: str, **kwargs: Any) -> dict[str, Any]:
        described = self.wait(self.execute(sql, **kwargs))
        assert described["Status"] == "FINISHED", described.get("Error")
        return described

    def rows(self, sql: str, **kwargs: Any) -> list[list[Any]]:
        statement_id = self.execute(sql, **kwargs)
        described = self.wait(statement_id)
        assert described["Status"] == "FINISHED", described.get("Error")
        records: list[list[Any]] = []
        token = None
        while True:
            page = self.client.get_statement_result(
                Id=statement_id, **({"NextToken": token} if token else {})
            )
            records += page["Records"]
            token = page.get("NextToken")
            if not token:
                return [[_plain(field) for field in row] for row in records]


def _plain(field: dict[str, Any]) -> Any:
    if field.get("isNull"):
        return None
    (value,) = field.values()
    return value


@pytest.fixture
def data_api(localstack: LocalStackUnderTest, database: str) -> DataApi:
    return DataApi(localstack.client("redshift-data"), database)


# -- a real run of the Spark job, shared by the warehouse and EMR Serverless tests -----------


@dataclass(frozen=True)
class JobSetup:
    application_id: str
    role_arn: str
    entry_point: str
    py_files: str
    raw_uri: str
    curated_bucket: str
    logs_uri: str


@pytest.fixture(scope="session")
def job_setup(
    localstack: LocalStackUnderTest, aws_env: None, tmp_path_factory: pytest.TempPathFactory
) -> JobSetup:
    """Buckets, the job package (emr_jobs.packaging.build) uploaded, a role, an application,
    and a tiny generated raw dataset."""
    from emr_jobs.packaging import ENTRY_SCRIPT_NAME, PY_FILES_NAME, build
    from liberta.generator import GeneratorConfig, generate

    s3 = localstack.client("s3")
    for bucket in ("ls-raw", "ls-curated", "ls-code", "ls-logs"):
        s3.create_bucket(Bucket=bucket)
    package = build(tmp_path_factory.mktemp("emr-package"))
    for path in package.files:
        s3.upload_file(str(path), "ls-code", f"jobs/{package.sha256[:12]}/{path.name}")
    prefix = f"s3://ls-code/jobs/{package.sha256[:12]}"
    iam = localstack.client("iam")
    role = iam.create_role(
        RoleName="liberta-test-job-role",
        AssumeRolePolicyDocument='{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"emr-serverless.amazonaws.com"},"Action":"sts:AssumeRole"}]}',
    )["Role"]["Arn"]
    app = localstack.client("emr-serverless").create_application(
        name="liberta-test", releaseLabel="emr-7.12.0", type="SPARK"
    )
    generate(
        GeneratorConfig(
            events=1_500,
            start_date=date(2026, 10, 1),
            days=3,
            players=40,
            seed=11,
            out="s3://ls-raw/raw",
            compression="gz",
            files_per_day=1,
            duplicate_rate=0.02,
            corrupt_rate=0.01,
        )
    )
    return JobSetup(
        application_id=app["applicationId"],
        role_arn=role,
        entry_point=f"{prefix}/{ENTRY_SCRIPT_NAME}",
        py_files=f"{prefix}/{PY_FILES_NAME}",
        raw_uri="s3://ls-raw/raw",
        curated_bucket="ls-curated",
        logs_uri="s3://ls-logs/emr/",
    )


def start_job(
    localstack: LocalStackUnderTest, setup: JobSetup, run_id: str, *extra: str, **kwargs: Any
) -> str:
    from emr_jobs.packaging import spark_submit_args

    submit = spark_submit_args(setup.entry_point.rsplit("/", 1)[0], target="serverless")
    return localstack.client("emr-serverless").start_job_run(
        applicationId=setup.application_id,
        executionRoleArn=setup.role_arn,
        name=f"liberta-job-{run_id}",
        jobDriver={
            "sparkSubmit": {
                "entryPoint": submit[-1],
                "entryPointArguments": [
                    "--raw",
                    setup.raw_uri,
                    "--curated",
                    f"s3://{setup.curated_bucket}",
                    "--run-id",
                    run_id,
                    *extra,
                ],
                "sparkSubmitParameters": " ".join(submit[:-1]),
            }
        },
        configurationOverrides={
            "monitoringConfiguration": {"s3MonitoringConfiguration": {"logUri": setup.logs_uri}}
        },
        **kwargs,
    )["jobRunId"]


def wait_job(
    localstack: LocalStackUnderTest, setup: JobSetup, job_run_id: str, timeout: float = 300
) -> tuple[dict[str, Any], list[str]]:
    client = localstack.client("emr-serverless")
    seen: list[str] = []
    deadline = time.monotonic() + timeout
    while True:
        run = client.get_job_run(applicationId=setup.application_id, jobRunId=job_run_id)["jobRun"]
        if not seen or seen[-1] != run["state"]:
            seen.append(run["state"])
        if run["state"] in ("SUCCESS", "FAILED", "CANCELLED"):
            return run, seen
        if time.monotonic() > deadline:
            raise TimeoutError(f"job run {job_run_id} still {run['state']}")
        time.sleep(0.2)


@pytest.fixture(scope="session")
def published_run(localstack: LocalStackUnderTest, job_setup: JobSetup) -> dict[str, Any]:
    """One full-refresh run of the real job package, through EMR Serverless StartJobRun."""
    import json

    job_run_id = start_job(localstack, job_setup, "ls-run-1", "--full-refresh")
    run, states = wait_job(localstack, job_setup, job_run_id)
    assert run["state"] == "SUCCESS", run.get("stateDetails")
    body = (
        localstack.client("s3")
        .get_object(Bucket=job_setup.curated_bucket, Key="runs/ls-run-1/manifest.json")["Body"]
        .read()
    )
    return {"job_run_id": job_run_id, "states": states, "manifest": json.loads(body), "run": run}
