"""What the state machine sends to choose the window (redshift_sql/etl/select_window.sql).

The Redshift rendering parses as Redshift SQL and binds every input field as a Data API
parameter (none is written into the SQL text); tests/contracts/test_window_rule.py runs the
same file on Postgres against the table of cases.
"""

from __future__ import annotations

import sqlglot
from infra_synth import Synth
from sqlglot import exp
from sqlglot.errors import ErrorLevel

from liberta_core.sql import WINDOW_SQL, Dialect, parameter_names, window_query


def test_the_redshift_rendering_parses_with_sqlglot(synth: Synth) -> None:
    sent = synth.asl["States"]["ReadWindow"]["Parameters"]["Sql"]
    (tree,) = sqlglot.parse(sent, read="redshift", error_level=ErrorLevel.RAISE)
    assert isinstance(tree, exp.Select)
    assert tree.named_selects == ["problem", "full_refresh", "window_since", "window_until"]
    tables = {(t.db, t.name) for t in tree.find_all(exp.Table)}
    assert tables == {("etl", "watermark")}
    (shift,) = [node for node in tree.walk() if isinstance(node, exp.TsOrDsAdd | exp.DateAdd)]
    assert shift.unit.name.upper() == "HOUR"


def test_every_value_is_a_bound_parameter(synth: Synth) -> None:
    state = synth.asl["States"]["ReadWindow"]["Parameters"]
    sent = state["Sql"]
    assert "${" not in sent
    names = parameter_names(WINDOW_SQL)
    assert names == ["full_refresh", "since", "until", "started_at", "lookback_hours"]
    for name in names:
        assert f":{name}" in sent
    bound = {p["Name"]: p for p in state["Parameters"]}
    assert bound["lookback_hours"]["Value"] == "48"  # the stage's setting
    assert bound["since"]["Value.$"] == "$.window_request.merged.since"
    assert bound["started_at"]["Value.$"] == "$.started_at"


def test_postgres_binds_the_same_names() -> None:
    rendered = window_query(Dialect.POSTGRES)
    for name in parameter_names(WINDOW_SQL):
        assert f"%({name})s" in rendered
