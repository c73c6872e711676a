"""Counts, line numbers and the bad-record gate.

All of it comes from one small aggregate over the staged rows, grouped by
(source_file, split_start, reason): a few hundred groups, collected to the driver.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass, field

from pyspark.sql import DataFrame, SparkSession
from pyspark.sql import functions as F
from pyspark.sql import types as T

WORST_FILES_LIMIT = 10


class BadRecordShareExceeded(RuntimeError):
    """Too many bad records: the run stops before publishing anything."""


@dataclass(frozen=True, kw_only=True)
class FileStats:
    file: str
    read: int
    quarantined: int
    by_reason: dict[str, int] = field(default_factory=dict)
    first_bad_line: int | None = None


@dataclass(frozen=True, kw_only=True)
class SplitOffset:
    source_file: str
    split_start: int
    first_row_id: int
    lines_before: int


@dataclass(frozen=True, kw_only=True)
class ReadStats:
    read: int
    quarantined: int
    by_reason: dict[str, int]
    files: tuple[FileStats, ...]
    splits: tuple[SplitOffset, ...]
    high_water_epoch: int | None

    @property
    def bad_share(self) -> float:
        return self.quarantined / self.read if self.read else 0.0

    def worst_files(self, limit: int = WORST_FILES_LIMIT) -> list[FileStats]:
        bad = [f for f in self.files if f.quarantined]
        bad.sort(key=lambda f: (-f.quarantined / f.read, -f.quarantined, f.file))
        return bad[:limit]


def read_stats(staged: DataFrame) -> ReadStats:
    """Aggregate the staged rows into counts per file, split and reason."""
    groups = (
        staged.groupBy("source_file", "split_start", "reason")
        .agg(
            F.count(F.lit(1)).alias("n"),
            F.min("row_id").alias("first_row_id"),
            F.max("arrival_epoch").alias("max_arrival"),
        )
        .collect()
    )
    split_rows: dict[tuple[str, int], list] = defaultdict(list)
    for g in groups:
        split_rows[(g["source_file"], g["split_start"])].append(g)

    splits: list[SplitOffset] = []
    per_file_lines: Counter[str] = Counter()
    first_bad: dict[str, int] = {}
    for (source_file, split_start), rows in sorted(split_rows.items()):
        first_row = min(r["first_row_id"] for r in rows)
        before = per_file_lines[source_file]
        splits.append(
            SplitOffset(
                source_file=source_file,
                split_start=split_start,
                first_row_id=first_row,
                lines_before=before,
            )
        )
        for r in rows:
            if r["reason"] is not None:
                line = r["first_row_id"] - first_row + before + 1
                first_bad[source_file] = min(first_bad.get(source_file, line), line)
        per_file_lines[source_file] += sum(r["n"] for r in rows)

    by_file_reason: dict[str, Counter[str]] = defaultdict(Counter)
    for g in groups:
        if g["reason"] is not None:
            by_file_reason[g["source_file"]][g["reason"]] += g["n"]
    files = tuple(
        FileStats(
            file=name,
            read=per_file_lines[name],
            quarantined=sum(by_file_reason[name].values()),
            by_reason=dict(by_file_reason[name].most_common()),
            first_bad_line=first_bad.get(name),
        )
        for name in sorted(per_file_lines)
    )
    by_reason: Counter[str] = Counter()
    for reasons in by_file_reason.values():
        by_reason.update(reasons)
    valid_arrivals = [g["max_arrival"] for g in groups if g["reason"] is None]
    return ReadStats(
        read=sum(per_file_lines.values()),
        quarantined=sum(by_reason.values()),
        by_reason=dict(sorted(by_reason.items(), key=lambda kv: (-kv[1], kv[0]))),
        files=files,
        splits=tuple(splits),
        high_water_epoch=max(valid_arrivals) if valid_arrivals else None,
    )


def check_bad_share(stats: ReadStats, max_bad_share: float) -> None:
    """Raise `BadRecordShareExceeded`, naming the worst files, when too much is bad."""
    if stats.bad_share <= max_bad_share:
        return
    lines = [
        f"{stats.quarantined} of {stats.read} records ({stats.bad_share:.2%}) are bad, more than "
        f"the allowed {max_bad_share:.2%} (--max-bad-share); nothing was published.",
        "Worst files:",
    ]
    for f in stats.worst_files(5):
        reasons = ", ".join(f"{reason}: {n}" for reason, n in list(f.by_reason.items())[:3])
        lines.append(
            f"  {f.file}: {f.quarantined} of {f.read} bad ({reasons}); "
            f"first bad record on line {f.first_bad_line}"
        )
    raise BadRecordShareExceeded("\n".join(lines))


_SPLIT_SCHEMA = T.StructType(
    [
        T.StructField("source_file", T.StringType(), False),
        T.StructField("split_start", T.LongType(), False),
        T.StructField("first_row_id", T.LongType(), False),
        T.StructField("lines_before", T.LongType(), False),
    ]
)


def quarantine_rows(spark: SparkSession, staged: DataFrame, stats: ReadStats) -> DataFrame:
    """Bad records with their file, 1-based line number, reason and original line."""
    offsets = spark.createDataFrame(
        [(s.source_file, s.split_start, s.first_row_id, s.lines_before) for s in stats.splits],
        _SPLIT_SCHEMA,
    )
    bad = staged.where(F.col("reason").isNotNull())
    line_number = F.col("row_id") - F.col("first_row_id") + F.col("lines_before") + 1
    return bad.join(F.broadcast(offsets), on=["source_file", "split_start"], how="left").select(
        "source_file",
        line_number.alias("line_number"),
        "reason",
        "line",
    )
