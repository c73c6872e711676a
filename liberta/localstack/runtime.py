"""Start, stop and inspect LocalStack on the host (no Docker), with Liberta's extension.

State lives under `<LIBERTA_HOME>/localstack/`: `localstack.pid`, `localstack.log`, the
`filesystem/` LocalStack writes to, `state/` of the extension (job runs, their logs) and
`venvs/` (see venv.py). LocalStack listens on 127.0.0.1:4566 only
(`LIBERTA_LOCALSTACK_PORT` moves it, e.g. for tests when 4566 is busy).

The warehouse is the project's own Postgres (`liberta.warehouse.server.LocalPostgres`,
started if needed) or `LIBERTA_DB_URL`; the extension gets its admin URL through
`LIBERTA_LS_DB_URL`.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from liberta.config import liberta_home
from liberta.localstack.venv import LOCALSTACK_VERSION, LocalStackVenv, ensure_venv

DEFAULT_PORT = 4566
HOST = "127.0.0.1"
# The extension logs this line once its Step Functions patches are in; start() waits for it.
PATCHES_APPLIED_MARKER = "liberta-localstack-ext: Step Functions patches applied"
PATCHES_REFUSED_MARKER = "liberta-localstack-ext: REFUSING"


class LocalStackError(RuntimeError):
    """LocalStack could not be started, reached or stopped (the message says why)."""


def default_port() -> int:
    raw = os.environ.get("LIBERTA_LOCALSTACK_PORT", "").strip()
    if not raw:
        return DEFAULT_PORT
    if not raw.isdigit() or not 1 <= int(raw) <= 65535:
        raise LocalStackError(f"LIBERTA_LOCALSTACK_PORT={raw!r} is not a port number")
    return int(raw)


@dataclass(frozen=True, kw_only=True)
class LocalStackConfig:
    state_dir: Path
    db_url: str
    port: int = DEFAULT_PORT
    venvs_root: Path | None = None
    spark_python: str = sys.executable
    spark_driver_memory: str = "2g"
    start_timeout_s: float = 90.0
    extra_env: dict[str, str] = field(default_factory=dict)

    @classmethod
    def from_env(cls, *, db_url: str | None = None) -> LocalStackConfig:
        return cls(
            state_dir=liberta_home() / "localstack",
            db_url=db_url or warehouse_admin_url(),
            port=default_port(),
            spark_python=os.environ.get("LIBERTA_SPARK_PYTHON") or sys.executable,
            spark_driver_memory=os.environ.get("LIBERTA_SPARK_DRIVER_MEMORY", "2g"),
        )

    @property
    def endpoint(self) -> str:
        return f"http://{HOST}:{self.port}"

    @property
    def pid_file(self) -> Path:
        return self.state_dir / "localstack.pid"

    @property
    def log_file(self) -> Path:
        return self.state_dir / "localstack.log"


def warehouse_admin_url() -> str:
    """`LIBERTA_DB_URL`, else the project's own Postgres (started if it is not running)."""
    explicit = os.environ.get("LIBERTA_DB_URL")
    if explicit:
        return explicit
    from liberta.warehouse.server import LocalPostgres

    server = LocalPostgres()
    server.start()
    return server.config.admin_url()


def _local_warehouse_admin_url() -> str:
    """`LIBERTA_DB_URL`, else the admin URL of the project's own Postgres, not starting it."""
    from liberta.warehouse.server import LocalPostgresConfig

    return os.environ.get("LIBERTA_DB_URL") or LocalPostgresConfig.from_env().admin_url()


def _redacted(url: str) -> str:
    # Never print a password that a LIBERTA_DB_URL may carry.
    import re

    return re.sub(r"(://[^:/@]+):[^@]*@", r"\1:***@", url)


def _port_open(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.settimeout(0.5)
        return probe.connect_ex((HOST, port)) == 0


def health(config: LocalStackConfig, timeout: float = 2.0) -> dict[str, Any] | None:
    try:
        with urllib.request.urlopen(f"{config.endpoint}/_localstack/health", timeout=timeout) as r:
            return json.loads(r.read())
    except (urllib.error.URLError, OSError, ValueError):
        return None


def _read_pid(config: LocalStackConfig) -> int | None:
    try:
        pid = int(config.pid_file.read_text().strip())
    except (OSError, ValueError):
        return None
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return None
    except PermissionError:
        pass
    return pid


def environment(config: LocalStackConfig) -> dict[str, str]:
    """The environment LocalStack starts with (notes.md: the settings that work on the host)."""
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("AWS_", "LOCALSTACK_", "PROVIDER_OVERRIDE_"))
    }
    env.update(
        {
            "GATEWAY_LISTEN": f"{HOST}:{config.port}",
            "GATEWAY_SERVER": "hypercorn",
            "OVERRIDE_IN_DOCKER": "0",
            "PERSISTENCE": "0",
            "DNS_ADDRESS": "0",
            "SKIP_SSL_CERT_DOWNLOAD": "1",
            "DISABLE_EVENTS": "1",  # or shutdown hangs sending analytics
            "AWS_ACCESS_KEY_ID": "test",
            "AWS_SECRET_ACCESS_KEY": "test",
            "AWS_DEFAULT_REGION": "us-east-1",
            "AWS_EC2_METADATA_DISABLED": "true",
            "FILESYSTEM_ROOT": str(config.state_dir / "filesystem"),
            "LOCALSTACK_HOST": f"{HOST}:{config.port}",
            # Liberta's providers instead of LocalStack's "not included in your license".
            "PROVIDER_OVERRIDE_REDSHIFT_DATA": "liberta",
            "PROVIDER_OVERRIDE_EMR_SERVERLESS": "liberta",
            # The extension's settings (liberta_localstack/settings.py).
            "LIBERTA_LS_DB_URL": config.db_url,
            "LIBERTA_LS_STATE_DIR": str(config.state_dir / "state"),
            "LIBERTA_LS_ENDPOINT": config.endpoint,
            "LIBERTA_SPARK_PYTHON": config.spark_python,
            "LIBERTA_SPARK_DRIVER_MEMORY": config.spark_driver_memory,
            "PYTHONUNBUFFERED": "1",
        }
    )
    env.pop("PYTHONPATH", None)  # Liberta's 3.11 paths must not leak into the 3.13 venv
    env.update(config.extra_env)
    return env


