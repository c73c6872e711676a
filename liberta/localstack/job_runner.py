"""Runs an uploaded EMR Serverless job package locally: part of the EMR Serverless substitution.

Started by Liberta's LocalStack extension for each job run, with Liberta's Python 3.11 (which
has pyspark): `python -m liberta.localstack.job_runner --entry-point liberta_job.py
--py-file emr_jobs.zip --work-dir DIR -- <EntryPointArguments>`.

Local Spark cannot read `s3://` (no hadoop-aws jar offline), so the S3 side of EMR is
substituted here, with `liberta.pipeline.s3_mirror`:

1. the uploaded `--py-files` go first on `sys.path`, so the job's OWN code runs (not the
   emr_jobs installed in Liberta's venv), and its `emr_jobs.config.parse_args` reads the
   arguments;
2. the window's raw partitions are mirrored from `--raw` (s3://) into the work dir;
3. the job's entry point runs (`runpy`, as `__main__`, like spark-submit) with the same
   arguments, `--raw`/`--curated`/`--staging` pointing at the local copies, in a local
   SparkSession sized by `--driver-memory`;
4. exit code 0: the run (Parquet, COPY manifests with s3:// URLs, quarantine, manifest last)
   is published to the `--curated` bucket.

The exit code is the job's (3 = bad input data), which the extension turns into the job run's
state. Arguments the job cannot parse are passed through unchanged, so the job reports them.
"""

from __future__ import annotations

import argparse
import logging
import runpy
import sys
import traceback
from datetime import UTC, datetime
from pathlib import Path

log = logging.getLogger("liberta.localstack.job_runner")


def _parse(argv: list[str]) -> tuple[argparse.Namespace, list[str]]:
    if "--" in argv:
        split = argv.index("--")
        own, job_args = argv[:split], argv[split + 1 :]
    else:
        own, job_args = argv, []
    parser = argparse.ArgumentParser(prog="python -m liberta.localstack.job_runner")
    parser.add_argument("--entry-point", required=True, type=Path)
    parser.add_argument("--py-file", action="append", default=[], type=Path)
    parser.add_argument("--work-dir", required=True, type=Path)
    parser.add_argument("--driver-memory", default="2g")
    parser.add_argument("--conf", action="append", default=[])
    return parser.parse_args(own), job_args


def _replace_arg(args: list[str], flag: str, value: str) -> list[str]:
    out = list(args)
    for i, arg in enumerate(out):
        if arg == flag and i + 1 < len(out):
            out[i + 1] = value
        elif arg.startswith(flag + "="):
            out[i] = f"{flag}={value}"
    return out


def main(argv: list[str] | None = None) -> int:
    logging.basicConfig(
        level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    ns, job_args = _parse(sys.argv[1:] if argv is None else argv)
    for py_file in reversed(ns.py_file):
        sys.path.insert(0, str(py_file.resolve()))
    work = ns.work_dir.resolve()
    work.mkdir(parents=True, exist_ok=True)

    # Imported after sys.path is set: emr_jobs must come from the uploaded package.
    import emr_jobs.config
    from emr_jobs.config import ConfigError, parse_args

    log.info("job code: %s", emr_jobs.config.__file__)

    try:
        config = parse_args(job_args)
    except (ConfigError, SystemExit):
        config = None  # the job itself reports unusable arguments (exit 2)
    local_args = job_args
    if config is not None and config.raw.startswith("s3://"):
        from liberta.pipeline.s3_mirror import mirror_raw_window
        from liberta.pipeline.window import Window

        # A full refresh has no `since`; the mirror then reads every partition.
        window = Window(
            since=config.since,
            until=config.until or datetime.now(UTC),
            full_refresh=config.full_refresh,
        )
        count = mirror_raw_window(config.raw, work / "raw", window)
        log.info("mirrored %d raw file(s) of %s into %s", count, config.raw, work / "raw")
        local_args = _replace_arg(local_args, "--raw", (work / "raw").as_uri())
    if config is not None and config.curated.startswith("s3://"):
        local_args = _replace_arg(local_args, "--curated", (work / "curated").as_uri())
        if config.staging and config.staging.startswith("s3://"):
            local_args = _replace_arg(local_args, "--staging", (work / "staging").as_uri())

    from liberta.spark_local import local_spark_session

    spark = local_spark_session(app_name="liberta-emr-serverless", driver_memory=ns.driver_memory)
    for item in ns.conf:
        key, _, value = item.partition("=")
        try:
            spark.conf.set(key, value)
        except Exception:  # static settings cannot change on a running session
            log.info("spark conf %s is static; the local session keeps its own value", key)
    for py_file in ns.py_file:
        spark.sparkContext.addPyFile(str(py_file.resolve()))

    sys.argv = [str(ns.entry_point), *local_args]
    try:
        runpy.run_path(str(ns.entry_point), run_name="__main__")
        code = 0
    except SystemExit as exc:
        code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
    except Exception:
        traceback.print_exc()
        code = 1
    if code != 0:
        log.error("the job's entry point exited with %s; nothing is published", code)
        return code
    if config is not None and config.curated.startswith("s3://"):
        from liberta.pipeline.s3_mirror import publish_run

        try:
            uri = publish_run(
                local_curated=work / "curated",
                curated_uri=config.curated,
                run_id=config.run_id,
                local_raw=work / "raw",
                raw_uri=config.raw,
            )
        except Exception as exc:
            log.error("publishing run %s to %s failed: %s", config.run_id, config.curated, exc)
            return 1
        log.info("published run %s: %s", config.run_id, uri)
    return 0


if __name__ == "__main__":
    sys.exit(main())
