"""The state machine's window against THE table of cases (tests/contracts/window_cases.py).

The synthesized definition runs in the ASL simulator; its ReadWindow statement is executed for
real, on Postgres, with exactly the parameters the state machine sends (select_window.sql
rendered for Postgres: its Redshift twin is parser-checked in test_infra_window_sql.py). The
job's command line that reaches the Spark step is parsed with the job's own parser.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from asl_sim import Execution, run
from infra_synth import Synth
from test_infra_failure_path import FakeAws, cell, recorded_row

from emr_jobs.config import parse_args
from liberta.warehouse.db import connect
from liberta_core.sql import Dialect, window_query
from liberta_core.timestamps import format_timestamp
from tests.conftest import fresh_database
from tests.contracts.test_window_rule import set_watermark
from tests.contracts.window_cases import CASES, STARTED_AT, WindowCase


@pytest.fixture(scope="module")
def warehouse(pg_server) -> Iterator[str]:
    with fresh_database(pg_server, "sfn_window", bootstrapped=True) as url:
        yield url


class WindowOnPostgres(FakeAws):
    """FakeAws whose ReadWindow really runs select_window.sql with the bound parameters."""

    def __init__(self, url: str) -> None:
        super().__init__()
        self.url = url

    def window_row(self) -> list[dict[str, Any]]:
        with connect(self.url) as conn:
            values = conn.execute(window_query(Dialect.POSTGRES), self.window_parameters).fetchone()
        return [cell(v) for v in values]


def job_arguments(execution: Execution) -> list[str]:
    (call,) = execution.calls_to("RunSparkJob")
    if "JobDriver" in call.parameters:  # EMR Serverless
        return call.parameters["JobDriver"]["SparkSubmit"]["EntryPointArguments"]
    args = call.parameters["Step"]["HadoopJarStep"]["Args"]  # spark-submit ... <entry> <args>
    entry = next(i for i, a in enumerate(args) if a.endswith(".py"))
    return args[entry + 1 :]


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_the_state_machine_window_follows_the_rule(
    synth: Synth, warehouse: str, case: WindowCase
) -> None:
    with connect(warehouse) as conn:
        set_watermark(conn, case.watermark)
        conn.commit()
    execution = run(synth.asl, case.request, WindowOnPostgres(warehouse), start_time=STARTED_AT)
    if case.problem is not None:
        assert "RunSparkJob" not in execution.visited
        row = recorded_row(execution)
        assert row["error"].startswith("Liberta.InvalidInput: ")
        assert case.problem in row["error"]
        return
    assert execution.status == "SUCCEEDED", execution.visited[-5:]
    config = parse_args(job_arguments(execution))  # the job's own parser
    assert config.run_id == "run-1"
    assert config.full_refresh == case.full_refresh
    assert (format_timestamp(config.since) if config.since else None) == case.since
    if case.full_refresh:
        assert config.until is None
    else:
        assert format_timestamp(config.until) == case.until
