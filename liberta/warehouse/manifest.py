"""Fetch a run manifest (`liberta_core.manifest`) and the files it lists, for the local load."""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import unquote, urlparse

from liberta.warehouse.errors import LoadError
from liberta_core.manifest import COUNT_FIELDS, ManifestError, RunManifest
from liberta_core.timestamps import format_timestamp


def read_manifest(uri: str) -> RunManifest:
    """Fetch (file:// path or s3://) and validate a run manifest."""
    try:
        with fetch(uri) as path:
            raw = path.read_bytes()
    except LoadError:
        raise
    except Exception as exc:
        raise LoadError(f"cannot read run manifest {uri}: {exc}") from exc
    try:
        return RunManifest.from_bytes(raw, uri=uri)
    except ManifestError as exc:
        raise LoadError(str(exc)) from exc


def load_values(manifest: RunManifest) -> dict[str, object]:
    """The values of the load placeholders for this run (bound as parameters on Postgres)."""

    def iso(value: object) -> str | None:
        return None if value is None else format_timestamp(value)  # type: ignore[arg-type]

    values: dict[str, object] = {
        "run_id": manifest.run_id,
        "full_refresh": manifest.window.full_refresh,
        "window_since": iso(manifest.window.since),
        "window_until": iso(manifest.window.until),
        "high_water_mark": iso(manifest.high_water_mark),
        "quarantine_by_reason": json.dumps(dict(manifest.quarantine.by_reason), sort_keys=True),
    }
    values.update({f"counts_{name}": getattr(manifest.counts, name) for name in COUNT_FIELDS})
    values.update({f"rows_{name}": t.rows for name, t in manifest.tables.items()})
    return values


@contextlib.contextmanager
def fetch(url: str) -> Iterator[Path]:
    """A local path holding the object at `url`: file:// (or a plain path) as is, s3:// copied
    to a temporary file (boto3, honouring AWS_ENDPOINT_URL) and removed afterwards."""
    parsed = urlparse(url)
    if parsed.scheme in ("", "file"):
        path = Path(unquote(parsed.path) if parsed.scheme else url)
        if not path.is_file():
            raise FileNotFoundError(f"no such file: {path}")
        yield path
    elif parsed.scheme in ("s3", "s3a"):
        import boto3

        client = boto3.client("s3", endpoint_url=os.environ.get("AWS_ENDPOINT_URL") or None)
        tmp_dir = Path(tempfile.mkdtemp(prefix="liberta-load-"))
        try:
            target = tmp_dir / (Path(parsed.path).name or "object")
            client.download_file(parsed.netloc, parsed.path.lstrip("/"), str(target))
            yield target
        finally:
            shutil.rmtree(tmp_dir, ignore_errors=True)
    else:
        raise ValueError(f"unsupported URL scheme {parsed.scheme!r} in {url} (file:// or s3://)")
