"""Redshift's `COPY ... FROM 's3://...'`, executed against LocalStack S3 and Postgres.

Supported (everything else fails with the statement and the reason):

- `COPY t [(cols)] FROM 's3://b/k.manifest' IAM_ROLE '<arn>' FORMAT [AS] PARQUET MANIFEST`:
  the COPY manifest's entries (`url`, `mandatory`, `meta.content_length`, which Redshift
  requires for Parquet) are checked, their Parquet files read, columns mapped BY POSITION
  (as Redshift does for Parquet) and streamed with `COPY ... FROM STDIN`.
- `COPY t FROM 's3://b/prefix' IAM_ROLE '<arn>' FORMAT [AS] PARQUET`: every object whose key
  starts with the prefix.
- `COPY t FROM 's3://b/k.json' IAM_ROLE '<arn>' FORMAT [AS] JSON 'auto' | 'auto ignorecase'`:
  one or more JSON objects (concatenated or one per line), keys mapped to column names
  (case-sensitive for 'auto', as on Redshift); missing keys load NULL; nested objects and
  arrays load as JSON text.

The IAM role must exist in LocalStack IAM (Redshift would fail to assume it otherwise); its
policies are not evaluated (LocalStack does not enforce IAM here).
"""

from __future__ import annotations

import csv
import io
import json
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import psycopg
import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq
from psycopg import sql as pgsql

from liberta_localstack.redshift_data.translate import TranslationError, strip_comments

_CSV_OPTIONS = pacsv.WriteOptions(include_header=False, batch_size=8192)
_BATCH_ROWS = 65_536


class CopyError(RuntimeError):
    """The COPY failed; the message reads like Redshift's (`...` names the file or entry)."""


@dataclass(frozen=True)
class CopyCommand:
    table: str  # as written (schema.table)
    columns: tuple[str, ...] | None
    source: str  # s3://bucket/key-or-prefix
    iam_role: str
    format: str  # PARQUET | JSON
    json_option: str | None  # 'auto' | 'auto ignorecase'
    manifest: bool


_COPY = re.compile(
    r"^COPY\s+(?P<table>[A-Za-z_][\w$]*(?:\.[A-Za-z_][\w$]*)?)\s*"
    r"(?:\((?P<columns>[^)]*)\))?\s*"
    r"FROM\s+'(?P<source>(?:[^']|'')*)'\s*(?P<options>.*)$",
    re.IGNORECASE | re.DOTALL,
)
_OPTION = re.compile(
    r"\s*(?:"
    r"(?P<iam>IAM_ROLE\s+'(?P<role>(?:[^']|'')*)')"
    r"|(?P<format>(?:FORMAT\s+(?:AS\s+)?)?(?P<fmt>PARQUET|JSON)(?:\s+'(?P<json_opt>(?:[^']|'')*)')?)"
    r"|(?P<manifest>MANIFEST)"
    r"|(?P<region>REGION\s+(?:AS\s+)?'[^']*')"
    r")\s*",
    re.IGNORECASE,
)


def parse_copy(statement: str) -> CopyCommand:
    code = strip_comments(statement).rstrip(";").strip()
    match = _COPY.match(code)
    if not match:
        raise TranslationError(
            statement, "COPY must read FROM 's3://...' (FROM STDIN does not exist on Redshift)"
        )
    options = match.group("options")
    role = fmt = json_opt = None
    manifest = False
    pos = 0
    while pos < len(options):
        opt = _OPTION.match(options, pos)
        if not opt or opt.end() == pos:
            rest = options[pos:].strip()
            raise TranslationError(
                statement,
                f"COPY option {rest.split()[0] if rest else rest!r} is not supported (supported: "
                "IAM_ROLE, FORMAT AS PARQUET, FORMAT AS JSON 'auto'|'auto ignorecase', MANIFEST, "
                "REGION)",
            )
        if opt.group("iam"):
            role = opt.group("role").replace("''", "'")
        elif opt.group("format"):
            fmt = opt.group("fmt").upper()
            json_opt = opt.group("json_opt")
        elif opt.group("manifest"):
            manifest = True
        pos = opt.end()
    if role is None:
        raise TranslationError(statement, "COPY needs IAM_ROLE '<role arn>' (no other credentials)")
    if fmt is None:
        raise TranslationError(
            statement, "COPY without FORMAT (CSV/delimited text) is not supported"
        )
    if fmt == "JSON":
        if json_opt is None or json_opt.lower() not in ("auto", "auto ignorecase"):
            raise TranslationError(
                statement, f"JSON {json_opt!r}: only 'auto' and 'auto ignorecase' are supported"
            )
        if manifest:
            raise TranslationError(statement, "JSON with MANIFEST is not supported")
    elif json_opt is not None:
        raise TranslationError(statement, "PARQUET takes no option string")
    source = match.group("source").replace("''", "'")
    if not source.startswith("s3://"):
        raise TranslationError(statement, f"COPY source {source!r} is not an s3:// URL")
    columns = None
    if match.group("columns") is not None:
        columns = tuple(
            c.strip().strip('"') for c in match.group("columns").split(",") if c.strip()
        )
    return CopyCommand(
        table=match.group("table"),
        columns=columns,
        source=source,
        iam_role=role,
        format=fmt,
        json_option=json_opt.lower() if json_opt else None,
        manifest=manifest,
    )


