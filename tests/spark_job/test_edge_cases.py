"""A second, smaller window with the raw-format edge cases real exports contain.

One job run (module-scoped) over its own raw directory:

- a partial-day window, [2026-03-01T23:00Z, 2026-03-02T00:00:01Z): it needs dt=2026-03-01
  and dt=2026-03-02, not dt=2026-03-03 (which holds a valid event of `user-after`);
- a gzip file of two concatenated members and a bzip2 file of two concatenated streams
  (what `cat part1.gz part2.gz` or appending with `gzip >>` produces);
- CRLF line endings (plain and lzop), a blank line, no newline at the end of a file;
- non-ASCII natural keys;
- the exact 2010-01-01T00:00:00Z lower bound of a believed client time;
- records the contract calls invalid or duplicate that a naive job mishandles (object member
  order in duplicates, text after the JSON object, non-string ids, non-integral numbers).
"""

from __future__ import annotations

import bz2
import gzip
import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from emr_jobs.lzop import compress as lzop_compress
from tests.key_oracle import key
from tests.spark_job import raw_fixture as rf
from tests.spark_job.conftest import (
    Q_FILE,
    Q_LINE,
    Q_LINE_NUMBER,
    Q_REASON,
    JobRun,
    run_job,
    write_raw,
)

SINCE = datetime(2026, 3, 1, 23, 0, tzinfo=UTC)
UNTIL = datetime(2026, 3, 2, 0, 0, 1, tzinfo=UTC)

_serial = iter(range(1, 10_000))


def ev(user: Any, session: Any = None, **kw: Any) -> dict[str, Any]:
    """A valid `user` event of `user` (own session unless given), arriving 2026-03-02."""
    n = next(_serial)
    fields: dict[str, Any] = {
        "arrival": rf.ts("2026-03-02T00:00:00") + n,
        "client": rf.ts("2026-03-01T23:00:00") + n,
        "category": "user",
        "session": session if session is not None else f"sess-{user}",
    }
    fields.update(kw)
    return rf.event(user=user, **fields)


def text(record: dict[str, Any]) -> str:
    return rf.line(record)


# multi-member gzip / multi-stream bzip2
GZ_MEMBERS = [text(ev("gz-first")), text(ev("gz-second"))]
BZ2_STREAMS = [text(ev("bz2-first")), text(ev("bz2-second"))]

# CRLF, blank line, unicode, no final newline
DEVICE_UNICODE = {
    "platform": "android",
    "os_version": "13",
    "manufacturer": "Xiaomi",
    "device": "Redmi Note 12 Pro+ 5G™",
}
CRLF_LINES = [
    text(ev("usér-ç", device=DEVICE_UNICODE)),
    "oops, not json",
    "",
    text(ev("crlf-last")),
]
LZO_CRLF_LINES = [text(ev("lzo-first")), "also not json", text(ev("lzo-last"))]

# client time exactly 2010-01-01T00:00:00Z is believed (only times BEFORE 2010 are corrected)
BOUNDARY_2010 = text(ev("user-2010", client=rf.ts("2010-01-01T00:00:00")))

AFTER_WINDOW = text(ev("user-after", arrival=rf.ts("2026-03-03T00:00:00")))
BEFORE_IN_WINDOW = text(ev("user-early", arrival=rf.ts("2026-03-01T23:30:00")))

# --- records a naive job mishandles (see the tests at the end) ---------------------------

# the same purchase twice; the second copy lists user_meta.revenue's members in another order
REVENUE_1 = ev(
    "payer",
    category="business",
    currency="USD",
    amount=500,
    meta={**rf.META_B, "revenue": {"USD": 500, "EUR": 200}},
)
REVENUE_2 = {
    **REVENUE_1,
    "user_meta": {**REVENUE_1["user_meta"], "revenue": {"EUR": 200, "USD": 500}},
}

# two events written on one line (a lost newline), and an event followed by garbage
TWO_ON_ONE_LINE = text(ev("glued-first")) + text(ev("glued-second"))
TRAILING_GARBAGE = text(ev("trailing")) + " garbage"

