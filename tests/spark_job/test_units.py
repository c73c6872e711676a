"""Pure parts: keys outside Spark, arguments, currencies, the EMR package."""

from __future__ import annotations

import subprocess
import sys
import zipfile
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from pyspark.sql import functions as F

from emr_jobs.config import ConfigError, parse_args
from emr_jobs.currencies import CurrencyTableError, load_currencies, parse_currencies
from emr_jobs.keys import key_column
from emr_jobs.packaging import build, spark_submit_args
from liberta_core.timestamps import TimestampError, parse_timestamp
from tests.key_oracle import key, key_text

ROOT = Path(__file__).resolve().parents[2]


def test_keys_are_reproducible_outside_spark(spark: Any) -> None:
    df = spark.createDataFrame([("ü-1", None, "x")], "a string, b string, c string")
    got = df.select(
        key_column("user", F.col("a")).alias("user"),
        key_column("device", F.col("a"), F.col("b"), F.col("c")).alias("device"),
    ).first()
    # the strings hashed: kind and parts joined by U+001F, the null part as ''
    assert key_text("user", "ü-1") == "user\x1fü-1"
    assert key_text("device", "ü-1", None, "x") == "device\x1fü-1\x1f\x1fx"
    assert got["user"] == key("user", "ü-1")
    assert got["device"] == key("device", "ü-1", None, "x")


def test_arguments() -> None:
    config = parse_args(
        ["--raw", "s3://b/raw", "--curated", "s3://b/cur", "--run-id", "20261201T0930Z-1",
         "--since", "2026-11-01", "--until", "2026-11-02T12:30:00+02:00"]
    )  # fmt: skip
    assert config.since == datetime(2026, 11, 1, tzinfo=UTC)
    assert config.until == datetime(2026, 11, 2, 10, 30, tzinfo=UTC)
    assert config.max_bad_share == 0.05 and not config.full_refresh
    assert config.run_uri == "s3://b/cur/runs/20261201T0930Z-1"
    assert config.quarantine_uri == "s3://b/cur/quarantine/run_id=20261201T0930Z-1"
    assert parse_timestamp("2026-11-01T00:00:00Z") == datetime(2026, 11, 1, tzinfo=UTC)
    with pytest.raises(ConfigError, match="--since and --until are required"):
        parse_args(["--raw", "r", "--curated", "c", "--run-id", "x"])
    with pytest.raises(ConfigError, match="must be before"):
        parse_args(["--raw", "r", "--curated", "c", "--run-id", "x", "--since", "2026-11-02",
                    "--until", "2026-11-01"])  # fmt: skip
    with pytest.raises(ConfigError, match="run-id"):
        parse_args(["--raw", "r", "--curated", "c", "--run-id", "../x", "--full-refresh"])
    with pytest.raises(TimestampError, match="not an ISO-8601"):
        parse_timestamp("yesterday")
    with pytest.raises(ConfigError, match="--since: 'yesterday' is not an ISO-8601"):
        parse_args(["--raw", "r", "--curated", "c", "--run-id", "x", "--since", "yesterday",
                    "--until", "2026-11-01"])  # fmt: skip


def test_currency_table() -> None:
    table = load_currencies()
    assert table["JPY"].usd_per_minor_unit == Decimal("0.0067")
    assert table["KWD"].usd_per_minor_unit == Decimal("0.00325")
    with pytest.raises(CurrencyTableError, match=r":3: EUR is listed twice"):
        parse_currencies("code,minor_digits,usd_per_unit\nEUR,2,1.08\nEUR,2,1.1\n")
    with pytest.raises(CurrencyTableError, match=r":2: usd_per_unit 'x' is not a number"):
        parse_currencies("code,minor_digits,usd_per_unit\nEUR,2,x\n")


def test_package_imports_from_the_zip_alone(tmp_path: Path) -> None:
    package = build(tmp_path)
    with zipfile.ZipFile(package.py_files) as zf:
        names = set(zf.namelist())
    assert {
        "emr_jobs/main.py", "emr_jobs/lzop.py", "emr_jobs/data/currencies.csv",
        "emr_jobs/data/liberta-spark.jar",
    } <= names  # fmt: skip
    assert build(tmp_path / "again").sha256 == package.sha256  # reproducible archive
    # a fresh interpreter that sees only the zip (as EMR does) finds code and currency table
    code = (
        "import sys; sys.path.insert(0, sys.argv[1]);"
        "import emr_jobs.main, emr_jobs.currencies as c;"
        "assert emr_jobs.main.__file__.startswith(sys.argv[1]);"
        "print(len(c.load_currencies()))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code, str(package.py_files)],
        capture_output=True, text=True, check=True, cwd=tmp_path,
    )  # fmt: skip
    # the currency table's data rows, counted from the file itself (not by the loader)
    rows = (ROOT / "emr_jobs" / "data" / "currencies.csv").read_text().splitlines()
    data_rows = [r for r in rows if r.strip() and not r.startswith("#")][1:]  # after the header
    assert out.stdout.strip() == str(len(data_rows)) == "23"
    # the plain parser's jar is copied out of the zip for Spark (ADD JAR needs a file)
    code = (
        "import sys; sys.path.insert(0, sys.argv[1]);"
        "from emr_jobs.plain_parse import jar_path;"
        "print(jar_path())"
    )
    out = subprocess.run(
        [sys.executable, "-c", code, str(package.py_files)],
        capture_output=True, text=True, check=True, cwd=tmp_path,
    )  # fmt: skip
    extracted = Path(out.stdout.strip())
    assert not str(extracted).startswith(str(ROOT))
    assert extracted.read_bytes() == (ROOT / "emr_jobs" / "data" / "liberta-spark.jar").read_bytes()
    args = spark_submit_args("s3://bucket/jobs/abc/")
    assert args[-1] == "s3://bucket/jobs/abc/liberta_job.py"
    assert args[args.index("--py-files") + 1] == "s3://bucket/jobs/abc/emr_jobs.zip"
    assert "spark.pyspark.python=/usr/bin/python3.11" in args
    entry = package.entry_script.read_text()
    assert "from emr_jobs.main import main" in entry
