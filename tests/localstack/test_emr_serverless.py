"""The emr-serverless provider: the real job package, run by local Spark, from LocalStack S3."""

from __future__ import annotations

import gzip
import time

import pytest
from botocore.exceptions import ClientError

from tests.localstack.conftest import JobSetup, LocalStackUnderTest, start_job, wait_job

pytestmark = pytest.mark.slow


def test_job_run_goes_through_states_and_publishes_the_run(
    localstack: LocalStackUnderTest, job_setup: JobSetup, published_run: dict
) -> None:
    states = published_run["states"]
    assert states[-1] == "SUCCESS"
    order = ["SUBMITTED", "PENDING", "SCHEDULED", "RUNNING", "SUCCESS"]
    assert [order.index(s) for s in states] == sorted(order.index(s) for s in states)
    assert "RUNNING" in states
    manifest = published_run["manifest"]
    assert manifest["run_id"] == "ls-run-1" and manifest["window"]["full_refresh"] is True
    s3 = localstack.client("s3")
    for table in manifest["tables"].values():
        for entry in table["entries"]:
            assert entry["url"].startswith(f"s3://{job_setup.curated_bucket}/runs/ls-run-1/")
        copy_key = table["copy_manifest"].removeprefix(f"s3://{job_setup.curated_bucket}/")
        assert s3.head_object(Bucket=job_setup.curated_bucket, Key=copy_key)["ContentLength"] > 0
    run = published_run["run"]
    assert run["stateDetails"] == "" and run["totalExecutionDurationSeconds"] >= 0
    logs = s3.list_objects_v2(
        Bucket="ls-logs",
        Prefix=f"emr/applications/{job_setup.application_id}/jobs/{published_run['job_run_id']}/SPARK_DRIVER/",
    )
    names = sorted(item["Key"].rsplit("/", 1)[-1] for item in logs.get("Contents", []))
    assert names == ["stderr.gz", "stdout.gz"]
    stderr = gzip.decompress(
        s3.get_object(
            Bucket="ls-logs",
            Key=next(i["Key"] for i in logs["Contents"] if i["Key"].endswith("stderr.gz")),
        )["Body"].read()
    ).decode()
    assert "published run ls-run-1" in stderr
    # The uploaded package's code ran, not the emr_jobs installed in Liberta's venv.
    assert "job code: " in stderr and "emr_jobs.zip/emr_jobs/config.py" in stderr


def test_bad_data_run_fails_with_exit_code_in_state_details(
    localstack: LocalStackUnderTest, job_setup: JobSetup, published_run: dict
) -> None:
    # --max-bad-share 0: any quarantined record exceeds the gate; the job exits 3.
    job_run_id = start_job(
        localstack, job_setup, "ls-bad-1", "--full-refresh", "--max-bad-share", "0"
    )
    run, _states = wait_job(localstack, job_setup, job_run_id)
    assert run["state"] == "FAILED"
    assert "ExitCode: 3" in run["stateDetails"]
    assert "bad" in run["stateDetails"].lower()
    s3 = localstack.client("s3")
    assert "Contents" not in s3.list_objects_v2(
        Bucket=job_setup.curated_bucket, Prefix="runs/ls-bad-1/"
    )


def test_cancel_kills_the_run(
    localstack: LocalStackUnderTest, job_setup: JobSetup, published_run: dict
) -> None:
    client = localstack.client("emr-serverless")
    job_run_id = start_job(localstack, job_setup, "ls-cancel-1", "--full-refresh")
    deadline = time.monotonic() + 60
    while (
        client.get_job_run(applicationId=job_setup.application_id, jobRunId=job_run_id)["jobRun"][
            "state"
        ]
        != "RUNNING"
    ):
        assert time.monotonic() < deadline
        time.sleep(0.1)
    client.cancel_job_run(applicationId=job_setup.application_id, jobRunId=job_run_id)
    run, _ = wait_job(localstack, job_setup, job_run_id, timeout=60)
    assert run["state"] == "CANCELLED"
    listed = client.list_job_runs(applicationId=job_setup.application_id, states=["CANCELLED"])[
        "jobRuns"
    ]
    assert job_run_id in [r["id"] for r in listed]


def test_start_job_run_validates_application_role_and_token(
    localstack: LocalStackUnderTest, job_setup: JobSetup
) -> None:
    client = localstack.client("emr-serverless")
    with pytest.raises(ClientError) as info:
        start_job(
            localstack, JobSetup(**{**job_setup.__dict__, "application_id": "00nosuchapp0000"}), "x"
        )
    assert info.value.response["Error"]["Code"] == "ResourceNotFoundException"
    with pytest.raises(ClientError) as info:
        start_job(
            localstack,
            JobSetup(
                **{**job_setup.__dict__, "role_arn": "arn:aws:iam::000000000000:role/missing"}
            ),
            "x",
        )
    assert info.value.response["Error"]["Code"] == "ValidationException"
    assert "does not exist" in info.value.response["Error"]["Message"]
    first = start_job(localstack, job_setup, "ls-token-1", clientToken="same-token")
    second = start_job(localstack, job_setup, "ls-token-1", clientToken="same-token")
    assert first == second
    client.cancel_job_run(applicationId=job_setup.application_id, jobRunId=first)
    wait_job(localstack, job_setup, first, timeout=60)
    app = client.get_application(applicationId=job_setup.application_id)["application"]
    assert app["state"] == "STARTED"  # auto-started by the first job run
