"""One EMR Serverless job run, executed by local Spark in a subprocess.

SUBMITTED (accepted) -> PENDING (waiting for a Spark slot: the machine runs
`LIBERTA_LS_MAX_CONCURRENT_JOB_RUNS`, default 1, at a time) -> SCHEDULED (the job package is
downloaded from S3) -> RUNNING (the process runs) -> SUCCESS | FAILED | CANCELLED
(CANCELLING while a cancel waits for the process to end).

The process is Liberta's Python 3.11 (`LIBERTA_SPARK_PYTHON`) running
`python -m liberta.localstack.job_runner`: it runs the job's OWN entry point with the job's
`EntryPointArguments`, on a local copy of the S3 data (see that module). Its exit code is the
job run's state: 0 SUCCESS, anything else FAILED with `stateDetails` naming the exit code and
the last error lines, like EMR Serverless. The driver's stdout/stderr are kept under the state
dir and uploaded (gzip) to `<LogUri>/applications/<app>/jobs/<run>/SPARK_DRIVER/` as EMR
Serverless lays them out.
"""

from __future__ import annotations

import contextlib
import gzip
import logging
import os
import shlex
import signal
import subprocess
import threading
import time
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

LOG = logging.getLogger("liberta_localstack.emr_serverless")

ACTIVE = ("SUBMITTED", "PENDING", "SCHEDULED", "RUNNING", "CANCELLING")
TERMINAL = ("SUCCESS", "FAILED", "CANCELLED")

# spark-submit settings the local run ignores (sizing and interpreters are the machine's).
IGNORED_CONF_PREFIXES = (
    "spark.pyspark.python",
    "spark.pyspark.driver.python",
    "spark.executorEnv.PYSPARK_PYTHON",
    "spark.emr-serverless.",
    "spark.executor.instances",
    "spark.executor.cores",
    "spark.executor.memory",
    "spark.driver.cores",
    "spark.driver.memory",
    "spark.dynamicAllocation.",
    "spark.yarn.",
)


def _now() -> datetime:
    return datetime.now(UTC)


class JobRunSetupError(RuntimeError):
    """The job run cannot start (bad SparkSubmitParameters, missing package file)."""


@dataclass
class SubmitSpec:
    entry_point: str
    arguments: list[str]
    py_files: list[str]
    conf: dict[str, str]


def parse_spark_submit(
    entry_point: str, arguments: list[str], parameters: str | None
) -> SubmitSpec:
    py_files: list[str] = []
    conf: dict[str, str] = {}
    tokens = shlex.split(parameters or "")
    i = 0
    while i < len(tokens):
        token = tokens[i]
        value = tokens[i + 1] if i + 1 < len(tokens) else None
        if token == "--py-files" and value is not None:
            py_files += [f for f in value.split(",") if f]
            i += 2
        elif token == "--conf" and value is not None and "=" in value:
            key, _, conf_value = value.partition("=")
            conf[key] = conf_value
            i += 2
        elif token.startswith("--conf=") or token.startswith("--py-files="):
            key, _, rest = token.partition("=")
            tokens[i : i + 1] = [key, rest]
        else:
            raise JobRunSetupError(
                f"sparkSubmitParameters option {token!r} is not supported by the local EMR "
                "Serverless (supported: --py-files, --conf)"
            )
    return SubmitSpec(
        entry_point=entry_point, arguments=list(arguments), py_files=py_files, conf=conf
    )


