"""The job's output is bit-for-bit what it was before the speed work (issue 12).

Digests (`bench.content_hash`) of every table's sorted rows, of the quarantine records and of
the manifest's counts were recorded on the job before the speed work for three inputs (first on
b5e5f38; re-recorded on ae83e1e, main before the speed work was merged, because the contracts
redesign of issue 11 changed the input fixture and, by design, how d_user and f_session reduce
events: by the tables' merge rules):

- `fixture`: the hand-made window of `raw_fixture` (the `first_run` of conftest);
- `mutations`: `content_fixture`, every contract field of every category set to ~120 awkward
  values (also hashed before the tables: `validate`'s reasons and typed values, and
  `stage_events`'s rows);
- `generated`: a small `liberta.generator` data set with duplicates, late files and every
  kind of corrupt line.

A change that alters any value fails here with the table that differs. Re-record (only for
an intended change of results, never to make a speed change pass) with
`LIBERTA_RECORD_CONTENT_HASHES=1 .venv/bin/pytest tests/spark_job/test_content_hash.py`.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
from pathlib import Path
from typing import Any

import pytest

from bench.content_hash import compare, parquet_digest, run_digests
from emr_jobs.currencies import load_currencies
from emr_jobs.main import run
from emr_jobs.transforms.events import stage_events
from emr_jobs.validate import validate
from tests.spark_job import content_fixture
from tests.spark_job.conftest import JobRun, job_config, lines_frame

RECORDED = Path(__file__).with_name("content_hashes.json")
RECORD = os.environ.get("LIBERTA_RECORD_CONTENT_HASHES") == "1"

GENERATED = {
    "events": 20_000,
    "start_date": dt.date(2026, 3, 1),
    "days": 2,
    "players": 200,
    "seed": 12,
    "compression": "gz",
    "files_per_day": 2,
    "duplicate_rate": 0.03,
    "late_rate": 0.05,
    "corrupt_rate": 0.08,
}
# Columns of `stage_events` that say where a line was read (they depend on the directory and
# on how Spark splits the input), not what it holds.
LOCATION_COLUMNS = ("source_file", "split_start", "row_id")


def _recorded() -> dict[str, Any]:
    return json.loads(RECORDED.read_text(encoding="utf-8")) if RECORDED.exists() else {}


def _check(name: str, actual: dict[str, Any]) -> None:
    if RECORD:
        recorded = _recorded()
        recorded[name] = actual
        RECORDED.write_text(json.dumps(recorded, indent=2, sort_keys=True) + "\n")
        return
    expected = _recorded().get(name)
    assert expected is not None, f"no recorded digests for {name!r} in {RECORDED.name}"
    recorded_input = expected.get("input_sha256")
    if recorded_input and actual.get("input_sha256") != recorded_input:
        pytest.fail(
            f"{name}: the input changed (its digest differs), so the recorded job digests no "
            "longer apply: re-record them on a commit whose job is trusted"
        )
    if "tables" in expected:
        problems = compare(expected, actual)
    else:
        problems = [
            f"{key}: expected {expected.get(key)}, got {actual.get(key)}"
            for key in sorted(set(expected) | set(actual))
            if expected.get(key) != actual.get(key)
        ]
    assert not problems, f"{name}: output differs from the recording\n  " + "\n  ".join(problems)


def _input_digest(root: Path) -> str:
    """SHA-256 over the raw files (names and bytes): tells a changed input from a changed job."""
    digest = hashlib.sha256()
    for path in sorted(p for p in root.rglob("*") if p.is_file() and not p.name.startswith("_")):
        digest.update(str(path.relative_to(root)).encode() + b"\0" + path.read_bytes() + b"\0")
    return digest.hexdigest()


def _job_digests(spark: Any, raw: Path, curated: Path, run_id: str) -> dict[str, Any]:
    config = job_config(str(raw), str(curated), run_id, full_refresh=True)
    run(spark, config)
    digests = run_digests(curated, run_id, "file://" + str(raw))
    digests["input_sha256"] = _input_digest(raw)
    return digests


@pytest.fixture(scope="module")
def mutations_raw(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return content_fixture.write(tmp_path_factory.mktemp("mutations-raw"))


def test_fixture_window_is_unchanged(first_run: JobRun) -> None:
    digests = run_digests(first_run.curated, first_run.run_id, "file://" + str(first_run.raw))
    _check("fixture", digests)


def test_mutations_are_unchanged(spark: Any, mutations_raw: Path, tmp_path: Path) -> None:
    digests = _job_digests(spark, mutations_raw, tmp_path / "curated", "mutations")
    _check("mutations", digests)


def test_validation_and_staging_of_mutations_are_unchanged(spark: Any, tmp_path: Path) -> None:
    lines = content_fixture.lines()
    df = lines_frame(spark, lines)
    validated = validate(df, load_currencies())
    typed = [c for c in validated.columns if c == "reason" or c.startswith("c_")]
    validated.select("row_id", *typed).write.parquet(str(tmp_path / "validated"))
    staged = stage_events(validated).drop(*(c for c in LOCATION_COLUMNS if c != "row_id"))
    staged.write.parquet(str(tmp_path / "staged"))
    v_digest, v_rows = parquet_digest(tmp_path / "validated")
    s_digest, s_rows = parquet_digest(tmp_path / "staged")
    _check(
        "mutations_validate_stage",
        {
            "validate": {"sha256": v_digest, "rows": v_rows},
            "stage_events": {"sha256": s_digest, "rows": s_rows},
        },
    )


def test_generated_faults_are_unchanged(spark: Any, tmp_path: Path) -> None:
    from liberta.generator import GeneratorConfig, generate

    raw = tmp_path / "generated"
    generate(GeneratorConfig(out=str(raw), **GENERATED))
    digests = _job_digests(spark, raw / "events", tmp_path / "curated", "generated")
    _check("generated", digests)
