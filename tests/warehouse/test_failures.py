"""Every failure rolls the whole load back, names the table/file, and logs a failed run."""

from __future__ import annotations

import json
import threading
import time
from pathlib import Path

import psycopg
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from liberta.warehouse.errors import LoadError
from liberta.warehouse.loader import LoadConfig, load_run
from liberta.warehouse.runs import list_runs
from liberta_core.manifest import LOAD_SUMMARY_COLUMNS
from liberta_core.tables import F_EVENT

from .dataset import RUN_A, RUN_B, run_a, run_b
from .rundir import arrow_table, entry_path, summary_path, write_run
from .snapshot import snapshot


@pytest.fixture
def loaded_a(conn, tmp_path):
    load_run(conn, write_run(tmp_path, "run-a", run_a(), **RUN_A))
    return conn


def assert_fails_unchanged(conn, manifest_uri, *needles):
    before = snapshot(conn)
    with pytest.raises(LoadError) as failure:
        load_run(conn, manifest_uri)
    for needle in needles:
        assert needle in str(failure.value)
    assert snapshot(conn) == before
    latest = list_runs(conn, limit=1)[0]
    assert latest.status == "failed"
    assert str(failure.value)[:200] in (latest.error or "")
    return str(failure.value)


def test_corrupt_parquet_of_the_last_table_leaves_everything_unchanged(loaded_a, tmp_path):
    uri = write_run(tmp_path, "run-b", run_b(), **RUN_B)
    corrupt = entry_path(uri, "f_revenue")
    corrupt.write_bytes(b"PAR1" + b"\x00" * 40 + b"not parquet at all" + b"PAR1")
    manifest_path = Path(uri.removeprefix("file://"))
    manifest = json.loads(manifest_path.read_text())
    manifest["tables"]["f_revenue"]["entries"][0]["meta"]["content_length"] = corrupt.stat().st_size
    manifest_path.write_text(json.dumps(manifest))
    assert_fails_unchanged(loaded_a, uri, "f_revenue", str(corrupt), "not readable Parquet")


def test_missing_file(loaded_a, tmp_path):
    uri = write_run(tmp_path, "run-b", run_b(), **RUN_B)
    missing = entry_path(uri, "f_event")
    missing.unlink()
    assert_fails_unchanged(loaded_a, uri, "table f_event", str(missing), "missing")


def test_truncated_file_is_caught_by_its_size(loaded_a, tmp_path):
    uri = write_run(tmp_path, "run-b", run_b(), **RUN_B)
    path = entry_path(uri, "d_user")
    path.write_bytes(path.read_bytes()[:-10])
    assert_fails_unchanged(loaded_a, uri, "table d_user", str(path), "the manifest says")


def test_schema_mismatch_names_column_and_file(loaded_a, tmp_path):
    uri = write_run(tmp_path, "run-b", run_b(), **RUN_B)
    path = entry_path(uri, "f_event")
    table = arrow_table(F_EVENT, run_b()["f_event"])
    pq.write_table(table.set_column(0, "event_key", table["event_key"].cast(pa.string())), path)
    manifest_path = Path(uri.removeprefix("file://"))
    manifest = json.loads(manifest_path.read_text())
    manifest["tables"]["f_event"]["entries"][0]["meta"]["content_length"] = path.stat().st_size
    manifest_path.write_text(json.dumps(manifest))
    assert_fails_unchanged(loaded_a, uri, "table f_event", str(path), "'event_key'", "bigint")


def test_columns_out_of_order(loaded_a, tmp_path):
    uri = write_run(tmp_path, "run-b", run_b(), **RUN_B)
    path = entry_path(uri, "f_event")
    table = arrow_table(F_EVENT, run_b()["f_event"])
    names = table.column_names
    pq.write_table(table.select([names[1], names[0], *names[2:]]), path)
    manifest_path = Path(uri.removeprefix("file://"))
    manifest = json.loads(manifest_path.read_text())
    del manifest["tables"]["f_event"]["entries"][0]["meta"]
    manifest_path.write_text(json.dumps(manifest))
    assert_fails_unchanged(loaded_a, uri, "table f_event", "column 1 is 'user_key'")