@dataclass
class JobRun:
    application_id: str
    application_arn: str
    release_label: str
    job_run_id: str
    name: str
    execution_role: str
    job_driver: dict[str, Any]
    configuration_overrides: dict[str, Any]
    tags: dict[str, str]
    execution_timeout_minutes: int
    created_by: str
    state: str = "SUBMITTED"
    state_details: str = ""
    created_at: datetime = field(default_factory=_now)
    updated_at: datetime = field(default_factory=_now)
    started_at: datetime | None = None
    ended_at: datetime | None = None
    process: subprocess.Popen | None = None
    cancel_requested: bool = False
    lock: threading.Lock = field(default_factory=threading.Lock)

    @property
    def arn(self) -> str:
        return f"{self.application_arn}/jobruns/{self.job_run_id}"

    def set(self, state: str, details: str | None = None) -> None:
        self.state = state
        if details is not None:
            self.state_details = details
        self.updated_at = _now()

    def describe(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "applicationId": self.application_id,
            "jobRunId": self.job_run_id,
            "name": self.name,
            "arn": self.arn,
            "createdBy": self.created_by,
            "createdAt": self.created_at,
            "updatedAt": self.updated_at,
            "executionRole": self.execution_role,
            "state": self.state,
            "stateDetails": self.state_details,
            "releaseLabel": self.release_label,
            "jobDriver": self.job_driver,
            "tags": self.tags,
            "executionTimeoutMinutes": self.execution_timeout_minutes,
            "mode": "BATCH",
            "attempt": 1,
            "attemptCreatedAt": self.created_at,
            "attemptUpdatedAt": self.updated_at,
        }
        if self.configuration_overrides:
            data["configurationOverrides"] = self.configuration_overrides
        if self.started_at:
            data["startedAt"] = self.started_at
        if self.ended_at:
            data["endedAt"] = self.ended_at
            begun = self.started_at or self.created_at
            data["totalExecutionDurationSeconds"] = int((self.ended_at - begun).total_seconds())
        return data

    def summary(self) -> dict[str, Any]:
        return {
            "applicationId": self.application_id,
            "id": self.job_run_id,
            "name": self.name,
            "mode": "BATCH",
            "arn": self.arn,
            "createdBy": self.created_by,
            "createdAt": self.created_at,
            "updatedAt": self.updated_at,
            "executionRole": self.execution_role,
            "state": self.state,
            "stateDetails": self.state_details,
            "releaseLabel": self.release_label,
            "type": "Spark",
        }


def new_job_run_id() -> str:
    # EMR Serverless ids: 16 lowercase alphanumerics.
    return uuid.uuid4().hex[:16]


_RUNNERS: list[Runner] = []


def shutdown_all() -> None:
    """End every running job run: their process groups are not LocalStack's, so stopping
    LocalStack would otherwise leave Spark running (called by the on_infra_shutdown hook)."""
    for runner in list(_RUNNERS):
        runner.shutdown()


