"""The local Postgres that stands in for Redshift: started by the project, no Docker, no root.

Debian's PostgreSQL binaries refuse to run as root; when Liberta runs as root the data
directory belongs to the `postgres` OS user and `initdb`/`pg_ctl` run through
`runuser -u postgres --`. The server listens on 127.0.0.1 only, with trust authentication on
loopback only (initdb's `--auth=trust` covers local sockets and 127.0.0.1/::1 only).

`LIBERTA_DB_URL` points everything at an existing Postgres instead of this one.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path

import psycopg
from psycopg import sql as pgsql

from liberta.config import liberta_home

DEFAULT_PORT = 54329
DEFAULT_BIN_DIR = Path("/usr/lib/postgresql/15/bin")
SERVICE_USER = "postgres"


class PostgresServerError(RuntimeError):
    """The local Postgres could not be set up, started or stopped (the message says why)."""


def default_port() -> int:
    raw = os.environ.get("LIBERTA_DB_PORT")
    if not raw:
        return DEFAULT_PORT
    try:
        port = int(raw)
    except ValueError:
        raise PostgresServerError(f"LIBERTA_DB_PORT={raw!r} is not a port number") from None
    if not 1 <= port <= 65535:
        raise PostgresServerError(f"LIBERTA_DB_PORT={raw!r} is not a port number (1-65535)")
    return port


@dataclass(frozen=True, kw_only=True)
class LocalPostgresConfig:
    """Where and how the local Postgres runs. `from_env()` applies the documented defaults."""

    data_dir: Path
    port: int = DEFAULT_PORT
    host: str = "127.0.0.1"
    database: str = "liberta"
    user: str = "postgres"
    bin_dir: Path = DEFAULT_BIN_DIR
    # Extra server settings (`-c name=value`), e.g. fsync=off for throwaway test servers.
    settings: dict[str, str] = field(default_factory=dict)
    start_timeout_s: int = 30

    @classmethod
    def from_env(cls) -> LocalPostgresConfig:
        return cls(data_dir=liberta_home() / "pgdata", port=default_port())

    @property
    def url(self) -> str:
        return f"postgresql://{self.user}@{self.host}:{self.port}/{self.database}"

    def admin_url(self) -> str:
        return f"postgresql://{self.user}@{self.host}:{self.port}/postgres"


def resolve_db_url() -> str:
    """`LIBERTA_DB_URL` if set, else the URL of the project's local Postgres."""
    return os.environ.get("LIBERTA_DB_URL") or LocalPostgresConfig.from_env().url


@dataclass(frozen=True)
class ServerStatus:
    running: bool
    url: str
    data_dir: Path
    detail: str