@dataclass(frozen=True)
class StartResult:
    endpoint: str
    pid: int
    already_running: bool
    seconds: float
    venv: LocalStackVenv | None


def start(config: LocalStackConfig | None = None) -> StartResult:
    """Build the venv if needed, start LocalStack, wait until healthy and patched."""
    config = config or LocalStackConfig.from_env()
    started = time.monotonic()
    pid = _read_pid(config)
    if pid and health(config):
        return StartResult(config.endpoint, pid, True, 0.0, None)
    if _port_open(config.port):
        raise LocalStackError(
            f"{HOST}:{config.port} is already in use by another process (not the LocalStack of "
            f"{config.state_dir}); stop it or choose another port with LIBERTA_LOCALSTACK_PORT"
        )
    venv = ensure_venv(root=config.venvs_root)
    config.state_dir.mkdir(parents=True, exist_ok=True)
    (config.state_dir / "filesystem").mkdir(exist_ok=True)
    (config.state_dir / "state").mkdir(exist_ok=True)
    log = config.log_file.open("w", encoding="utf-8")
    try:
        process = subprocess.Popen(
            [str(venv.python), "-m", "localstack.runtime.main"],
            env=environment(config),
            cwd=config.state_dir,
            stdout=log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=True,  # its own process group: stop() ends LocalStack and children
        )
    finally:
        log.close()
    config.pid_file.write_text(f"{process.pid}\n", encoding="utf-8")
    deadline = time.monotonic() + config.start_timeout_s
    while True:
        if process.poll() is not None:
            config.pid_file.unlink(missing_ok=True)
            raise LocalStackError(
                f"LocalStack exited during start-up (exit {process.returncode}); see "
                f"{config.log_file}:\n{_log_tail(config)}"
            )
        text = config.log_file.read_text(encoding="utf-8", errors="replace")
        if PATCHES_REFUSED_MARKER in text:
            stop(config)
            raise LocalStackError(
                "Liberta's extension refused to patch this LocalStack version; see "
                f"{config.log_file}:\n{_log_tail(config)}"
            )
        if health(config) and PATCHES_APPLIED_MARKER in text:
            break
        if time.monotonic() > deadline:
            stop(config)
            raise LocalStackError(
                f"LocalStack did not become ready on {config.endpoint} within "
                f"{config.start_timeout_s:g}s; see {config.log_file}:\n{_log_tail(config)}"
            )
        time.sleep(0.25)
    return StartResult(config.endpoint, process.pid, False, time.monotonic() - started, venv)


def _log_tail(config: LocalStackConfig, lines: int = 20) -> str:
    try:
        text = config.log_file.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return "(no log)"
    return "\n".join(text.splitlines()[-lines:])


def stop(config: LocalStackConfig | None = None, timeout_s: float = 30.0) -> bool:
    """Stop LocalStack (SIGTERM to its process group, SIGKILL after `timeout_s`).

    Returns whether a running LocalStack was stopped.
    """
    config = config or LocalStackConfig.from_env(db_url="unused")
    pid = _read_pid(config)
    if pid is None:
        config.pid_file.unlink(missing_ok=True)
        return False
    try:
        os.killpg(pid, signal.SIGTERM)
    except ProcessLookupError:
        config.pid_file.unlink(missing_ok=True)
        return False
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        try:
            waited, _ = os.waitpid(pid, os.WNOHANG)
        except ChildProcessError:
            waited = 0
            try:
                os.kill(pid, 0)
            except ProcessLookupError:
                waited = pid
        if waited == pid:
            break
        time.sleep(0.2)
    else:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(pid, signal.SIGKILL)
    config.pid_file.unlink(missing_ok=True)
    return True


def status(config: LocalStackConfig | None = None) -> dict[str, Any]:
    """What `liberta localstack status --json` prints."""
    # Reporting must not start (or initdb) the project's Postgres.
    config = config or LocalStackConfig.from_env(db_url=_local_warehouse_admin_url())
    pid = _read_pid(config)
    report = health(config) if pid else None
    services = (report or {}).get("services", {})
    return {
        "endpoint": config.endpoint,
        "running": bool(pid and report),
        "pid": pid,
        "versions": {
            "localstack": (report or {}).get("version", LOCALSTACK_VERSION),
            "python": "3.13",
        },
        "services": {
            name: services.get(name)
            for name in ("redshift-data", "emr-serverless", "stepfunctions", "cloudformation", "s3")
        },
        "warehouse_url": _redacted(config.db_url) if config.db_url else None,
        "state_dir": str(config.state_dir),
        "log": str(config.log_file),
        # For `liberta localstack deploy` (issue 9): whether the CDK app's local stage is
        # deployed and its outputs (raw/curated bucket, state machine ARN). Filled by the
        # deploy command's own status function; None means "not checked here".
        "stack": None,
    }
