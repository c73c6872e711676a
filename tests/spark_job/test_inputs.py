"""Every compression of the contract is read, and a window reads only the partitions it needs."""

from __future__ import annotations

import shutil
import subprocess
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pytest

from emr_jobs.fs import HadoopFs
from emr_jobs.read import partition_overlaps, select_raw_files
from tests.spark_job import raw_fixture as rf
from tests.spark_job.conftest import Q_LINE, Q_LINE_NUMBER, run_job, write_raw

# four valid events of raw_fixture, one of them time-corrected (E10)
GOOD = [rf.E17, rf.E18, rf.E19, rf.E10]


def test_partition_overlap_rule() -> None:
    day = date(2026, 11, 2)
    at = lambda text: datetime.fromisoformat(text).replace(tzinfo=UTC)  # noqa: E731
    assert partition_overlaps(day, at("2026-11-02T23:59:59"), at("2026-11-03T00:00:00"))
    assert partition_overlaps(day, at("2026-11-01T12:00:00"), at("2026-11-02T00:00:01"))
    assert not partition_overlaps(day, at("2026-11-03T00:00:00"), at("2026-11-04T00:00:00"))
    assert not partition_overlaps(day, at("2026-11-01T00:00:00"), at("2026-11-02T00:00:00"))


def test_all_compressions_read_alike(spark: Any, tmp_path: Path) -> None:
    raw = tmp_path / "raw" / "events"  # the generator's layout: <raw>/events/dt=...
    for name in ("p.json", "g.json.gz", "b.json.bz2", "l.json.lzo"):
        write_raw(raw, "2026-11-02", name, [*GOOD, "not json"])
    if shutil.which("lzop"):  # a file written by the real lzop tool, when installed
        plain = tmp_path / "x.json"
        plain.write_text("\n".join([*GOOD, "not json"]) + "\n")
        subprocess.run(
            ["lzop", "-q", "-o", str(raw / "dt=2026-11-02" / "z.json.lzo"), str(plain)],
            check=True,
        )
    n_files = len(list((raw / "dt=2026-11-02").iterdir()))
    job = run_job(
        spark, tmp_path / "raw", tmp_path / "cur", "c",
        since=datetime(2026, 11, 2, tzinfo=UTC), until=datetime(2026, 11, 3, tzinfo=UTC),
        max_bad_share=0.5,
    )  # fmt: skip
    manifest = job.manifest
    # each file: 4 valid lines + 1 bad one; the copies of the same 4 events are duplicates
    assert manifest["counts"] == {
        "read": 5 * n_files,
        "valid": 4,
        "quarantined": n_files,
        "duplicates": 4 * (n_files - 1),
        "time_corrected": 1,
    }
    per_file = {f["file"].rsplit("/", 1)[-1]: f for f in manifest["quarantine"]["worst_files"]}
    assert set(per_file) == {p.name for p in (raw / "dt=2026-11-02").iterdir()}
    assert all((f["read"], f["quarantined"]) == (5, 1) for f in per_file.values())
    assert {(q[Q_LINE_NUMBER], q[Q_LINE]) for q in job.quarantine()} == {(5, "not json")}


def test_window_reads_only_needed_partitions(spark: Any, tmp_path: Path) -> None:
    raw = tmp_path / "raw"
    write_raw(raw, "2026-11-01", "a.json", ["not json"] * 10)
    write_raw(raw, "2026-11-02", "b.json.gz", GOOD)
    # outside the window: a file no reader could open; reading it would fail the run
    bad = raw / "dt=2026-11-03" / "c.json.gz"
    bad.parent.mkdir(parents=True)
    bad.write_bytes(b"this is not gzip data")
    selection = select_raw_files(
        HadoopFs(spark),
        str(raw),
        since=datetime(2026, 11, 2, 6, tzinfo=UTC),
        until=datetime(2026, 11, 2, 18, tzinfo=UTC),
        full_refresh=False,
    )
    assert selection.partitions == (date(2026, 11, 2),)
    assert [Path(f.uri).name for f in selection.files] == ["b.json.gz"]

    manifest = run_job(
        spark, raw, tmp_path / "cur", "w",
        since=datetime(2026, 11, 2, 6, tzinfo=UTC), until=datetime(2026, 11, 2, 18, tzinfo=UTC),
    ).manifest  # fmt: skip
    assert manifest["window"]["partitions"] == ["2026-11-02"]
    assert manifest["counts"]["read"] == 4 and manifest["counts"]["quarantined"] == 0


def test_unknown_file_in_a_partition_is_an_error_naming_it(spark: Any, tmp_path: Path) -> None:
    write_raw(tmp_path, "2026-11-02", "b.json", GOOD)
    (tmp_path / "dt=2026-11-02" / "notes.txt").write_text("hello")
    with pytest.raises(ValueError, match=r"dt=2026-11-02/notes.txt: unknown file type"):
        select_raw_files(HadoopFs(spark), str(tmp_path), since=None, until=None, full_refresh=True)
