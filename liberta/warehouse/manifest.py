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
from liberta_core.layout import LOAD_SUMMARY_NAME
from liberta_core.manifest import LOAD_SUMMARY_COLUMNS, ManifestError, RunManifest


def read_load_summary(manifest_uri: str) -> dict[str, object]:
    """The run's load summary (`load/summary.json` next to the manifest), as the job wrote it.

    Only its shape is checked here: the quality gate checks its values in SQL, as it does on
    Redshift, where the summary is COPYed without passing through Python.
    """
    uri = manifest_uri.rsplit("/", 1)[0] + "/" + LOAD_SUMMARY_NAME
    try:
        with fetch(uri) as path:
            document = json.loads(path.read_bytes())
    except FileNotFoundError as exc:
        raise LoadError(f"the run has no load summary at {uri} ({exc})") from exc
    except Exception as exc:
        raise LoadError(f"cannot read the load summary {uri}: {exc}") from exc
    if not isinstance(document, dict) or set(document) != set(LOAD_SUMMARY_COLUMNS):
        found = sorted(document) if isinstance(document, dict) else type(document).__name__
        raise LoadError(
            f"bad load summary {uri}: expected the fields {list(LOAD_SUMMARY_COLUMNS)}, "
            f"found {found}"
        )
    return {name: document[name] for name in LOAD_SUMMARY_COLUMNS}


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
