"""The `s3` profile: the local runner with raw and curated in S3 (a local endpoint), Postgres."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from pathlib import Path

import boto3
import pytest

from liberta.config import s3_profile
from liberta.generator import GeneratorConfig, generate
from liberta.pipeline.progress import SilentProgress
from liberta.pipeline.runner import Pipeline, RunRequest
from tests.e2e.reference import compute
from tests.e2e.test_pipeline_end_to_end import expected_figures, warehouse_figures

pytestmark = pytest.mark.slow


def download_tree(client, bucket: str, prefix: str, target: Path) -> None:
    for page in client.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix):
        for item in page.get("Contents", []):
            path = target / item["Key"][len(prefix) :].lstrip("/")
            path.parent.mkdir(parents=True, exist_ok=True)
            client.download_file(bucket, item["Key"], str(path))


def test_runs_from_s3_and_publishes_the_run_to_s3(
    tmp_path: Path, s3_endpoint: str, warehouse_url: str, spark, monkeypatch
) -> None:
    monkeypatch.setenv("LIBERTA_BUCKET", "lake")
    client = boto3.client("s3", endpoint_url=s3_endpoint)
    client.create_bucket(Bucket="lake")
    generate(
        GeneratorConfig(
            events=3_000,
            start_date=date(2026, 10, 1),
            days=4,
            players=80,
            seed=5,
            out="s3://lake/raw",
            compression="gz",
            files_per_day=2,
            duplicate_rate=0.02,
            corrupt_rate=0.02,
        )
    )
    profile = s3_profile(tmp_path)
    assert profile.raw_uri == "s3://lake/raw" and profile.curated_uri == "s3://lake/curated"
    now = datetime(2026, 10, 10, tzinfo=UTC)
    pipeline = Pipeline(
        profile=profile,
        db_url=warehouse_url,
        spark_factory=lambda: spark,
        progress=SilentProgress(),
        clock=lambda: now,
    )
    report = pipeline.run(RunRequest())

    assert report.manifest_uri == f"s3://lake/curated/runs/{report.run_id}/manifest.json"
    manifest = json.loads(
        client.get_object(Bucket="lake", Key=f"curated/runs/{report.run_id}/manifest.json")[
            "Body"
        ].read()
    )
    for table in manifest["tables"].values():
        for entry in table["entries"]:
            assert entry["url"].startswith(f"s3://lake/curated/runs/{report.run_id}/")
            key = entry["url"].removeprefix("s3://lake/")
            assert (
                client.head_object(Bucket="lake", Key=key)["ContentLength"]
                == (entry["meta"]["content_length"])
            )
    assert not (tmp_path / "scratch" / "mirror" / report.run_id).exists()

    raw_copy = tmp_path / "raw-copy"
    download_tree(client, "lake", "raw/events/", raw_copy)
    assert warehouse_figures(warehouse_url) == expected_figures(compute(raw_copy))