def _split_s3(url: str) -> tuple[str, str]:
    rest = url[len("s3://") :]
    bucket, _, key = rest.partition("/")
    return bucket, key


@dataclass(frozen=True)
class _Entry:
    url: str
    content_length: int | None


def _table_columns(cur: psycopg.Cursor, table: str) -> list[str]:
    schema, _, name = table.rpartition(".")
    cur.execute(
        "SELECT a.attname FROM pg_attribute a WHERE a.attrelid = to_regclass(%s) "
        "AND a.attnum > 0 AND NOT a.attisdropped ORDER BY a.attnum",
        (f"{schema}.{name}" if schema else name,),
    )
    columns = [row[0] for row in cur.fetchall()]
    if not columns:
        raise CopyError(f'ERROR: relation "{table}" does not exist')
    return columns


class S3Reader:
    """What COPY needs from S3: object bytes, sizes and listings (LocalStack's S3)."""

    def __init__(self, client: Any) -> None:
        self._client = client

    def size(self, url: str) -> int | None:
        bucket, key = _split_s3(url)
        try:
            return int(self._client.head_object(Bucket=bucket, Key=key)["ContentLength"])
        except self._client.exceptions.ClientError as exc:
            if exc.response.get("Error", {}).get("Code") in ("404", "NoSuchKey", "NotFound"):
                return None
            raise

    def read(self, url: str) -> bytes:
        bucket, key = _split_s3(url)
        try:
            return self._client.get_object(Bucket=bucket, Key=key)["Body"].read()
        except self._client.exceptions.NoSuchKey:
            raise CopyError(f"ERROR: S3 object {url} does not exist") from None
        except self._client.exceptions.NoSuchBucket:
            raise CopyError(f"ERROR: S3 bucket of {url} does not exist") from None

    def list_prefix(self, url: str) -> list[_Entry]:
        bucket, prefix = _split_s3(url)
        entries: list[_Entry] = []
        paginator = self._client.get_paginator("list_objects_v2")
        try:
            for page in paginator.paginate(Bucket=bucket, Prefix=prefix):
                for item in page.get("Contents", []):
                    if item["Key"].endswith("/"):
                        continue
                    entries.append(_Entry(f"s3://{bucket}/{item['Key']}", int(item["Size"])))
        except self._client.exceptions.NoSuchBucket:
            raise CopyError(f"ERROR: S3 bucket {bucket} does not exist") from None
        return entries


def _manifest_entries(reader: S3Reader, url: str, *, need_length: bool) -> list[_Entry]:
    try:
        document = json.loads(reader.read(url))
    except json.JSONDecodeError as exc:
        raise CopyError(f"ERROR: Manifest file {url} is not valid JSON ({exc})") from None
    raw_entries = document.get("entries") if isinstance(document, dict) else None
    if not isinstance(raw_entries, list):
        raise CopyError(f'ERROR: Manifest file {url} has no "entries" list')
    entries: list[_Entry] = []
    for index, raw in enumerate(raw_entries):
        if not isinstance(raw, dict) or not isinstance(raw.get("url"), str):
            raise CopyError(f'ERROR: Manifest file {url}: entry {index} has no "url"')
        entry_url = raw["url"]
        mandatory = bool(raw.get("mandatory", False))
        length = (raw.get("meta") or {}).get("content_length")
        if need_length and not isinstance(length, int):
            raise CopyError(
                f"ERROR: Manifest file {url}: entry {entry_url} needs meta.content_length "
                "(required for COPY from columnar formats)"
            )
        actual = reader.size(entry_url)
        if actual is None:
            if mandatory:
                raise CopyError(
                    f"ERROR: Manifest file {url}: mandatory entry {entry_url} was not found"
                )
            continue
        if isinstance(length, int) and length != actual:
            raise CopyError(
                f"ERROR: Manifest file {url}: entry {entry_url} has {actual} bytes, "
                f"meta.content_length says {length}"
            )
        entries.append(_Entry(entry_url, actual))
    return entries