class Runner:
    """Executes job runs in threads (one subprocess each), `max_concurrent` at a time."""

    def __init__(
        self,
        *,
        state_dir: Path,
        spark_python: str,
        endpoint: str,
        driver_memory: str,
        max_concurrent: int,
        s3_client_factory: Any,
    ) -> None:
        self.state_dir = state_dir
        self.spark_python = spark_python
        self.endpoint = endpoint
        self.driver_memory = driver_memory
        self._slots = threading.Semaphore(max(1, max_concurrent))
        self._s3 = s3_client_factory
        self._runs: list[JobRun] = []
        _RUNNERS.append(self)

    def shutdown(self) -> None:
        for job_run in list(self._runs):
            if job_run.state not in TERMINAL:
                self.cancel(job_run)

    def run_dir(self, job_run: JobRun) -> Path:
        return self.state_dir / "emr-serverless" / job_run.application_id / job_run.job_run_id

    def start(self, job_run: JobRun) -> None:
        self._runs.append(job_run)
        threading.Thread(
            target=self._run, args=(job_run,), name=f"emr-job-{job_run.job_run_id}", daemon=True
        ).start()

    def cancel(self, job_run: JobRun) -> None:
        with job_run.lock:
            if job_run.state in TERMINAL:
                return
            job_run.cancel_requested = True
            job_run.set("CANCELLING")
            process = job_run.process
        if process is not None:
            _terminate(process)

    # -- the run -------------------------------------------------------------------------

    def _run(self, job_run: JobRun) -> None:
        try:
            self._run_inner(job_run)
        except Exception as exc:  # never leave a run hanging in an active state
            LOG.exception("job run %s failed to run", job_run.job_run_id)
            with job_run.lock:
                job_run.ended_at = _now()
                job_run.set("FAILED", f"Job failed to start: {exc}")

    def _cancelled(self, job_run: JobRun) -> bool:
        with job_run.lock:
            if job_run.cancel_requested:
                job_run.ended_at = _now()
                job_run.set("CANCELLED", "Job run was cancelled by the user.")
                return True
        return False

    def _run_inner(self, job_run: JobRun) -> None:
        with job_run.lock:
            job_run.set("PENDING")
        with self._slots:
            if self._cancelled(job_run):
                return
            with job_run.lock:
                job_run.set("SCHEDULED")
            run_dir = self.run_dir(job_run)
            spark = job_run.job_driver.get("sparkSubmit") or {}
            try:
                spec = parse_spark_submit(
                    spark.get("entryPoint", ""),
                    list(spark.get("entryPointArguments") or []),
                    spark.get("sparkSubmitParameters"),
                )
                entry, py_files = self._download_package(spec, run_dir / "package")
            except JobRunSetupError as exc:
                with job_run.lock:
                    job_run.ended_at = _now()
                    job_run.set("FAILED", f"Job failed: {exc}")
                return
            if self._cancelled(job_run):
                return
            self._execute(job_run, spec, entry, py_files, run_dir)

    def _download_package(self, spec: SubmitSpec, target: Path) -> tuple[Path, list[Path]]:
        target.mkdir(parents=True, exist_ok=True)
        client = self._s3()

        def fetch(uri: str) -> Path:
            if not uri.startswith("s3://"):
                raise JobRunSetupError(f"{uri} is not an s3:// URI (the package must be in S3)")
            bucket, _, key = uri[len("s3://") :].partition("/")
            path = target / Path(key).name
            try:
                client.download_file(bucket, key, str(path))
            except Exception as exc:
                raise JobRunSetupError(f"could not download {uri} from S3 ({exc})") from None
            return path

        if not spec.entry_point:
            raise JobRunSetupError("jobDriver.sparkSubmit.entryPoint is empty")
        return fetch(spec.entry_point), [fetch(uri) for uri in spec.py_files]

    def _execute(
        self, job_run: JobRun, spec: SubmitSpec, entry: Path, py_files: list[Path], run_dir: Path
    ) -> None:
        logs = run_dir / "logs"
        logs.mkdir(parents=True, exist_ok=True)
        work = run_dir / "work"
        conf = {k: v for k, v in spec.conf.items() if not k.startswith(IGNORED_CONF_PREFIXES)}
        command = [
            self.spark_python,
            "-m",
            "liberta.localstack.job_runner",
            "--entry-point",
            str(entry),
            "--work-dir",
            str(work),
            "--driver-memory",
            self.driver_memory,
            *(arg for path in py_files for arg in ("--py-file", str(path))),
            *(arg for key, value in conf.items() for arg in ("--conf", f"{key}={value}")),
            "--",
            *spec.arguments,
        ]
        env = {
            key: value
            for key, value in os.environ.items()
            if not key.startswith(("AWS_", "PYTHON", "LOCALSTACK_", "PROVIDER_OVERRIDE_"))
            and key not in ("VIRTUAL_ENV", "GATEWAY_LISTEN", "FILESYSTEM_ROOT")
        }
        env.update(
            {
                "AWS_ENDPOINT_URL": self.endpoint,
                "AWS_ACCESS_KEY_ID": "test",
                "AWS_SECRET_ACCESS_KEY": "test",
                "AWS_DEFAULT_REGION": job_run.application_arn.split(":")[3] or "us-east-1",
                "PYTHONUNBUFFERED": "1",
            }
        )
        stdout_path, stderr_path = logs / "stdout", logs / "stderr"
        timeout_s = (
            job_run.execution_timeout_minutes * 60 if job_run.execution_timeout_minutes else None
        )
        with stdout_path.open("wb") as stdout, stderr_path.open("wb") as stderr:
            with job_run.lock:
                if job_run.cancel_requested:
                    job_run.ended_at = _now()
                    job_run.set("CANCELLED", "Job run was cancelled by the user.")
                    return
                try:
                    job_run.process = subprocess.Popen(
                        command,
                        stdout=stdout,
                        stderr=stderr,
                        stdin=subprocess.DEVNULL,
                        env=env,
                        cwd=run_dir,
                        start_new_session=True,
                    )
                except OSError as exc:
                    job_run.ended_at = _now()
                    job_run.set(
                        "FAILED",
                        f"Job failed: could not start {self.spark_python} "
                        f"(LIBERTA_SPARK_PYTHON): {exc}",
                    )
                    return
                job_run.started_at = _now()
                job_run.set("RUNNING")
            timed_out = False
            try:
                code = job_run.process.wait(timeout=timeout_s)
            except subprocess.TimeoutExpired:
                timed_out = True
                _terminate(job_run.process)
                code = job_run.process.wait()
        self._upload_logs(job_run, logs)
        with job_run.lock:
            job_run.ended_at = _now()
            if job_run.cancel_requested:
                job_run.set("CANCELLED", "Job run was cancelled by the user.")
            elif timed_out:
                job_run.set(
                    "FAILED",
                    "Job run exceeded the execution timeout of "
                    f"{job_run.execution_timeout_minutes} "
                    "minutes and was cancelled.",
                )
            elif code == 0:
                job_run.set("SUCCESS", "")
            else:
                job_run.set(
                    "FAILED",
                    "Job failed, please check complete logs in configured logging destination. "
                    f"ExitCode: {code}. Last few exceptions: {_last_errors(stderr_path)}",
                )

    def _upload_logs(self, job_run: JobRun, logs: Path) -> None:
        monitoring = (job_run.configuration_overrides or {}).get("monitoringConfiguration") or {}
        log_uri = (monitoring.get("s3MonitoringConfiguration") or {}).get("logUri")
        if not log_uri or not log_uri.startswith("s3://"):
            return
        bucket, _, prefix = log_uri[len("s3://") :].partition("/")
        base = "/".join(
            p
            for p in (
                prefix.strip("/"),
                "applications",
                job_run.application_id,
                "jobs",
                job_run.job_run_id,
                "SPARK_DRIVER",
            )
            if p
        )
        client = self._s3()
        for name in ("stdout", "stderr"):
            try:
                client.put_object(
                    Bucket=bucket,
                    Key=f"{base}/{name}.gz",
                    Body=gzip.compress((logs / name).read_bytes()),
                )
            except Exception:
                LOG.exception(
                    "could not upload the %s of job run %s to %s", name, job_run.job_run_id, log_uri
                )


def _terminate(process: subprocess.Popen, grace_s: float = 10.0) -> None:
    """End the run's whole process group (Spark's JVM included): TERM, then KILL."""
    try:
        os.killpg(process.pid, signal.SIGTERM)
    except ProcessLookupError:
        return
    deadline = time.monotonic() + grace_s
    while process.poll() is None and time.monotonic() < deadline:
        time.sleep(0.1)
    if process.poll() is None:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)


def _last_errors(stderr_path: Path, lines: int = 5) -> str:
    try:
        text = stderr_path.read_text(encoding="utf-8", errors="replace").splitlines()
    except OSError:
        return "(no driver stderr)"
    interesting = [
        line.strip()
        for line in text
        if any(word in line for word in ("ERROR", "Error", "Exception", "error:"))
    ]
    chosen = (interesting or [line.strip() for line in text if line.strip()])[-lines:]
    return " | ".join(chosen) if chosen else "(driver stderr is empty)"
