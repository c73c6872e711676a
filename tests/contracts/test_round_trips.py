"""Round trips of the shared contracts: the run manifest and the Spark job's command line."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest

from emr_jobs.config import parse_args
from liberta_core import layout
from liberta_core.job_args import JobArguments, RuntimeValue
from liberta_core.manifest import (
    Counts,
    FileEntry,
    ManifestError,
    QuarantineSummary,
    RunManifest,
    RunWindow,
    TableOutput,
    WorstFile,
    copy_manifest_bytes,
)
from liberta_core.tables import TABLE_NAMES

CURATED = "s3://curated-bucket"


def manifest(**changes: object) -> RunManifest:
    fields: dict[str, object] = {
        "run_id": "run-7",
        "created_at": datetime(2026, 12, 1, 9, 31, 12, tzinfo=UTC),
        "window": RunWindow(
            since=datetime(2026, 11, 28, tzinfo=UTC),
            until=datetime(2026, 12, 1, 9, 30, tzinfo=UTC),
            full_refresh=False,
            partitions=("2026-11-28", "2026-11-29"),
        ),
        "high_water_mark": datetime(2026, 12, 1, 9, 12, 44, tzinfo=UTC),
        "counts": Counts(read=10, valid=7, quarantined=2, duplicates=1, time_corrected=3),
        "quarantine": QuarantineSummary(
            uri=layout.quarantine_uri(CURATED, "run-7") + "/",
            by_reason={"invalid_json": 2},
            worst_files=(
                WorstFile(file="s3://raw/events/dt=2026-11-28/a.json", read=10, quarantined=2),
            ),
        ),
        "tables": {
            name: TableOutput(
                rows=index,
                copy_manifest=layout.copy_manifest_uri(CURATED, "run-7", name),
                entries=tuple(
                    FileEntry(
                        url=f"{layout.table_uri(CURATED, 'run-7', name)}/part-{i}.parquet",
                        content_length=100 + i,
                    )
                    for i in range(index % 3)
                ),
            )
            for index, name in enumerate(TABLE_NAMES)
        },
        "source_files": 4,
        "max_bad_share": 0.05,
        "stage_seconds": {"list": 0.5},
    }
    fields.update(changes)
    return RunManifest(**fields)  # type: ignore[arg-type]


def test_the_manifest_round_trips_through_its_json() -> None:
    original = manifest()
    assert RunManifest.from_bytes(original.to_bytes()) == original
    document = json.loads(original.to_bytes())
    assert document["format_version"] == 1
    assert document["window"]["since"] == "2026-11-28T00:00:00Z"
    assert (
        document["tables"]["d_user"]["copy_manifest"]
        == f"{CURATED}/runs/run-7/copy/d_user.manifest"
    )
    assert list(document["tables"]) == list(TABLE_NAMES)


def test_a_full_refresh_manifest_round_trips() -> None:
    original = manifest(window=RunWindow(since=None, until=None, full_refresh=True))
    assert RunManifest.from_bytes(original.to_bytes()) == original


def test_copy_manifests_are_the_entries_in_redshift_format() -> None:
    entries = manifest().tables["d_device"].entries
    assert json.loads(copy_manifest_bytes(entries)) == {
        "entries": [
            {"url": e.url, "mandatory": True, "meta": {"content_length": e.content_length}}
            for e in entries
        ]
    }


@pytest.mark.parametrize(
    ("change", "field"),
    [
        (lambda d: d.update(format_version=2), "format_version must be 1"),
        (lambda d: d.update(run_id="x'y"), "run_id must be"),
        (lambda d: d["counts"].update(read=99), "counts.read (99) must equal"),
        (lambda d: d["counts"].pop("valid"), "counts.valid is missing"),
        (
            lambda d: d["window"].update(full_refresh="yes"),
            "window.full_refresh must be true or false",
        ),
        (lambda d: d["tables"].pop("f_event"), "tables.f_event is missing"),
        (lambda d: d["tables"]["d_user"].update(rows=-1), "tables.d_user.rows must be an integer"),
        (lambda d: d.update(high_water_mark="soon"), "high_water_mark must be an ISO-8601"),
        (lambda d: d["quarantine"]["by_reason"].update({"a'b": 1}), "quarantine.by_reason key"),
    ],
)
def test_a_broken_manifest_names_the_field(change, field: str) -> None:
    document = manifest().to_json()
    change(document)
    with pytest.raises(ManifestError, match=field.replace("(", r"\(").replace(")", r"\)")):
        RunManifest.from_json(document, uri="s3://c/runs/run-7/manifest.json")


def test_job_arguments_round_trip_through_the_jobs_own_parser() -> None:
    arguments = JobArguments(
        raw="s3://raw/events",
        curated=CURATED,
        run_id="run-7",
        since="2026-11-28T00:00:00Z",
        until="2026-12-01T09:30:00Z",
        max_bad_share=0.1,
        staging="s3://scratch/x",
    )
    config = parse_args(arguments.to_strings())
    assert (config.raw, config.curated, config.run_id) == ("s3://raw/events", CURATED, "run-7")
    assert config.since == datetime(2026, 11, 28, tzinfo=UTC)
    assert config.until == datetime(2026, 12, 1, 9, 30, tzinfo=UTC)
    assert (config.full_refresh, config.max_bad_share, config.staging) == (
        False,
        0.1,
        "s3://scratch/x",
    )


def test_full_refresh_arguments_round_trip() -> None:
    config = parse_args(
        JobArguments(raw="r", curated="c", run_id="r1", full_refresh=True).to_strings()
    )
    assert config.full_refresh and config.since is None and config.until is None


def test_runtime_values_cannot_be_run_locally() -> None:
    arguments = JobArguments(
        raw="r", curated="c", run_id=RuntimeValue("$.run_id"), full_refresh=True
    )
    assert arguments.to_list()[5] == RuntimeValue("$.run_id")
    with pytest.raises(ValueError, match=r"\$\.run_id"):
        arguments.to_strings()


def test_the_builder_refuses_a_window_for_a_full_refresh() -> None:
    with pytest.raises(ValueError, match="full refresh"):
        JobArguments(raw="r", curated="c", run_id="r1", full_refresh=True, since="2026-01-01")
