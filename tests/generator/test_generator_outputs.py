"""Output side of the generator: determinism, compressions, S3, late delivery, the CLI."""

from __future__ import annotations

import bz2
import datetime as dt
import gzip
import shutil
import subprocess
from pathlib import Path

import boto3
import pytest
from generator_contract import read_lines
from typer.testing import CliRunner

from emr_jobs import lzop
from liberta.cli import app
from liberta.generator import SUMMARY_NAME, GeneratorConfig, generate

SMALL = {
    "events": 3_000,
    "start_date": dt.date(2024, 5, 30),
    "days": 3,
    "players": 60,
    "seed": 5,
    "files_per_day": 2,
    "duplicate_rate": 0.03,
    "late_rate": 0.05,
    "corrupt_rate": 0.05,
}


def _files(root: Path) -> dict[str, bytes]:
    return {
        p.relative_to(root).as_posix(): p.read_bytes()
        for p in sorted(root.rglob("*"))
        if p.is_file()
    }


@pytest.mark.parametrize("compression", ["gz", "bz2", "lzo", "none"])
def test_same_seed_same_bytes_other_seed_other_bytes(compression: str, tmp_path: Path) -> None:
    runs = {}
    for name, seed in (("a", 5), ("b", 5), ("c", 6)):
        cfg = GeneratorConfig(
            **{**SMALL, "seed": seed, "compression": compression, "out": str(tmp_path / name)}
        )
        generate(cfg)
        runs[name] = _files(tmp_path / name)
    data = {
        name: {k: v for k, v in files.items() if k != SUMMARY_NAME} for name, files in runs.items()
    }
    assert data["a"]  # data files exist, not only the summary
    assert data["a"] == data["b"]
    assert data["a"] != data["c"]
    # the summary is deterministic too, apart from the output path it names
    summaries = {
        name: runs[name][SUMMARY_NAME].replace(str(tmp_path / name).encode(), b"OUT")
        for name in runs
    }
    assert summaries["a"] == summaries["b"] != summaries["c"]


@pytest.mark.parametrize("compression", ["gz", "bz2", "lzo", "none"])
def test_every_compression_round_trips(compression: str, tmp_path: Path) -> None:
    summary = generate(GeneratorConfig(**SMALL, compression=compression, out=str(tmp_path)))
    suffix = {"gz": ".json.gz", "bz2": ".json.bz2", "lzo": ".json.lzo", "none": ".json"}[
        compression
    ]
    paths = sorted((tmp_path / "events").rglob("*.json*"))
    assert paths and all(p.name.endswith(suffix) for p in paths)
    total = 0
    for path in paths:
        lines = read_lines(path)  # gzip / bz2 / our lzop reader, by suffix
        total += len(lines)
        entry = next(
            f for f in summary.files if f.uri.endswith(path.relative_to(tmp_path).as_posix())
        )
        assert entry.lines == len(lines)
        raw = path.read_bytes()
        if compression == "gz":
            assert raw[:4] == b"\x1f\x8b\x08\x00"  # no file name stored
            assert raw[4:8] == b"\x00\x00\x00\x00"  # mtime 0
        if compression == "lzo":
            assert lzop.decompress(raw, pure_python=True) == lzop.decompress(raw)
    assert total == summary.lines["read"]


@pytest.mark.skipif(shutil.which("lzop") is None, reason="Debian's lzop tool is not installed")
def test_lzop_tool_reads_generated_files(tmp_path: Path) -> None:
    generate(GeneratorConfig(**SMALL, compression="lzo", out=str(tmp_path)))
    for path in sorted((tmp_path / "events").rglob("*.lzo")):
        out = subprocess.run(["lzop", "-dc", str(path)], check=True, capture_output=True).stdout
        assert out == lzop.decompress(path.read_bytes())


def test_gzip_and_bz2_tools_agree(tmp_path: Path) -> None:
    generate(GeneratorConfig(**SMALL, compression="gz", out=str(tmp_path / "g")))
    generate(GeneratorConfig(**SMALL, compression="bz2", out=str(tmp_path / "b")))
    g = sorted((tmp_path / "g" / "events").rglob("*.gz"))
    b = sorted((tmp_path / "b" / "events").rglob("*.bz2"))
    assert [gzip.decompress(x.read_bytes()) for x in g] == [
        bz2.decompress(x.read_bytes()) for x in b
    ]


def test_late_files_can_be_delivered_separately(tmp_path: Path) -> None:
    summary = generate(
        GeneratorConfig(**SMALL, out=str(tmp_path / "raw"), late_out=str(tmp_path / "later"))
    )
    regular = sorted(p.name for p in (tmp_path / "raw" / "events").rglob("*.gz"))
    late = sorted(
        p.relative_to(tmp_path / "later").as_posix() for p in (tmp_path / "later").rglob("*.gz")
    )
    assert regular and all(n.startswith("events-") for n in regular)
    assert late and all(n.split("/")[-1].startswith("late-") for n in late)
    assert all(n.startswith("events/dt=") for n in late)
    late_lines = sum(len(read_lines(p)) for p in (tmp_path / "later").rglob("*.gz"))
    assert late_lines == summary.late["lines"] > 0
    assert summary.late["uri"] == f"{tmp_path / 'later'}/events"


