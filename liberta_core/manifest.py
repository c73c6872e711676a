"""The run manifest (`docs/run-manifest.md`): written last by the Spark job, read by the load.

One typed definition: the job builds a `RunManifest` and writes `to_bytes()`; the local loader
and `liberta load` read it back with `RunManifest.from_json`, which validates every field and
names the one that is wrong. The per-table COPY manifests (`copy_manifest_bytes`) are the
Redshift format of each table's file list.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from liberta_core.run_id import RULE_TEXT, is_valid_run_id
from liberta_core.tables import TABLE_NAMES
from liberta_core.timestamps import TimestampError, format_timestamp, parse_timestamp

FORMAT_VERSION = 1
COUNT_FIELDS: tuple[str, ...] = ("read", "valid", "quarantined", "duplicates", "time_corrected")
# Quarantine reasons are machine-made (`missing_field:data.user_id`); anything else in their
# place means the file was not written by the job.
_REASON = re.compile(r"[^'\"\\\x00-\x1f{}]{1,256}")
_ISO_TS = re.compile(r"\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]00:?00)?")


class ManifestError(ValueError):
    """The manifest breaks the format; the message names the field."""


@dataclass(frozen=True, kw_only=True)
class FileEntry:
    """One Parquet file, as a Redshift COPY manifest entry."""

    url: str
    content_length: int | None
    mandatory: bool = True

    def to_json(self) -> dict[str, Any]:
        meta = {} if self.content_length is None else {"content_length": self.content_length}
        return {"url": self.url, "mandatory": self.mandatory, "meta": meta}


@dataclass(frozen=True, kw_only=True)
class TableOutput:
    rows: int
    copy_manifest: str
    entries: tuple[FileEntry, ...] = ()

    def to_json(self) -> dict[str, Any]:
        return {
            "rows": self.rows,
            "copy_manifest": self.copy_manifest,
            "entries": [e.to_json() for e in self.entries],
        }


@dataclass(frozen=True, kw_only=True)
class RunWindow:
    """The window the run read: raw partitions overlapping `[since, until)`, or all of them."""

    since: datetime | None
    until: datetime | None
    full_refresh: bool
    partitions: tuple[str, ...] = ()

    def to_json(self) -> dict[str, Any]:
        return {
            "since": _iso(self.since),
            "until": _iso(self.until),
            "full_refresh": self.full_refresh,
            "partitions": list(self.partitions),
        }


@dataclass(frozen=True, kw_only=True)
class Counts:
    read: int
    valid: int
    quarantined: int
    duplicates: int
    time_corrected: int

    def to_json(self) -> dict[str, int]:
        return {name: getattr(self, name) for name in COUNT_FIELDS}

    @property
    def reconciles(self) -> bool:
        return self.read == self.valid + self.quarantined + self.duplicates


@dataclass(frozen=True, kw_only=True)
class WorstFile:
    file: str
    read: int
    quarantined: int


@dataclass(frozen=True, kw_only=True)
class QuarantineSummary:
    uri: str
    by_reason: Mapping[str, int]
    worst_files: tuple[WorstFile, ...] = ()

    def to_json(self) -> dict[str, Any]:
        return {
            "uri": self.uri,
            "by_reason": dict(self.by_reason),
            "worst_files": [
                {"file": f.file, "read": f.read, "quarantined": f.quarantined}
                for f in self.worst_files
            ],
        }


@dataclass(frozen=True, kw_only=True)
class RunManifest:
    run_id: str
    window: RunWindow
    high_water_mark: datetime | None
    counts: Counts
    quarantine: QuarantineSummary
    tables: Mapping[str, TableOutput]
    created_at: datetime | None = None
    # Informational: the load ignores them.
    source_files: int | None = None
    max_bad_share: float | None = None
    stage_seconds: Mapping[str, float] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        document: dict[str, Any] = {
            "format_version": FORMAT_VERSION,
            "run_id": self.run_id,
            "created_at": _iso(self.created_at),
            "window": self.window.to_json(),
            "high_water_mark": _iso(self.high_water_mark),
            "counts": self.counts.to_json(),
            "quarantine": self.quarantine.to_json(),
            "tables": {name: self.tables[name].to_json() for name in TABLE_NAMES},
        }
        if self.source_files is not None or self.max_bad_share is not None:
            document["source"] = {"files": self.source_files, "max_bad_share": self.max_bad_share}
        if self.stage_seconds:
            document["stage_seconds"] = dict(self.stage_seconds)
        return document

    def to_bytes(self) -> bytes:
        return (json.dumps(self.to_json(), indent=2) + "\n").encode("utf-8")

    @classmethod
    def from_bytes(cls, data: bytes, *, uri: str = "<manifest>") -> RunManifest:
        try:
            document = json.loads(data)
        except (UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise ManifestError(f"bad run manifest {uri}: not valid JSON ({exc})") from exc
        return cls.from_json(document, uri=uri)

    @classmethod
    def from_json(cls, document: Any, *, uri: str = "<manifest>") -> RunManifest:
        """Validate a decoded manifest; every problem names the field."""
        return _Reader(uri).manifest(document)


# The load summary: the run's scalar facts as ONE flat JSON object (`runs/<id>/load/summary.json`),
# written by the job next to the manifest. The warehouse reads it as data (Redshift:
# `COPY staging.run_summary ... FORMAT AS JSON 'auto'`; locally the same values as bound
# parameters), so no value of a manifest is ever pasted into SQL text. Column -> SQL type of
# staging.run_summary (redshift_sql/ddl/040_staging_tables.sql; a test keeps them equal).
LOAD_SUMMARY_COLUMNS: dict[str, str] = {
    "format_version": "int",
    "run_id": "varchar(80)",
    "full_refresh": "boolean",
    "window_since": "varchar(32)",
    "window_until": "varchar(32)",
    "high_water_mark": "varchar(32)",
    **{f"counts_{name}": "bigint" for name in COUNT_FIELDS},
    **{f"rows_{name}": "bigint" for name in TABLE_NAMES},
    "quarantine_by_reason": "varchar(65535)",
}


def load_summary(manifest: RunManifest) -> dict[str, Any]:
    """The load summary of a run (see LOAD_SUMMARY_COLUMNS)."""
    summary: dict[str, Any] = {
        "format_version": FORMAT_VERSION,
        "run_id": manifest.run_id,
        "full_refresh": manifest.window.full_refresh,
        "window_since": _iso(manifest.window.since),
        "window_until": _iso(manifest.window.until),
        "high_water_mark": _iso(manifest.high_water_mark),
        **{f"counts_{name}": getattr(manifest.counts, name) for name in COUNT_FIELDS},
        **{f"rows_{name}": manifest.tables[name].rows for name in TABLE_NAMES},
        "quarantine_by_reason": json.dumps(dict(manifest.quarantine.by_reason), sort_keys=True),
    }
    assert list(summary) == list(LOAD_SUMMARY_COLUMNS)
    return summary


def load_summary_bytes(manifest: RunManifest) -> bytes:
    return (json.dumps(load_summary(manifest)) + "\n").encode("utf-8")


def copy_manifest_bytes(entries: tuple[FileEntry, ...] | list[FileEntry]) -> bytes:
    """`{"entries": [...]}` for `COPY ... MANIFEST`."""
    return json.dumps({"entries": [e.to_json() for e in entries]}, indent=2).encode("utf-8")


def _iso(value: datetime | None) -> str | None:
    return None if value is None else format_timestamp(value)


class _Reader:
    """Field-by-field validation of a manifest document."""

    def __init__(self, uri: str) -> None:
        self.uri = uri

    def fail(self, message: str) -> ManifestError:
        return ManifestError(f"bad run manifest {self.uri}: {message}")

    def count(self, value: Any, where: str) -> int:
        if isinstance(value, bool) or not isinstance(value, int) or value < 0:
            raise self.fail(f"{where} must be an integer >= 0, got {value!r}")
        return value

    def timestamp(self, value: Any, where: str) -> datetime | None:
        if value is None:
            return None
        if not isinstance(value, str) or not _ISO_TS.fullmatch(value):
            raise self.fail(f"{where} must be an ISO-8601 UTC timestamp or null, got {value!r}")
        try:
            return parse_timestamp(value)
        except TimestampError as exc:
            raise self.fail(f"{where}: {exc}") from None

    def obj(self, value: Any, where: str, what: str = "an object") -> Mapping[str, Any]:
        if not isinstance(value, Mapping):
            raise self.fail(f"{where} must be {what}")
        return value

    def manifest(self, document: Any) -> RunManifest:
        doc = self.obj(document, "the top level", "a JSON object")
        if doc.get("format_version") != FORMAT_VERSION:
            raise self.fail(
                f"format_version must be {FORMAT_VERSION}, got {doc.get('format_version')!r}"
            )
        run_id = doc.get("run_id")
        if not is_valid_run_id(run_id):
            raise self.fail(f"run_id must be {RULE_TEXT}, got {run_id!r}")
        source = doc.get("source") or {}
        stage_seconds = doc.get("stage_seconds") or {}
        return RunManifest(
            run_id=run_id,
            created_at=self.timestamp(doc.get("created_at"), "created_at"),
            window=self.window(doc.get("window")),
            high_water_mark=self.timestamp(doc.get("high_water_mark"), "high_water_mark"),
            counts=self.counts(doc.get("counts")),
            quarantine=self.quarantine(doc.get("quarantine")),
            tables=self.tables(doc.get("tables")),
            source_files=source.get("files") if isinstance(source, Mapping) else None,
            max_bad_share=source.get("max_bad_share") if isinstance(source, Mapping) else None,
            stage_seconds=dict(stage_seconds) if isinstance(stage_seconds, Mapping) else {},
        )

    def window(self, value: Any) -> RunWindow:
        window = self.obj(value, "window")
        full_refresh = window.get("full_refresh", False)
        if not isinstance(full_refresh, bool):
            raise self.fail(f"window.full_refresh must be true or false, got {full_refresh!r}")
        partitions = window.get("partitions") or []
        if not isinstance(partitions, list) or not all(isinstance(p, str) for p in partitions):
            raise self.fail("window.partitions must be a list of dates")
        return RunWindow(
            since=self.timestamp(window.get("since"), "window.since"),
            until=self.timestamp(window.get("until"), "window.until"),
            full_refresh=full_refresh,
            partitions=tuple(partitions),
        )

    def counts(self, value: Any) -> Counts:
        counts_doc = self.obj(value, "counts")
        values = {}
        for name in COUNT_FIELDS:
            if name not in counts_doc:
                raise self.fail(f"counts.{name} is missing")
            values[name] = self.count(counts_doc[name], f"counts.{name}")
        counts = Counts(**values)
        if not counts.reconciles:
            raise self.fail(
                f"counts.read ({counts.read}) must equal valid + quarantined + duplicates "
                f"({counts.valid} + {counts.quarantined} + {counts.duplicates})"
            )
        return counts

    def quarantine(self, value: Any) -> QuarantineSummary:
        quarantine = value or {}
        by_reason_doc = quarantine.get("by_reason", {}) if isinstance(quarantine, Mapping) else None
        if not isinstance(by_reason_doc, Mapping):
            raise self.fail("quarantine.by_reason must be an object {reason: count}")
        by_reason = {}
        for reason, count in by_reason_doc.items():
            if not _REASON.fullmatch(reason):
                raise self.fail(
                    f"quarantine.by_reason key {reason!r} must be 1-256 characters without "
                    "quotes, backslashes, braces or control characters"
                )
            by_reason[reason] = self.count(count, f"quarantine.by_reason[{reason!r}]")
        worst = []
        for i, item in enumerate(quarantine.get("worst_files") or []):
            item = self.obj(item, f"quarantine.worst_files[{i}]")
            worst.append(
                WorstFile(
                    file=str(item.get("file")),
                    read=self.count(item.get("read"), f"quarantine.worst_files[{i}].read"),
                    quarantined=self.count(
                        item.get("quarantined"), f"quarantine.worst_files[{i}].quarantined"
                    ),
                )
            )
        return QuarantineSummary(
            uri=str(quarantine.get("uri") or ""), by_reason=by_reason, worst_files=tuple(worst)
        )

    def tables(self, value: Any) -> dict[str, TableOutput]:
        tables_doc = self.obj(value, "tables", "an object with one entry per table")
        tables = {}
        for name in TABLE_NAMES:
            entry = tables_doc.get(name)
            if not isinstance(entry, Mapping):
                raise self.fail(f"tables.{name} is missing (every table must be listed)")
            rows = self.count(entry.get("rows"), f"tables.{name}.rows")
            files = entry.get("entries")
            if not isinstance(files, list):
                raise self.fail(f"tables.{name}.entries must be a list")
            parsed = []
            for i, item in enumerate(files):
                where = f"tables.{name}.entries[{i}]"
                if not isinstance(item, Mapping) or not isinstance(item.get("url"), str):
                    raise self.fail(f"{where} must be an object with a url")
                length = (item.get("meta") or {}).get("content_length")
                if length is not None:
                    length = self.count(length, f"{where}.meta.content_length")
                mandatory = item.get("mandatory", True)
                parsed.append(
                    FileEntry(url=item["url"], content_length=length, mandatory=bool(mandatory))
                )
            copy_manifest = entry.get("copy_manifest")
            if not isinstance(copy_manifest, str):
                raise self.fail(f"tables.{name}.copy_manifest must be a URI")
            tables[name] = TableOutput(
                rows=rows, copy_manifest=copy_manifest, entries=tuple(parsed)
            )
        unknown = sorted(set(tables_doc) - set(TABLE_NAMES))
        if unknown:
            raise self.fail(f"tables has unknown table(s) {unknown}")
        return tables