class LocalPostgres:
    """Start (idempotent), stop and inspect the project's own Postgres."""

    def __init__(self, config: LocalPostgresConfig | None = None) -> None:
        self.config = config or LocalPostgresConfig.from_env()

    @property
    def url(self) -> str:
        return self.config.url

    # -- commands -------------------------------------------------------------------------

    def _as_service_user(self) -> bool:
        return os.geteuid() == 0

    def _run(self, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        binary = self.config.bin_dir / args[0]
        if not binary.exists():
            raise PostgresServerError(
                f"{binary} not found: install Debian's postgresql-15 (apt-get install "
                f"postgresql-15) or set LIBERTA_DB_URL to an existing Postgres"
            )
        command = [str(binary), *args[1:]]
        if self._as_service_user():
            command = ["runuser", "-u", SERVICE_USER, "--", *command]
        result = subprocess.run(command, capture_output=True, text=True, check=False)
        if check and result.returncode != 0:
            raise PostgresServerError(
                f"{args[0]} failed (exit {result.returncode}): "
                f"{(result.stderr or result.stdout).strip()}"
            )
        return result

    # -- lifecycle ------------------------------------------------------------------------

    def is_initialized(self) -> bool:
        return (self.config.data_dir / "PG_VERSION").exists()

    def status(self) -> ServerStatus:
        data_dir = self.config.data_dir
        if not self.is_initialized():
            return ServerStatus(False, self.url, data_dir, f"no database cluster in {data_dir}")
        result = self._run("pg_ctl", "status", "-D", str(data_dir), check=False)
        running = result.returncode == 0
        detail = f"running on {self.config.host}:{self.config.port}" if running else "stopped"
        return ServerStatus(running, self.url, data_dir, detail)

    def init(self) -> None:
        """Create the database cluster (once)."""
        if self.is_initialized():
            return
        data_dir = self.config.data_dir
        self._prepare_data_dir(data_dir)
        self._run(
            "initdb",
            "-D",
            str(data_dir),
            "-U",
            self.config.user,
            "--auth=trust",
            "-E",
            "UTF8",
            "--locale=C.UTF-8",
        )

    def start(self) -> ServerStatus:
        """Initialise if needed, start if stopped, create the database; safe to call again."""
        self.init()
        status = self.status()
        if not status.running:
            self._ensure_port_free()
            data_dir = str(self.config.data_dir)
            options = [
                f"-p {self.config.port}",
                f"-h {self.config.host}",
                f"-k {data_dir}",
                *(f"-c {name}={value}" for name, value in self.config.settings.items()),
            ]
            self._run(
                "pg_ctl",
                "-D",
                data_dir,
                "-l",
                str(self.config.data_dir / "server.log"),
                "-w",
                "-t",
                str(self.config.start_timeout_s),
                "-o",
                " ".join(options),
                "start",
            )
        self._wait_ready()
        self._ensure_database()
        return self.status()

    def stop(self) -> ServerStatus:
        """Stop the server if it runs (fast shutdown: open sessions are rolled back)."""
        if self.is_initialized() and self.status().running:
            self._run("pg_ctl", "-D", str(self.config.data_dir), "-m", "fast", "-w", "stop")
        return self.status()

    # -- helpers --------------------------------------------------------------------------

    def _prepare_data_dir(self, data_dir: Path) -> None:
        data_dir.parent.mkdir(parents=True, exist_ok=True)
        data_dir.mkdir(mode=0o700, exist_ok=True)
        if self._as_service_user():
            shutil.chown(data_dir, SERVICE_USER, SERVICE_USER)
            self._check_reachable(data_dir)

    def _check_reachable(self, data_dir: Path) -> None:
        """As root: the postgres OS user must be able to traverse every parent directory."""
        for parent in data_dir.parents:
            mode = parent.stat().st_mode
            if not mode & 0o001:
                raise PostgresServerError(
                    f"the {SERVICE_USER} OS user cannot reach {data_dir}: {parent} is not "
                    f"searchable by others (mode {oct(mode & 0o777)}); set LIBERTA_HOME to a "
                    f"directory under /tmp, or run 'chmod o+x {parent}'"
                )

    def _ensure_port_free(self) -> None:
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
            if probe.connect_ex((self.config.host, self.config.port)) == 0:
                raise PostgresServerError(
                    f"port {self.config.port} on {self.config.host} is already in use by "
                    f"another process; choose another with LIBERTA_DB_PORT"
                )

    def _wait_ready(self) -> None:
        deadline = time.monotonic() + self.config.start_timeout_s
        while True:
            try:
                with psycopg.connect(self.config.admin_url(), connect_timeout=2):
                    return
            except psycopg.OperationalError as exc:
                if time.monotonic() > deadline:
                    log = self.config.data_dir / "server.log"
                    raise PostgresServerError(
                        f"Postgres did not accept connections on {self.config.host}:"
                        f"{self.config.port} within {self.config.start_timeout_s}s ({exc}); "
                        f"see {log}"
                    ) from exc
                time.sleep(0.1)

    def _ensure_database(self) -> None:
        with psycopg.connect(self.config.admin_url(), autocommit=True) as conn:
            exists = conn.execute(
                "SELECT 1 FROM pg_database WHERE datname = %s", (self.config.database,)
            ).fetchone()
            if not exists:
                conn.execute(
                    pgsql.SQL("CREATE DATABASE {}").format(pgsql.Identifier(self.config.database))
                )


def free_port(host: str = "127.0.0.1") -> int:
    """A TCP port nobody listens on right now (for throwaway servers)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((host, 0))
        return int(sock.getsockname()[1])
