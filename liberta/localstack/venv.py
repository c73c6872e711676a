"""The pinned Python 3.13 venv LocalStack runs in, with Liberta's extension installed.

`localstack-core` 2026.3.0 needs Python 3.13; Liberta itself stays on 3.11, so LocalStack gets
its own venv under `<LIBERTA_HOME>/localstack/venvs/venv-<key>`. The key is a hash of
everything that decides its contents (requirements.txt, constraints.txt, the extension's
pyproject.toml and the interpreter version): the venv is built once and reused until one of
them changes (a new build removes the venvs of older keys, ~0.7 GB each). The extension is
installed editable, so its code changes need no rebuild; a lock serialises concurrent builds.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import os
import shutil
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

from liberta.config import liberta_home

PYTHON_VERSION = (3, 13)
LOCALSTACK_VERSION = "2026.3.0"


class LocalStackSetupError(RuntimeError):
    """The LocalStack venv could not be found or built (the message says what to do)."""


def project_localstack_dir() -> Path:
    """`localstack/` of this checkout: requirements, constraints, the extension package."""
    return Path(__file__).resolve().parents[2] / "localstack"


def venvs_root() -> Path:
    return liberta_home() / "localstack" / "venvs"


def _interpreter_version(python: str) -> tuple[int, int] | None:
    try:
        out = subprocess.run(
            [python, "-c", "import sys; print(sys.version_info[0], sys.version_info[1])"],
            capture_output=True,
            text=True,
            timeout=30,
            check=True,
        ).stdout.split()
    except (OSError, subprocess.SubprocessError):
        return None
    return int(out[0]), int(out[1])


def find_python313() -> str:
    """`LIBERTA_PYTHON313`, else pyenv's 3.13.x, else `python3.13` on PATH."""
    candidates: list[str] = []
    explicit = os.environ.get("LIBERTA_PYTHON313")
    if explicit:
        if _interpreter_version(explicit) != PYTHON_VERSION:
            raise LocalStackSetupError(
                f"LIBERTA_PYTHON313={explicit} is not a working Python 3.13 interpreter"
            )
        return explicit
    pyenv_root = os.environ.get("PYENV_ROOT") or str(Path.home() / ".pyenv")
    if shutil.which("pyenv"):
        with contextlib.suppress(OSError, subprocess.SubprocessError):
            pyenv_root = subprocess.run(
                ["pyenv", "root"], capture_output=True, text=True, timeout=30, check=True
            ).stdout.strip()
    versions = Path(pyenv_root) / "versions"
    if versions.is_dir():
        candidates += [
            str(p / "bin" / "python")
            for p in sorted(versions.glob("3.13*"), reverse=True)
            if (p / "bin" / "python").exists()
        ]
    on_path = shutil.which("python3.13")
    if on_path:
        candidates.append(on_path)
    for candidate in candidates:
        if _interpreter_version(candidate) == PYTHON_VERSION:
            return candidate
    raise LocalStackSetupError(
        "LocalStack 2026.3.0 needs Python 3.13 and none was found (looked at "
        "LIBERTA_PYTHON313, pyenv's versions/3.13*, python3.13 on PATH). Install one, e.g. "
        "`pyenv install 3.13` or `apt-get install python3.13 python3.13-venv`, or point "
        "LIBERTA_PYTHON313 at an existing 3.13 interpreter."
    )


@dataclass(frozen=True)
class LocalStackVenv:
    path: Path
    key: str
    built_now: bool
    build_seconds: float

    @property
    def python(self) -> Path:
        return self.path / "bin" / "python"


def venv_key(python: str, source: Path | None = None) -> str:
    source = source or project_localstack_dir()
    digest = hashlib.sha256()
    for relpath in ("requirements.txt", "constraints.txt", "extension/pyproject.toml"):
        digest.update(relpath.encode() + b"\0" + (source / relpath).read_bytes() + b"\0")
    digest.update(repr(_interpreter_version(python)).encode())
    digest.update(str(source.resolve()).encode())  # the editable install points here
    return digest.hexdigest()[:12]


def _run(command: list[str], log: Path) -> None:
    with log.open("a", encoding="utf-8") as out:
        out.write("$ " + " ".join(command) + "\n")
        out.flush()
        result = subprocess.run(command, stdout=out, stderr=subprocess.STDOUT, check=False)
    if result.returncode != 0:
        tail = log.read_text(encoding="utf-8", errors="replace").splitlines()[-15:]
        raise LocalStackSetupError(
            f"building the LocalStack venv failed at `{' '.join(command[:4])} ...` "
            f"(exit {result.returncode}); see {log}:\n" + "\n".join(tail)
        )


def ensure_venv(*, root: Path | None = None) -> LocalStackVenv:
    """The venv for the current pins, built if missing (atomically: a failed build leaves none)."""
    python = find_python313()
    source = project_localstack_dir()
    key = venv_key(python, source)
    root = root or venvs_root()
    target = root / f"venv-{key}"
    if (target / ".complete").exists():
        return LocalStackVenv(path=target, key=key, built_now=False, build_seconds=0.0)
    root.mkdir(parents=True, exist_ok=True)
    started = time.monotonic()
    # Two processes (e.g. two test sessions) may want the same venv: one builds, one waits.
    with (root / f".build-{key}.lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if (target / ".complete").exists():
            return LocalStackVenv(
                path=target, key=key, built_now=False, build_seconds=time.monotonic() - started
            )
        return _build(python, source, key, target, root, started)


def _build(
    python: str, source: Path, key: str, target: Path, root: Path, started: float
) -> LocalStackVenv:
    # venvs hard-code their own path, so the venv is built in place; `.complete` is written
    # last and a failed build is removed, so a half-built venv is never used.
    shutil.rmtree(target, ignore_errors=True)
    log = root / f"build-{key}.log"
    log.write_text("", encoding="utf-8")
    try:
        _run([python, "-m", "venv", str(target)], log)
        pip = [str(target / "bin" / "python"), "-m", "pip", "--disable-pip-version-check"]
        requirements = ["-r", str(source / "requirements.txt")]
        _run(
            [*pip, "install", "--quiet", *requirements, "-c", str(source / "constraints.txt")], log
        )
        _run([*pip, "install", "--quiet", "--no-deps", "-e", str(source / "extension")], log)
        _run([str(target / "bin" / "python"), "-c", "import localstack, liberta_localstack"], log)
    except BaseException:
        shutil.rmtree(target, ignore_errors=True)
        raise
    (target / ".complete").write_text(LOCALSTACK_VERSION + "\n", encoding="utf-8")
    # Venvs of older pins are dead weight (~0.5 GB each): remove them.
    for stale in root.glob("venv-*"):
        if stale != target:
            shutil.rmtree(stale, ignore_errors=True)
            (root / f"build-{stale.name.removeprefix('venv-')}.log").unlink(missing_ok=True)
    return LocalStackVenv(
        path=target, key=key, built_now=True, build_seconds=time.monotonic() - started
    )
