"""Choose the raw partitions a window needs and read their lines, whatever the compression.

Plain, gzip and bzip2 files go through Spark's text source (Hadoop picks the codec from the
suffix). There is no Hadoop codec for lzop here or on EMR, so `.lzo` files are read whole with
`binaryFiles` and unpacked in Python by `emr_jobs.lzop`.

Every line comes with where it came from: `source_file`, `split_start` (the byte offset of
the input split it was read in) and `row_id`, an id unique in the run that grows line by line
within a split.
From these `emr_jobs.quality` derives exact line numbers without a Python pass over the data.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from pyspark.sql import DataFrame, SparkSession
from pyspark.sql import functions as F
from pyspark.sql import types as T

from emr_jobs.fs import HadoopFs, canonical_uri

TEXT_SUFFIXES: tuple[str, ...] = (".json", ".json.gz", ".json.bz2")
LZO_SUFFIX = ".json.lzo"
# Written next to .lzo files by Hadoop-LZO's indexer; not data.
IGNORED_SUFFIXES: tuple[str, ...] = (".lzo.index",)
_PARTITION = re.compile(r"^dt=(\d{4}-\d{2}-\d{2})$")

LINES_SCHEMA = T.StructType(
    [
        T.StructField("value", T.StringType(), True),
        T.StructField("source_file", T.StringType(), False),
        T.StructField("split_start", T.LongType(), False),
        T.StructField("row_id", T.LongType(), False),
    ]
)


class RawLayoutError(ValueError):
    """The raw location does not look like the contract says; the message names the path."""


@dataclass(frozen=True, kw_only=True)
class RawFile:
    uri: str
    size: int
    partition: date

    @property
    def is_lzo(self) -> bool:
        return self.uri.endswith(LZO_SUFFIX)


@dataclass(frozen=True, kw_only=True)
class RawSelection:
    root: str
    partitions: tuple[date, ...]
    files: tuple[RawFile, ...]


def partition_overlaps(day: date, since: datetime | None, until: datetime | None) -> bool:
    """`dt=day` covers `[day, day+1)`; it is needed when that overlaps `[since, until)`."""
    start = datetime.combine(day, datetime.min.time(), tzinfo=UTC)
    end = start + timedelta(days=1)
    return (until is None or start < until) and (since is None or end > since)


def resolve_root(fs: HadoopFs, raw: str) -> str:
    """The directory holding `dt=` partitions: `raw` itself, or `raw/events` if that has them."""
    root = raw.rstrip("/")
    if not fs.is_dir(root):
        raise RawLayoutError(f"raw location {raw} does not exist or is not a directory")
    children = fs.list(root)
    if any(c.is_dir and c.name.startswith("dt=") for c in children):
        return root
    events = f"{root}/events"
    if any(c.is_dir and c.name == "events" for c in children) and any(
        c.is_dir and c.name.startswith("dt=") for c in fs.list(events)
    ):
        return events
    return root  # no partitions at all: an empty window, not an error


def select_raw_files(
    fs: HadoopFs,
    raw: str,
    *,
    since: datetime | None,
    until: datetime | None,
    full_refresh: bool,
) -> RawSelection:
    """List the partitions the window needs (only those directories are listed) and their files."""
    root = resolve_root(fs, raw)
    partitions: list[tuple[date, str]] = []
    for child in fs.list(root):
        if not child.is_dir or child.name.startswith(("_", ".")):
            continue
        match = _PARTITION.match(child.name)
        if not match:
            raise RawLayoutError(
                f"{child.uri}: unexpected directory in the raw location; "
                "partitions must be named dt=YYYY-MM-DD"
            )
        try:
            day = date.fromisoformat(match.group(1))
        except ValueError:
            raise RawLayoutError(f"{child.uri}: {match.group(1)} is not a calendar date") from None
        if full_refresh or partition_overlaps(day, since, until):
            partitions.append((day, child.uri))

    files: list[RawFile] = []
    for day, uri in sorted(partitions):
        for entry in fs.list(uri):
            if entry.name.startswith(("_", ".")) or entry.name.endswith(IGNORED_SUFFIXES):
                continue
            if entry.is_dir:
                raise RawLayoutError(f"{entry.uri}: unexpected directory inside a partition")
            if not entry.name.endswith((*TEXT_SUFFIXES, LZO_SUFFIX)):
                raise RawLayoutError(
                    f"{entry.uri}: unknown file type; raw files must end in "
                    f"{', '.join((*TEXT_SUFFIXES, LZO_SUFFIX))}"
                )
            files.append(RawFile(uri=entry.uri, size=entry.size, partition=day))
    return RawSelection(
        root=root, partitions=tuple(day for day, _ in sorted(partitions)), files=tuple(files)
    )


def _lzo_row_base(index: int) -> int:
    """Row ids of the index-th lzo file: negative, so they never meet the text source's ids
    (`monotonically_increasing_id` is >= 0) and every line of the run has its own id."""
    return -((index + 1) << 33)


def _lzo_lines(
    item: tuple[str, bytes], bases: dict[str, int]
) -> Iterator[tuple[str, str, int, int]]:
    from emr_jobs.lzop import LzopError, decompress

    path, payload = item
    base = bases[canonical_uri(path)]
    try:
        content = decompress(payload)
    except LzopError as exc:
        raise LzopError(f"{canonical_uri(path)}: cannot read lzop file: {exc}") from None
    # bytes.splitlines splits on \n, \r\n and \r, as Hadoop's LineRecordReader does.
    for index, raw_line in enumerate(content.splitlines()):
        yield raw_line.decode("utf-8", errors="replace"), canonical_uri(path), 0, base + index


def read_lines(spark: SparkSession, files: tuple[RawFile, ...] | list[RawFile]) -> DataFrame:
    """All lines of `files` as (value, source_file, split_start, row_id)."""
    text_uris = [f.uri for f in files if not f.is_lzo]
    lzo_uris = [f.uri for f in files if f.is_lzo]
    frames: list[DataFrame] = []
    if text_uris:
        frames.append(
            spark.read.text(text_uris).select(
                F.col("value"),
                F.regexp_replace(F.col("_metadata.file_path"), "^file:/+", "file:///").alias(
                    "source_file"
                ),
                F.col("_metadata.file_block_start").alias("split_start"),
                # grows by one per line within a task, so within each split
                F.monotonically_increasing_id().alias("row_id"),
            )
        )
    if lzo_uris:
        bases = {canonical_uri(uri): _lzo_row_base(i) for i, uri in enumerate(sorted(lzo_uris))}
        rdd = spark.sparkContext.binaryFiles(",".join(lzo_uris)).flatMap(
            lambda item: _lzo_lines(item, bases)
        )
        frames.append(spark.createDataFrame(rdd, LINES_SCHEMA))
    if not frames:
        return spark.createDataFrame([], LINES_SCHEMA)
    lines = frames[0]
    for frame in frames[1:]:
        lines = lines.unionByName(frame)
    return lines