def test_existing_output_is_kept_unless_overwrite(tmp_path: Path) -> None:
    generate(GeneratorConfig(**{**SMALL, "files_per_day": 4}, out=str(tmp_path)))
    with pytest.raises(FileExistsError, match="--overwrite"):
        generate(GeneratorConfig(**SMALL, out=str(tmp_path)))
    generate(
        GeneratorConfig(
            **{**SMALL, "files_per_day": 1, "late_rate": 0.0}, out=str(tmp_path), overwrite=True
        )
    )
    for day in (tmp_path / "events").iterdir():
        assert [p.name for p in day.iterdir()] == ["events-00000.json.gz"]  # nothing stale left


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"events": 100, "players": 60}, "events"),
        ({"days": 0}, "days"),
        ({"compression": "zip"}, "compression"),
        ({"duplicate_rate": 1.5}, "duplicate_rate"),
        ({"corrupt_rate": -0.1}, "corrupt_rate"),
        ({"files_per_day": 0}, "files_per_day"),
        ({"start_date": dt.date(2009, 12, 1)}, "start_date"),
    ],
)
def test_bad_configuration_names_the_field(change: dict[str, object], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        GeneratorConfig(**{**SMALL, "out": "/tmp/unused", **change})  # type: ignore[arg-type]


def test_cli_help_and_run(tmp_path: Path) -> None:
    runner = CliRunner()
    top = runner.invoke(app, ["--help"])
    assert top.exit_code == 0 and "generate" in top.output
    helped = runner.invoke(app, ["generate", "--help"], terminal_width=200)
    assert helped.exit_code == 0
    for option in ("--events", "--start-date", "--days", "--players", "--seed", "--out",
                   "--compression", "--files-per-day", "--duplicate-rate", "--late-rate",
                   "--corrupt-rate"):  # fmt: skip
        assert option in helped.output
    args = ["generate", "--events", "2000", "--start-date", "2024-01-01", "--days", "2",
            "--players", "40", "--seed", "3", "--out", str(tmp_path), "--compression", "lzo",
            "--files-per-day", "1", "--duplicate-rate", "0.01", "--late-rate", "0.02",
            "--corrupt-rate", "0.02"]  # fmt: skip
    ran = runner.invoke(app, args)
    assert ran.exit_code == 0, ran.output
    assert str(tmp_path / SUMMARY_NAME) in ran.output
    assert sorted(p.parent.name for p in (tmp_path / "events").rglob("events-00000.json.lzo")) == [
        "dt=2024-01-01",
        "dt=2024-01-02",
    ]
    again = runner.invoke(app, args)
    assert again.exit_code == 2 and "--overwrite" in again.output
    bad = runner.invoke(app, [*args[:-6], "--compression", "zip", "--overwrite"])
    assert bad.exit_code == 2 and "zip" in bad.output


def test_s3_output_matches_local_output(s3_endpoint: str, tmp_path: Path) -> None:
    s3 = boto3.client("s3")
    s3.create_bucket(Bucket="liberta-raw")
    summary = generate(GeneratorConfig(**SMALL, out="s3://liberta-raw/landing/game"))
    generate(GeneratorConfig(**SMALL, out=str(tmp_path)))
    local = _files(tmp_path)
    listed = s3.list_objects_v2(Bucket="liberta-raw", Prefix="landing/game/")["Contents"]
    remote = {
        o["Key"].removeprefix("landing/game/"): s3.get_object(Bucket="liberta-raw", Key=o["Key"])[
            "Body"
        ].read()
        for o in listed
    }
    assert remote.keys() == local.keys()
    for key in local:
        if key != SUMMARY_NAME:
            assert remote[key] == local[key], key
    assert summary.summary_uri == "s3://liberta-raw/landing/game/_generator_summary.json"
    assert all(f.uri.startswith("s3://liberta-raw/landing/game/events/dt=") for f in summary.files)
    with pytest.raises(FileExistsError):
        generate(GeneratorConfig(**SMALL, out="s3://liberta-raw/landing/game"))
    generate(
        GeneratorConfig(
            **{**SMALL, "files_per_day": 1, "late_rate": 0.0},
            out="s3://liberta-raw/landing/game",
            overwrite=True,
        )
    )
    keys = [o["Key"] for o in s3.list_objects_v2(Bucket="liberta-raw")["Contents"]]
    assert len([k for k in keys if "/events/" in k]) == SMALL["days"]
