"""The run manifest (`docs/run-manifest.md`) and the per-table COPY manifests."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

from emr_jobs.config import JobConfig, format_timestamp
from emr_jobs.quality import ReadStats

FORMAT_VERSION = 1


def epoch_to_iso(seconds: int | None) -> str | None:
    if seconds is None:
        return None
    return format_timestamp(datetime.fromtimestamp(seconds, tz=UTC))


def copy_manifest(entries: list[dict]) -> bytes:
    """`{"entries": [...]}` for `COPY ... MANIFEST`."""
    return json.dumps({"entries": entries}, indent=2).encode("utf-8")


def build_manifest(
    *,
    config: JobConfig,
    created_at: datetime,
    partitions: list[str],
    stats: ReadStats,
    valid: int,
    duplicates: int,
    time_corrected: int,
    tables: dict[str, dict[str, Any]],
    files_read: int,
    stage_seconds: dict[str, float],
) -> dict[str, Any]:
    return {
        "format_version": FORMAT_VERSION,
        "run_id": config.run_id,
        "created_at": format_timestamp(created_at.replace(microsecond=0)),
        "window": {
            "since": format_timestamp(config.since) if config.since else None,
            "until": format_timestamp(config.until) if config.until else None,
            "full_refresh": config.full_refresh,
            "partitions": partitions,
        },
        "high_water_mark": epoch_to_iso(stats.high_water_epoch),
        "counts": {
            "read": stats.read,
            "valid": valid,
            "quarantined": stats.quarantined,
            "duplicates": duplicates,
            "time_corrected": time_corrected,
        },
        "quarantine": {
            "uri": config.quarantine_uri + "/",
            "by_reason": stats.by_reason,
            "worst_files": [
                {"file": f.file, "read": f.read, "quarantined": f.quarantined}
                for f in stats.worst_files()
            ],
        },
        "tables": tables,
        "source": {"files": files_read, "max_bad_share": config.max_bad_share},
        "stage_seconds": stage_seconds,
    }


def manifest_bytes(manifest: dict[str, Any]) -> bytes:
    return (json.dumps(manifest, indent=2) + "\n").encode("utf-8")