def _copy_parquet(
    cur: psycopg.Cursor,
    command: CopyCommand,
    columns: list[str],
    entries: list[_Entry],
    reader: S3Reader,
) -> int:
    target = pgsql.SQL("COPY {} ({}) FROM STDIN (FORMAT csv)").format(
        pgsql.Identifier(*command.table.split(".")),
        pgsql.SQL(", ").join(pgsql.Identifier(c) for c in columns),
    )
    rows = 0
    with cur.copy(target) as copy:
        for entry in entries:
            data = reader.read(entry.url)
            try:
                parquet = pq.ParquetFile(io.BytesIO(data))
            except (pa.ArrowException, OSError) as exc:
                raise CopyError(
                    f"ERROR: {entry.url} is not a readable Parquet file ({exc})"
                ) from None
            names = parquet.schema_arrow.names
            if len(names) != len(columns):
                raise CopyError(
                    f"ERROR: Spectrum Scan Error: file {entry.url} has {len(names)} columns, "
                    f"the target {command.table} has {len(columns)} "
                    "(Parquet columns map by position)"
                )
            for batch in parquet.iter_batches(batch_size=_BATCH_ROWS):
                buffer = io.BytesIO()
                pacsv.write_csv(batch, buffer, _CSV_OPTIONS)
                copy.write(buffer.getbuffer())
                rows += batch.num_rows
    return rows


def _json_documents(data: bytes, url: str) -> Iterator[dict[str, Any]]:
    text = data.decode("utf-8")
    decoder = json.JSONDecoder()
    pos = 0
    while True:
        while pos < len(text) and text[pos].isspace():
            pos += 1
        if pos >= len(text):
            return
        try:
            value, pos = decoder.raw_decode(text, pos)
        except json.JSONDecodeError as exc:
            raise CopyError(f"ERROR: Invalid JSON in {url}: {exc}") from None
        if not isinstance(value, dict):
            raise CopyError(
                f"ERROR: {url}: JSON 'auto' loads objects; found a {type(value).__name__}"
            )
        yield value


def _json_cell(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dict | list):
        return json.dumps(value, separators=(",", ":"))
    return str(value)


def _copy_json(
    cur: psycopg.Cursor,
    command: CopyCommand,
    columns: list[str],
    entries: list[_Entry],
    reader: S3Reader,
) -> int:
    ignore_case = command.json_option == "auto ignorecase"
    target = pgsql.SQL("COPY {} ({}) FROM STDIN (FORMAT csv, NULL '\\N')").format(
        pgsql.Identifier(*command.table.split(".")),
        pgsql.SQL(", ").join(pgsql.Identifier(c) for c in columns),
    )
    rows = 0
    key: Callable[[str], str] = str.lower if ignore_case else str
    wanted = {key(c): c for c in columns}
    with cur.copy(target) as copy:
        for entry in entries:
            for document in _json_documents(reader.read(entry.url), entry.url):
                values = {wanted[key(k)]: v for k, v in document.items() if key(k) in wanted}
                buffer = io.StringIO()
                writer = csv.writer(buffer, lineterminator="\n")
                writer.writerow(
                    [
                        "\\N" if (cell := _json_cell(values.get(c))) is None else cell
                        for c in columns
                    ]
                )
                copy.write(buffer.getvalue())
                rows += 1
    return rows


def run_copy(
    cur: psycopg.Cursor,
    statement: str,
    *,
    s3_client: Any,
    role_exists: Callable[[str], bool],
) -> int:
    """Execute one COPY inside the caller's transaction; returns the rows loaded."""
    command = parse_copy(statement)
    if not role_exists(command.iam_role):
        raise CopyError(
            f"ERROR: User arn:aws:redshift:... is not authorized to assume IAM Role "
            f"{command.iam_role} (no such role in LocalStack IAM)"
        )
    reader = S3Reader(s3_client)
    columns = list(command.columns) if command.columns else _table_columns(cur, command.table)
    if command.manifest:
        entries = _manifest_entries(reader, command.source, need_length=command.format == "PARQUET")
    else:
        entries = reader.list_prefix(command.source)
        if not entries:
            raise CopyError(f"ERROR: The specified S3 prefix '{command.source}' does not exist")
    if command.format == "PARQUET":
        return _copy_parquet(cur, command, columns, entries, reader)
    return _copy_json(cur, command, columns, entries, reader)
