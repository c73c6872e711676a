"""Where things live in the lake: raw partitions, and a run's files in the curated bucket.

    <raw>/events/dt=YYYY-MM-DD/*.json[.gz|.bz2|.lzo]      raw events, by arrival day (UTC)
    <curated>/runs/<run_id>/<table>/part-*.parquet         one directory per table
    <curated>/runs/<run_id>/copy/<table>.manifest          Redshift COPY manifests
    <curated>/runs/<run_id>/load/summary.json              what the load SQL reads
    <curated>/runs/<run_id>/manifest.json                  written last: the run is complete
    <curated>/quarantine/run_id=<run_id>/part-*.json       rejected records
    <curated>/_staging/run_id=<run_id>/                    the job's scratch space

`<raw>` and `<curated>` are URIs (`s3://bucket`, `s3://bucket/prefix`, `file:///dir`). The
prefixes are also what the infrastructure scopes permissions and lifecycle rules to.
"""

from __future__ import annotations

# Key prefixes, relative to the bucket (or directory) root.
RAW_EVENTS_PREFIX = "events/"
RUNS_PREFIX = "runs/"
QUARANTINE_PREFIX = "quarantine/"
STAGING_PREFIX = "_staging/"
MANIFEST_NAME = "manifest.json"
COPY_DIR = "copy"
LOAD_SUMMARY_NAME = "load/summary.json"
PARTITION_PREFIX = "dt="


def _root(uri: str) -> str:
    return uri.rstrip("/")


def run_key(run_id: str) -> str:
    """`runs/<run_id>`: the run's prefix relative to the curated root."""
    return f"{RUNS_PREFIX}{run_id}"


def run_uri(curated: str, run_id: str) -> str:
    return f"{_root(curated)}/{run_key(run_id)}"


def manifest_key(run_id: str) -> str:
    return f"{run_key(run_id)}/{MANIFEST_NAME}"


def manifest_uri(curated: str, run_id: str) -> str:
    return f"{_root(curated)}/{manifest_key(run_id)}"


def table_uri(curated: str, run_id: str, table: str) -> str:
    return f"{run_uri(curated, run_id)}/{table}"


def copy_prefix_key(run_id: str) -> str:
    """`runs/<run_id>/copy`: the directory of the run's COPY manifests."""
    return f"{run_key(run_id)}/{COPY_DIR}"


def copy_manifest_uri(curated: str, run_id: str, table: str) -> str:
    return f"{_root(curated)}/{copy_prefix_key(run_id)}/{table}.manifest"


def load_summary_key(run_id: str) -> str:
    return f"{run_key(run_id)}/{LOAD_SUMMARY_NAME}"


def load_summary_uri(curated: str, run_id: str) -> str:
    return f"{_root(curated)}/{load_summary_key(run_id)}"


def quarantine_key(run_id: str) -> str:
    return f"{QUARANTINE_PREFIX}run_id={run_id}"


def quarantine_uri(curated: str, run_id: str) -> str:
    return f"{_root(curated)}/{quarantine_key(run_id)}"


def staging_uri(curated: str, run_id: str, staging: str | None = None) -> str:
    base = _root(staging) if staging else f"{_root(curated)}/{STAGING_PREFIX.rstrip('/')}"
    return f"{base}/run_id={run_id}"


def partition_name(day: str) -> str:
    """`dt=YYYY-MM-DD` for an ISO date."""
    return f"{PARTITION_PREFIX}{day}"