# required ids that are not strings
USER_ID_OBJECT = text(ev({"id": "u-obj"}, session="sess-obj"))
SESSION_ID_ARRAY = text(ev("u-arr", session=["sess-arr"]))

# non-integral numbers for integer fields (must not be rounded into integers)
LENGTH_ALMOST_600 = text(ev("u-len", category="session_end", length=599.99999999999))
AMOUNT_ALMOST_100 = text(ev("u-amt", category="business", currency="USD", amount=99.999999999999))

BUGS_LINES = [
    text(REVENUE_1),
    json.dumps(REVENUE_2, separators=(",", ":")),
    TWO_ON_ONE_LINE,
    TRAILING_GARBAGE,
    USER_ID_OBJECT,
    SESSION_ID_ARRAY,
    LENGTH_ALMOST_600,
    AMOUNT_ALMOST_100,
]


def write_edge_raw(root: Path) -> dict[str, Path]:
    files = {
        "gz": root / "dt=2026-03-01" / "members.json.gz",
        "early": write_raw(root, "2026-03-01", "early.json", [BEFORE_IN_WINDOW]),
        "bz2": root / "dt=2026-03-02" / "streams.json.bz2",
        "crlf": root / "dt=2026-03-02" / "crlf.json",
        "lzo": root / "dt=2026-03-02" / "crlf.json.lzo",
        "boundary": write_raw(root, "2026-03-02", "boundary.json", [BOUNDARY_2010]),
        "bugs": write_raw(root, "2026-03-02", "bugs.json", BUGS_LINES),
        "after": write_raw(root, "2026-03-03", "after.json", [AFTER_WINDOW]),
    }
    for path in files.values():
        path.parent.mkdir(parents=True, exist_ok=True)
    # byte layouts `write_raw` does not make: several gzip members / bzip2 streams, CRLF
    files["gz"].write_bytes(b"".join(gzip.compress((x + "\n").encode()) for x in GZ_MEMBERS))
    files["bz2"].write_bytes(b"".join(bz2.compress((x + "\n").encode()) for x in BZ2_STREAMS))
    files["crlf"].write_bytes("\r\n".join(CRLF_LINES).encode("utf-8"))  # no final newline
    files["lzo"].write_bytes(lzop_compress(("\r\n".join(LZO_CRLF_LINES) + "\r\n").encode()))
    return files


