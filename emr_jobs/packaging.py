"""Build what EMR needs to run the Spark job, and say how to submit it.

`build(out_dir)` writes two files:

- `liberta_job.py`: the `spark-submit` entry script (a few lines calling `emr_jobs.main.main`);
- `emr_jobs.zip`: the `emr_jobs` package (code and `data/currencies.csv`) and the
  `liberta_core` package it shares with the CLI and the infrastructure, for `--py-files`.

No third-party package is shipped: the job needs only PySpark and the standard library. LZO
decompression uses `lzallright` where it is installed and otherwise the pure-Python LZO1X
decoder in `emr_jobs.lzop` (slower, but EMR lacks the wheel and a native wheel cannot be
imported from a `--py-files` zip anyway).

`spark_submit_args(prefix)` is the one place that knows the `spark-submit` options; callers
append the job arguments built by `liberta_core.job_args.JobArguments`.

Run `python -m emr_jobs.packaging --out dist/emr` (`make package`).
"""

from __future__ import annotations

import argparse
import hashlib
import importlib
import sys
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

# Packages in the zip: the job and the contracts it shares (pure Python, standard library).
PACKAGES: tuple[str, ...] = ("emr_jobs", "liberta_core")
ENTRY_SCRIPT_NAME = "liberta_job.py"
PY_FILES_NAME = "emr_jobs.zip"
# EMR 7.x installs Python 3.11 next to the default 3.9; the job is developed on 3.11.
EMR_PYTHON = "/usr/bin/python3.11"
# A fixed timestamp for zip entries, so that the same sources give byte-identical archives
# (CDK asset hashes then change only when the code does).
_ZIP_DATE_TIME = (2020, 1, 1, 0, 0, 0)

ENTRY_SCRIPT = '''"""spark-submit entry of the Liberta job (written by emr_jobs.packaging)."""

import sys

from emr_jobs.main import main

if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
'''

SubmitTarget = Literal["cluster", "serverless"]


@dataclass(frozen=True, kw_only=True)
class JobPackage:
    """The files `build` wrote; upload all of them next to each other."""

    entry_script: Path
    py_files: Path
    sha256: str  # of the zip and entry script together; changes only when the code does

    @property
    def files(self) -> tuple[Path, ...]:
        return (self.entry_script, self.py_files)


def _package_dir(name: str) -> Path:
    module = importlib.import_module(name)
    return Path(module.__file__ or "").resolve().parent


def _package_files(root: Path) -> list[Path]:
    """Every file the job needs at run time: Python modules and the shipped data."""
    files = [
        p
        for p in root.rglob("*")
        if p.is_file()
        and "__pycache__" not in p.parts
        and (p.suffix == ".py" or (p.parent.name == "data" and p.suffix in (".csv", ".jar")))
    ]
    return sorted(files)


def build(out_dir: Path) -> JobPackage:
    """Write the entry script and `emr_jobs.zip` into `out_dir` (created if missing)."""
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    if not (_package_dir("emr_jobs") / "main.py").is_file():
        raise FileNotFoundError("emr_jobs/main.py is missing: the emr_jobs package is incomplete")

    zip_path = out_dir / PY_FILES_NAME
    tmp_zip = zip_path.with_suffix(".zip.tmp")
    with zipfile.ZipFile(tmp_zip, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        for package in PACKAGES:
            root = _package_dir(package)
            for path in _package_files(root):
                arcname = f"{package}/{path.relative_to(root).as_posix()}"
                info = zipfile.ZipInfo(arcname, date_time=_ZIP_DATE_TIME)
                info.compress_type = zipfile.ZIP_DEFLATED
                info.external_attr = 0o644 << 16
                zf.writestr(info, path.read_bytes())
    tmp_zip.replace(zip_path)

    entry = out_dir / ENTRY_SCRIPT_NAME
    entry.write_text(ENTRY_SCRIPT, encoding="utf-8")

    digest = hashlib.sha256(zip_path.read_bytes() + entry.read_bytes()).hexdigest()
    return JobPackage(entry_script=entry, py_files=zip_path, sha256=digest)


def _python_conf(target: SubmitTarget) -> list[str]:
    conf = {
        "spark.pyspark.python": EMR_PYTHON,
        "spark.pyspark.driver.python": EMR_PYTHON,
        "spark.executorEnv.PYSPARK_PYTHON": EMR_PYTHON,
    }
    if target == "cluster":
        conf["spark.yarn.appMasterEnv.PYSPARK_PYTHON"] = EMR_PYTHON
    else:
        conf["spark.emr-serverless.driverEnv.PYSPARK_PYTHON"] = EMR_PYTHON
    return [arg for key, value in conf.items() for arg in ("--conf", f"{key}={value}")]


# Settings the job relies on (it also sets the SQL ones itself, for in-process callers).
JOB_CONF: dict[str, str] = {
    "spark.sql.session.timeZone": "UTC",
    "spark.sql.parquet.outputTimestampType": "TIMESTAMP_MICROS",
    "spark.sql.adaptive.enabled": "true",
    "spark.sql.adaptive.coalescePartitions.enabled": "true",
}


def spark_submit_args(package_uri_prefix: str, *, target: SubmitTarget = "cluster") -> list[str]:
    """Everything after `spark-submit` up to and including the entry script URI.

    `package_uri_prefix` is where the files of `build` were uploaded (`s3://bucket/jobs/abc`).
    Append the job arguments (see `emr_jobs.config`). For an EMR on EC2 step pass
    `target="cluster"` (YARN cluster mode); for EMR Serverless `target="serverless"`, where
    the last element is the `entryPoint` and the rest is `sparkSubmitParameters`.
    """
    prefix = package_uri_prefix.rstrip("/")
    args: list[str] = []
    if target == "cluster":
        args += ["--deploy-mode", "cluster"]
    elif target != "serverless":
        raise ValueError(f"target must be 'cluster' or 'serverless', got {target!r}")
    args += ["--py-files", f"{prefix}/{PY_FILES_NAME}"]
    args += _python_conf(target)
    for key, value in JOB_CONF.items():
        args += ["--conf", f"{key}={value}"]
    args.append(f"{prefix}/{ENTRY_SCRIPT_NAME}")
    return args


def _main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m emr_jobs.packaging", description="Build the EMR job package."
    )
    parser.add_argument("--out", type=Path, default=Path("dist/emr"), help="output directory")
    args = parser.parse_args(argv)
    package = build(args.out)
    for path in package.files:
        print(f"wrote {path} ({path.stat().st_size} bytes)")
    print("spark-submit " + " ".join(spark_submit_args("s3://<bucket>/<prefix>")) + " <job args>")
    return 0


if __name__ == "__main__":
    sys.exit(_main())
