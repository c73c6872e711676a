"""Times too large for a timestamp quarantine their record instead of failing the run.

Before the speed work, one line with `"arrival_ts": 1e18` (or any arrival or believed client
time whose microseconds overflow 64 bits) stopped the whole job with "long overflow" while
staging. Such a record is out of range like any arrival after 9999-12-31.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from emr_jobs.main import run
from tests.spark_job import content_fixture as cf
from tests.spark_job.conftest import job_config


def _line(arrival: str, client: str | None = None) -> str:
    record = cf.base_event("user", 1)
    text = json.dumps(record, separators=(",", ":"))
    text = text.replace(f'"arrival_ts":{record["arrival_ts"]}', f'"arrival_ts":{arrival}', 1)
    if client is not None:
        old = f'"client_ts":{record["data"]["client_ts"]}'
        text = text.replace(old, f'"client_ts":{client}', 1)
    return text


def test_overflowing_times_are_quarantined(spark: Any, tmp_path: Path) -> None:
    raw = tmp_path / "raw" / cf.PARTITION
    raw.mkdir(parents=True)
    valid = json.dumps(cf.base_event("business", 2), separators=(",", ":"))
    lines = [
        valid,
        _line("1e18"),
        _line("9223372036854775807"),
        _line("9223372036854", client="9223372036854"),  # the largest that fits: too late
        _line("-9223372036854775808"),
        _line("9223372036854775807", client="9223372036854775807"),
    ]
    (raw / "events.json").write_text("\n".join(lines) + "\n", encoding="utf-8")

    config = job_config(str(tmp_path / "raw"), str(tmp_path / "curated"), "big", full_refresh=True)
    manifest = run(spark, config).to_json()

    assert manifest["counts"]["read"] == 6
    assert manifest["counts"]["valid"] == 1
    assert manifest["quarantine"]["by_reason"] == {
        "out_of_range:arrival_ts": 4,
        "negative_value:arrival_ts": 1,
    }
