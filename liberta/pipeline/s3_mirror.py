"""S3 lakes for local Spark: mirror the window's raw partitions down, publish the run back up.

Local Spark has no `s3a://` support without the hadoop-aws jar (not installable offline), so
the `localstack` profile runs the job on a local copy and publishes the result to the curated
bucket in the same layout EMR writes: Parquet and COPY manifests first, `manifest.json` last.
"""

from __future__ import annotations

import os
import re
from datetime import date
from pathlib import Path
from urllib.parse import urlparse

from emr_jobs.read import partition_overlaps
from liberta.pipeline.window import Window

_PARTITION = re.compile(r"^dt=(\d{4}-\d{2}-\d{2})/$")


def s3_client():
    import boto3

    return boto3.client("s3", endpoint_url=os.environ.get("AWS_ENDPOINT_URL") or None)


def split_s3_uri(uri: str) -> tuple[str, str]:
    parsed = urlparse(uri)
    if parsed.scheme != "s3" or not parsed.netloc:
        raise ValueError(f"not an s3://bucket/prefix URI: {uri}")
    return parsed.netloc, parsed.path.strip("/")


def _partition_prefixes(client, bucket: str, prefix: str) -> dict[date, str]:
    found: dict[date, str] = {}
    paginator = client.get_paginator("list_objects_v2")
    for page in paginator.paginate(
        Bucket=bucket, Prefix=f"{prefix}/" if prefix else "", Delimiter="/"
    ):
        for common in page.get("CommonPrefixes", []):
            name = common["Prefix"][len(prefix) + 1 if prefix else 0 :]
            match = _PARTITION.match(name)
            if match:
                found[date.fromisoformat(match.group(1))] = common["Prefix"]
    return found


def mirror_raw_window(raw_uri: str, local_root: Path, window: Window) -> int:
    """Download the partitions the window needs into `local_root/events/dt=.../`."""
    client = s3_client()
    bucket, prefix = split_s3_uri(raw_uri)
    partitions = _partition_prefixes(client, bucket, f"{prefix}/events".strip("/"))
    if not partitions:
        partitions = _partition_prefixes(client, bucket, prefix)
    downloaded = 0
    paginator = client.get_paginator("list_objects_v2")
    for day, partition_prefix in sorted(partitions.items()):
        if not (window.full_refresh or partition_overlaps(day, window.since, window.until)):
            continue
        target_dir = local_root / "events" / f"dt={day.isoformat()}"
        target_dir.mkdir(parents=True, exist_ok=True)
        for page in paginator.paginate(Bucket=bucket, Prefix=partition_prefix):
            for item in page.get("Contents", []):
                name = item["Key"][len(partition_prefix) :]
                if not name or "/" in name:
                    continue
                client.download_file(bucket, item["Key"], str(target_dir / name))
                downloaded += 1
    (local_root / "events").mkdir(parents=True, exist_ok=True)
    return downloaded


def publish_run(
    *,
    local_curated: Path,
    curated_uri: str,
    run_id: str,
    local_raw: Path,
    raw_uri: str,
) -> str:
    """Upload the run and its quarantine, manifest last; returns the S3 manifest URI.

    File URLs in the manifests are rewritten from the local copy to the bucket.
    """
    client = s3_client()
    bucket, prefix = split_s3_uri(curated_uri)
    local_prefix = local_curated.resolve().as_uri()
    raw_local_prefix = (local_raw / "events").resolve().as_uri()
    raw_target = f"{raw_uri.rstrip('/')}/events"

    def rewrite(text: str) -> str:
        return text.replace(local_prefix, curated_uri.rstrip("/")).replace(
            raw_local_prefix, raw_target
        )

    run_dir = local_curated / "runs" / run_id
    manifest = run_dir / "manifest.json"
    if not manifest.is_file():
        raise FileNotFoundError(f"the job published no manifest at {manifest}")
    uploads = [
        path
        for root in (run_dir, local_curated / "quarantine" / f"run_id={run_id}")
        if root.exists()
        for path in sorted(root.rglob("*"))
        if path.is_file() and path != manifest and not path.name.startswith(".")
    ]
    for path in uploads:
        key = "/".join(filter(None, (prefix, path.relative_to(local_curated).as_posix())))
        if path.suffix in (".manifest", ".json"):  # manifests and quarantine name files
            client.put_object(Bucket=bucket, Key=key, Body=rewrite(path.read_text()).encode())
        else:
            client.upload_file(str(path), bucket, key)
    manifest_key = "/".join(filter(None, (prefix, "runs", run_id, "manifest.json")))
    client.put_object(Bucket=bucket, Key=manifest_key, Body=rewrite(manifest.read_text()).encode())
    return f"s3://{bucket}/{manifest_key}"
