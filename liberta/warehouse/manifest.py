"""Read and validate a run manifest (`docs/run-manifest.md`) and fetch the files it lists.

The values that reach SQL are validated strictly: on Redshift they are substituted into the
statements as text (the Data API batch has no bind parameters), so a manifest that would be
unsafe or ambiguous there is rejected here too, with the field named.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import shutil
import tempfile
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlparse

from emr_jobs.tables import TABLES
from liberta.warehouse.errors import LoadError

FORMAT_VERSION = 1
COUNT_FIELDS = ("read", "valid", "quarantined", "duplicates", "time_corrected")
_RUN_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._:-]{0,63}")
_ISO_TS = re.compile(r"\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]00:?00)?")
_SAFE_TEXT = re.compile(r"[^'\\\x00-\x1f{}]{1,256}")


@dataclass(frozen=True)
class FileEntry:
    url: str
    content_length: int | None


@dataclass(frozen=True)
class TableFiles:
    name: str
    rows: int
    copy_manifest: str | None
    entries: tuple[FileEntry, ...]


@dataclass(frozen=True)
class RunManifest:
    uri: str
    run_id: str
    full_refresh: bool
    window_since: str | None
    window_until: str | None
    high_water_mark: str | None
    counts: dict[str, int]
    quarantine_by_reason: dict[str, int]
    tables: dict[str, TableFiles]


def _fail(uri: str, message: str) -> LoadError:
    return LoadError(f"bad run manifest {uri}: {message}")


def _int(uri: str, value: Any, field: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise _fail(uri, f"{field} must be an integer >= 0, got {value!r}")
    return value


def _timestamp(uri: str, value: Any, field: str) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str) or not _ISO_TS.fullmatch(value):
        raise _fail(uri, f"{field} must be an ISO-8601 UTC timestamp or null, got {value!r}")
    return value


def parse_manifest(uri: str, document: Any) -> RunManifest:
    """Validate a decoded manifest; every problem names the field."""
    if not isinstance(document, Mapping):
        raise _fail(uri, "the top level must be a JSON object")
    if document.get("format_version") != FORMAT_VERSION:
        raise _fail(
            uri,
            f"format_version must be {FORMAT_VERSION}, got {document.get('format_version')!r}",
        )
    run_id = document.get("run_id")
    if not isinstance(run_id, str) or not _RUN_ID.fullmatch(run_id):
        raise _fail(uri, f"run_id must match {_RUN_ID.pattern}, got {run_id!r}")
    window = document.get("window")
    if not isinstance(window, Mapping):
        raise _fail(uri, "window must be an object")
    full_refresh = window.get("full_refresh", False)
    if not isinstance(full_refresh, bool):
        raise _fail(uri, f"window.full_refresh must be true or false, got {full_refresh!r}")

    counts_doc = document.get("counts")
    if not isinstance(counts_doc, Mapping):
        raise _fail(uri, "counts must be an object")
    counts = {}
    for name in COUNT_FIELDS:
        if name not in counts_doc:
            raise _fail(uri, f"counts.{name} is missing")
        counts[name] = _int(uri, counts_doc[name], f"counts.{name}")
    if counts["read"] != counts["valid"] + counts["quarantined"] + counts["duplicates"]:
        raise _fail(
            uri,
            f"counts.read ({counts['read']}) must equal valid + quarantined + duplicates "
            f"({counts['valid']} + {counts['quarantined']} + {counts['duplicates']})",
        )

    quarantine = document.get("quarantine") or {}
    by_reason_doc = quarantine.get("by_reason", {}) if isinstance(quarantine, Mapping) else None
    if not isinstance(by_reason_doc, Mapping):
        raise _fail(uri, "quarantine.by_reason must be an object {reason: count}")
    by_reason = {}
    for reason, count in by_reason_doc.items():
        if not _SAFE_TEXT.fullmatch(reason):
            raise _fail(
                uri,
                f"quarantine.by_reason key {reason!r} must be 1-256 characters without quotes, "
                f"backslashes, braces or control characters",
            )
        by_reason[reason] = _int(uri, count, f"quarantine.by_reason[{reason!r}]")

    tables_doc = document.get("tables")
    if not isinstance(tables_doc, Mapping):
        raise _fail(uri, "tables must be an object with one entry per table")
    tables = {}
    for table in TABLES:
        entry = tables_doc.get(table.name)
        if not isinstance(entry, Mapping):
            raise _fail(uri, f"tables.{table.name} is missing (every table must be listed)")
        rows = _int(uri, entry.get("rows"), f"tables.{table.name}.rows")
        files = entry.get("entries")
        if not isinstance(files, list):
            raise _fail(uri, f"tables.{table.name}.entries must be a list")
        parsed = []
        for i, item in enumerate(files):
            where = f"tables.{table.name}.entries[{i}]"
            if not isinstance(item, Mapping) or not isinstance(item.get("url"), str):
                raise _fail(uri, f"{where} must be an object with a url")
            length = (item.get("meta") or {}).get("content_length")
            if length is not None:
                length = _int(uri, length, f"{where}.meta.content_length")
            parsed.append(FileEntry(url=item["url"], content_length=length))
        copy_manifest = entry.get("copy_manifest")
        tables[table.name] = TableFiles(table.name, rows, copy_manifest, tuple(parsed))
    unknown = sorted(set(tables_doc) - {t.name for t in TABLES})
    if unknown:
        raise _fail(uri, f"tables has unknown table(s) {unknown}")

    return RunManifest(
        uri=uri,
        run_id=run_id,
        full_refresh=full_refresh,
        window_since=_timestamp(uri, window.get("since"), "window.since"),
        window_until=_timestamp(uri, window.get("until"), "window.until"),
        high_water_mark=_timestamp(uri, document.get("high_water_mark"), "high_water_mark"),
        counts=counts,
        quarantine_by_reason=by_reason,
        tables=tables,
    )


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
        document = json.loads(raw)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise _fail(uri, f"not valid JSON ({exc})") from exc
    return parse_manifest(uri, document)


def load_values(manifest: RunManifest) -> dict[str, object]:
    """The values of the load placeholders for this run (bound as parameters on Postgres)."""
    values: dict[str, object] = {
        "run_id": manifest.run_id,
        "full_refresh": manifest.full_refresh,
        "window_since": manifest.window_since,
        "window_until": manifest.window_until,
        "high_water_mark": manifest.high_water_mark,
        "quarantine_by_reason": json.dumps(manifest.quarantine_by_reason, sort_keys=True),
    }
    values.update({f"counts_{name}": manifest.counts[name] for name in COUNT_FIELDS})
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