@pytest.mark.parametrize(
    ("edit", "needle"),
    [
        (lambda m: m["tables"].pop("d_item"), "tables.d_item is missing"),
        (lambda m: m.update(format_version=2), "format_version must be 1"),
        (lambda m: m.update(run_id="x'; DROP TABLE analysis.d_user; --"), "run_id must be"),
        (lambda m: m["counts"].update(read=999), "counts.read (999)"),
        (lambda m: m.update(high_water_mark="yesterday"), "high_water_mark must be"),
        (lambda m: m["tables"]["d_user"].update(rows=-1), "tables.d_user.rows"),
    ],
)
def test_bad_manifest_names_the_field(loaded_a, tmp_path, edit, needle):
    uri = write_run(tmp_path, "run-b", run_b(), **RUN_B)
    path = Path(uri.removeprefix("file://"))
    manifest = json.loads(path.read_text())
    edit(manifest)
    path.write_text(json.dumps(manifest))
    before = snapshot(loaded_a)
    with pytest.raises(LoadError, match="bad run manifest") as failure:
        load_run(loaded_a, uri)
    assert needle in str(failure.value) and str(path) in str(failure.value)
    assert snapshot(loaded_a) == before


def test_manifest_not_json(loaded_a, tmp_path):
    path = tmp_path / "manifest.json"
    path.write_text("{not json")
    with pytest.raises(LoadError, match=r"bad run manifest .*manifest.json: not valid JSON"):
        load_run(loaded_a, path.as_uri())


def test_row_count_mismatch_fails_the_quality_gate(loaded_a, tmp_path):
    uri = write_run(tmp_path, "run-b", run_b(), **RUN_B)
    summary = json.loads(summary_path(uri).read_text())  # the job's word on its row counts
    summary["rows_f_event"] = 7
    summary_path(uri).write_text(json.dumps(summary))
    assert_fails_unchanged(
        loaded_a, uri, "quality gate failed", "row_count f_event: staging has 6 rows, the run "
        "manifest says 7",
    )  # fmt: skip


def test_orphan_fact_fails_the_quality_gate(loaded_a, tmp_path):
    rows = run_b()
    rows["f_event"][0]["user_key"] = 999  # no such user in the run or in the warehouse
    uri = write_run(tmp_path, "run-b", rows, **RUN_B)
    assert_fails_unchanged(
        loaded_a, uri, "orphan_fact f_event: 1 rows whose user_key is in neither staging nor"
    )


@pytest.mark.parametrize(
    ("table", "index", "change", "needle"),
    [
        ("f_event", 1, {"length_s": 1}, "keys_unique f_event: 1 event_key value(s) with conflicting"
         " rows, e.g. 1010"),
        ("f_revenue", 0, {"amount_minor": 999}, "keys_unique f_revenue: 1 event_key value(s) with"
         " conflicting rows, e.g. 1013"),
    ],
)  # fmt: skip
def test_conflicting_duplicate_key_fails_the_quality_gate(
    loaded_a, tmp_path, table, index, change, needle
):
    rows = run_b()
    rows[table].append(dict(rows[table][index], **change))  # same key, different content
    rows[table].append(dict(rows[table][0]))  # an exact duplicate of another key is no conflict
    uri = write_run(tmp_path, "run-b", rows, **RUN_B)
    message = assert_fails_unchanged(loaded_a, uri, needle)
    assert message.count("keys_unique") == 1


def test_exact_duplicate_rows_are_harmless(loaded_a, tmp_path):
    rows = run_b()
    rows["f_event"].append(dict(rows["f_event"][1]))
    load_run(loaded_a, write_run(tmp_path, "run-b", rows, **RUN_B))
    assert loaded_a.execute("SELECT count(*) FROM analysis.f_event").fetchone() == (14,)


def test_the_gate_procedure_raises_by_itself(conn):
    """The Redshift path has no Python: etl.assert_load_gate() must abort on its own."""
    summary = {name: 0 for name in LOAD_SUMMARY_COLUMNS}
    summary.update(format_version=1, run_id="r", full_refresh=False, rows_d_user=5)
    summary.update(window_since=None, window_until=None, high_water_mark=None)
    summary.update(quarantine_by_reason="{}")
    with conn.transaction():
        conn.execute("CALL etl.clear_staging()")
        conn.execute("INSERT INTO staging.expected_run VALUES ('r')")
        columns = ", ".join(summary)
        marks = ", ".join(f"%({name})s" for name in summary)
        conn.execute(f"INSERT INTO staging.run_summary ({columns}) VALUES ({marks})", summary)
        with pytest.raises(psycopg.errors.RaiseException, match="row_count d_user: staging has"):
            conn.execute("CALL etl.assert_load_gate()")
        raise psycopg.Rollback()