@pytest.fixture(scope="module")
def edge_files(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    return write_edge_raw(tmp_path_factory.mktemp("edge-raw"))


@pytest.fixture(scope="module")
def edge_run(
    spark: Any, edge_files: dict[str, Path], tmp_path_factory: pytest.TempPathFactory
) -> JobRun:
    raw = edge_files["gz"].parent.parent
    curated = tmp_path_factory.mktemp("edge-curated")
    return run_job(spark, raw, curated, "edge", since=SINCE, until=UNTIL)


def users(job: JobRun) -> set[str]:
    return {r["user_id"] for r in job.rows("d_user")}


def quarantined(job: JobRun) -> dict[tuple[str, int], tuple[str, str]]:
    return {(r[Q_FILE], r[Q_LINE_NUMBER]): (r[Q_REASON], r[Q_LINE]) for r in job.quarantine()}


def uri(path: Path) -> str:
    return "file://" + str(path)


def test_partial_day_window_reads_every_overlapping_partition(edge_run: JobRun) -> None:
    assert edge_run.manifest["window"]["partitions"] == ["2026-03-01", "2026-03-02"]
    assert "user-early" in users(edge_run)
    assert "user-after" not in users(edge_run)


def test_every_line_is_counted(edge_run: JobRun) -> None:
    lines = (
        len(GZ_MEMBERS) + 1 + len(BZ2_STREAMS) + len(CRLF_LINES) + len(LZO_CRLF_LINES) + 1
    ) + len(BUGS_LINES)
    counts = edge_run.manifest["counts"]
    assert counts["read"] == lines
    assert counts["read"] == counts["valid"] + counts["quarantined"] + counts["duplicates"]
    # By hand from the files above: 9 quarantined (2 CRLF, 1 LZO, 6 bugs), 1 duplicate.
    assert counts == {
        "read": 21, "valid": 11, "quarantined": 9, "duplicates": 1, "time_corrected": 0
    }  # fmt: skip


def test_concatenated_gzip_members_and_bzip2_streams_are_all_read(edge_run: JobRun) -> None:
    assert {"gz-first", "gz-second", "bz2-first", "bz2-second"} <= users(edge_run)


def test_crlf_lines_and_missing_final_newline(
    edge_run: JobRun, edge_files: dict[str, Path]
) -> None:
    assert {"usér-ç", "crlf-last", "lzo-first", "lzo-last"} <= users(edge_run)
    q = quarantined(edge_run)
    # the bad lines come back without their '\r', at their own line numbers
    assert q[(uri(edge_files["crlf"]), 2)] == ("invalid_json", "oops, not json")
    assert q[(uri(edge_files["lzo"]), 2)] == ("invalid_json", "also not json")
    # a blank line is a record too: it is quarantined, not silently skipped
    assert q[(uri(edge_files["crlf"]), 3)][1] == ""


def test_non_ascii_natural_keys_hash_their_utf8_bytes(edge_run: JobRun) -> None:
    user = [r for r in edge_run.rows("d_user") if r["user_id"] == "usér-ç"]
    assert [r["user_key"] for r in user] == [key("user", "usér-ç")]
    devices = {r["device_key"]: r for r in edge_run.rows("d_device")}
    device_key = key("device", "android", "13", "Xiaomi", "Redmi Note 12 Pro+ 5G™")
    assert devices[device_key]["device"] == "Redmi Note 12 Pro+ 5G™"


def test_client_time_at_2010_is_believed(edge_run: JobRun) -> None:
    u = key("user", "user-2010")
    rows = [r for r in edge_run.rows("f_event") if r["user_key"] == u]
    assert [(r["event_ts"], r["date_key"], r["is_time_corrected"]) for r in rows] == [
        (rf.at("2010-01-01T00:00:00"), 20100101, False)
    ]


# --- bugs: each test states the contract; the job does not meet it yet -------------------------


def test_duplicates_ignore_member_order_of_user_meta_revenue(edge_run: JobRun) -> None:
    payer = key("user", "payer")
    assert len([r for r in edge_run.rows("f_revenue") if r["user_key"] == payer]) == 1
    assert len([r for r in edge_run.rows("f_event") if r["user_key"] == payer]) == 1


def test_text_after_the_json_object_makes_the_line_invalid(
    edge_run: JobRun, edge_files: dict[str, Path]
) -> None:
    q = quarantined(edge_run)
    bugs = uri(edge_files["bugs"])
    assert q.get((bugs, 3)) == ("invalid_json", TWO_ON_ONE_LINE)
    assert q.get((bugs, 4)) == ("invalid_json", TRAILING_GARBAGE)
    assert not {"glued-first", "glued-second", "trailing"} & users(edge_run)


def test_required_ids_that_are_not_strings_are_quarantined(
    edge_run: JobRun, edge_files: dict[str, Path]
) -> None:
    q = quarantined(edge_run)
    bugs = uri(edge_files["bugs"])
    assert (bugs, 5) in q and "data.user_id" in q[(bugs, 5)][0]
    assert (bugs, 6) in q and "data.session_id" in q[(bugs, 6)][0]
    assert q[(bugs, 5)][1] == USER_ID_OBJECT and q[(bugs, 6)][1] == SESSION_ID_ARRAY


def test_non_integral_numbers_are_not_rounded_into_integers(
    edge_run: JobRun, edge_files: dict[str, Path]
) -> None:
    q = quarantined(edge_run)
    bugs = uri(edge_files["bugs"])
    assert q.get((bugs, 7)) == ("wrong_type:data.length", LENGTH_ALMOST_600)
    assert q.get((bugs, 8)) == ("wrong_type:data.amount", AMOUNT_ALMOST_100)
