"""Liberta as installed (a built wheel, not this checkout): the SQL and data files ship inside.

The wheel is built and unpacked; the commands then run from another directory with Python's
site hooks off (`-S`), so neither this checkout nor its editable install can be imported, only
the wheel's files and the third-party packages of the venv.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import sysconfig
import zipfile
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def unpacked_wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("wheel")
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q",
         "-w", str(out), str(REPO)],
        check=True,
        capture_output=True,
    )  # fmt: skip
    (wheel,) = out.glob("liberta-*.whl")
    target = out / "site"
    with zipfile.ZipFile(wheel) as archive:
        archive.extractall(target)
    return target


def _python(site: Path, cwd: Path, code: str, *args: str, env: dict[str, str] | None = None):
    paths = os.pathsep.join([str(site), sysconfig.get_paths()["purelib"]])
    return subprocess.run(
        [sys.executable, "-S", "-c", code, *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
        env={**os.environ, "PYTHONPATH": paths, **(env or {})},
    )


def test_the_wheel_carries_the_sql_the_currency_table_and_the_jar(unpacked_wheel: Path) -> None:
    files = {p.relative_to(unpacked_wheel).as_posix() for p in unpacked_wheel.rglob("*")}
    for relpath in (
        "redshift_sql/etl/select_window.sql",
        "redshift_sql/load/merge_d_user.sql",
        "redshift_sql/views/030_v_daily_kpis.sql",
        "emr_jobs/data/currencies.csv",
        "emr_jobs/data/liberta-spark.jar",
        "liberta_core/tables.py",
        "liberta/report/queries/daily_kpis.sql",
    ):
        assert relpath in files


def test_liberta_generate_and_run_work_from_another_directory(
    unpacked_wheel: Path, tmp_path: Path, pg_server, empty_database_url: str
) -> None:
    where = _python(unpacked_wheel, tmp_path, "import liberta_core.sql as s; print(s.__file__)")
    assert where.returncode == 0, where.stderr
    assert where.stdout.startswith(str(unpacked_wheel))  # not this checkout
    cli = "import sys; from liberta.cli import main; sys.argv[0] = 'liberta'; main()"
    env = {"LIBERTA_DB_URL": empty_database_url, "LIBERTA_HOME": str(tmp_path / "home")}
    generated = _python(
        unpacked_wheel, tmp_path, cli, "generate", "--out", "raw", "--events", "600",
        "--players", "30", "--days", "2", env=env,
    )  # fmt: skip
    assert generated.returncode == 0, generated.stderr
    ran = _python(
        unpacked_wheel, tmp_path, cli, "run", "--raw", "raw", "--curated", "curated", "--json",
        env=env,
    )  # fmt: skip
    assert ran.returncode == 0, ran.stderr[-3000:]
    report = json.loads(ran.stdout)
    assert report["status"] == "succeeded" and report["counts"]["valid"] == 600
    assert (tmp_path / "curated" / "runs" / report["run_id"] / "manifest.json").is_file()