@pytest.mark.parametrize(
    ("edit", "needle"),
    [
        (lambda s: s.update(run_id="run-other"), "the load summary is of run (none), the load is"),
        (lambda s: s.update(format_version=2), "format_version 2, this release loads"),
        (lambda s: s.update(counts_read=999), "counts do not reconcile: read 999"),
    ],
)
def test_a_load_summary_that_does_not_fit_fails_the_gate(loaded_a, tmp_path, edit, needle):
    """The summary is data the SQL checks itself: a wrong one fails the gate, nothing merges."""
    uri = write_run(tmp_path, "run-b", run_b(), **RUN_B)
    summary = json.loads(summary_path(uri).read_text())
    edit(summary)
    summary_path(uri).write_text(json.dumps(summary))
    assert_fails_unchanged(loaded_a, uri, "quality gate failed", needle)


def test_text_in_a_load_summary_stays_data(loaded_a, tmp_path):
    """Whoever can write the curated bucket cannot make the warehouse run SQL (the values are
    data: COPY on Redshift, bound parameters here)."""
    uri = write_run(tmp_path, "run-b", run_b(), **RUN_B, by_reason={"invalid_json": 1})
    summary = json.loads(summary_path(uri).read_text())
    summary["window_since"] = "1'); DROP TABLE d_user;--"
    summary_path(uri).write_text(json.dumps(summary))
    with pytest.raises(LoadError, match="invalid input syntax for type timestamp"):
        load_run(loaded_a, uri)
    assert loaded_a.execute("SELECT count(*) FROM analysis.d_user").fetchone() == (3,)


def test_a_failing_post_load_check_rolls_the_whole_load_back(loaded_a, tmp_path):
    """Checks run inside the load transaction: a violation commits nothing, logs the failure."""
    # What Redshift (which never enforces keys) could hold: a second d_item row for key 401,
    # which run B brings again; the gate (staging only) passes, the merged table does not.
    loaded_a.execute("ALTER TABLE analysis.d_item DROP CONSTRAINT d_item_pkey")
    loaded_a.execute("INSERT INTO analysis.d_item VALUES (401, 'gems', 'other_pack', 'shop')")
    uri = write_run(tmp_path, "run-b", run_b(), **RUN_B)
    message = assert_fails_unchanged(
        loaded_a, uri, "post-load checks failed, the load was rolled back", "keys_unique d_item"
    )
    assert "watermark" not in message
    assert list_runs(loaded_a, limit=1)[0].run_id == "run-b"


def test_a_concurrent_load_fails_clearly_after_the_lock_timeout(loaded_a, db_url, tmp_path):
    uri = write_run(tmp_path, "run-b", run_b(), **RUN_B)
    before = snapshot(loaded_a)
    with psycopg.connect(db_url) as holder:
        holder.execute("LOCK etl.run_lock")
        with pytest.raises(LoadError, match=r"another load holds etl\.run_lock"):
            load_run(db_url, uri, config=LoadConfig(lock_timeout_s=0.2))
        holder.rollback()
    assert snapshot(loaded_a) == before


def test_a_concurrent_load_waits_for_the_lock_then_runs(loaded_a, db_url, tmp_path):
    uri = write_run(tmp_path, "run-b", run_b(), **RUN_B)
    results = []
    with psycopg.connect(db_url) as holder:
        holder.execute("LOCK etl.run_lock")
        worker = threading.Thread(
            target=lambda: results.append(load_run(db_url, uri, config=LoadConfig()))
        )
        worker.start()
        time.sleep(0.3)
        # While the lock is held, the second load has merged nothing.
        assert loaded_a.execute("SELECT count(*) FROM analysis.f_event").fetchone() == (9,)
        holder.rollback()
    worker.join(timeout=60)
    assert results and results[0].run_id == "run-b"
    assert loaded_a.execute("SELECT count(*) FROM analysis.f_event").fetchone() == (14,)


@pytest.mark.parametrize(
    ("table", "natural", "needle"),
    [
        ("d_user", "user_id", "keys_unique d_user: 1 user_key value(s) with more than one user_id"),
        (
            "f_session",
            "session_id",
            "keys_unique f_session: 1 session_key value(s) with more than one session_id",
        ),
    ],
)
def test_two_natural_keys_under_one_key_fail_the_quality_gate(
    loaded_a, tmp_path, table, natural, needle
):
    """Rows of one key merge by the rules, unless they name different players or sessions."""
    rows = run_b()
    rows[table].append(dict(rows[table][0], **{natural: "someone-else"}))
    uri = write_run(tmp_path, "run-b", rows, **RUN_B)
    assert_fails_unchanged(loaded_a, uri, "quality gate failed", needle)
