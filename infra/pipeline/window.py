"""ChooseWindow: the run window, decided by redshift_sql/etl/select_window.sql.

The rule is SQL, run by the warehouse for the state machine and for `liberta run` alike, so the
two cannot disagree (tests run both against one table of cases). The execution input's fields
reach the SQL only as bound Data API parameters; an absent field is the word 'none' (Data API
parameters cannot be empty). Result: `$.window` = {full_refresh, since (not for a full
refresh), until}.
"""

from __future__ import annotations

from aws_cdk import aws_stepfunctions as sfn
from constructs import Construct

from infra.pipeline.building_blocks import PipelineContext, step_marker
from infra.pipeline.data_api import BOOLEAN_VALUE, STRING_VALUE, DataApiStatement
from infra.pipeline.statements import RenderedStatement, data_api_parameters, single_line
from liberta_core import steps

ABSENT = "none"  # as liberta.pipeline.window.ABSENT
# select_window.sql's columns: problem, full_refresh, window_since, window_until.
_CELL = "$.window_query.result.Records[0]"
PROBLEM, FULL_REFRESH, SINCE, UNTIL = (f"{_CELL}[{i}]" for i in range(4))


class ChooseWindow(sfn.StateMachineFragment):
    def __init__(
        self, scope: Construct, construct_id: str, *, context: PipelineContext, window_sql: str
    ) -> None:
        super().__init__(scope, construct_id)
        marker = step_marker(self, steps.WINDOW)
        defaults = sfn.Pass(
            self,
            "WindowDefaults",
            result=sfn.Result.from_object(
                {"since": ABSENT, "until": ABSENT, "full_refresh": False}
            ),
            result_path="$.window_request",
        )
        request = sfn.Pass(
            self,
            "WindowRequest",
            comment="The input's since/until/full_refresh over the defaults",
            parameters={
                "merged.$": "States.JsonMerge($.window_request, $.input, false)",
            },
            result_path="$.window_request",
        )
        query = DataApiStatement(
            self,
            "ReadWindow",
            context=context,
            key="window_query",
            sql=RenderedStatement(single_line(window_sql), False),
            parameters=data_api_parameters(
                window_sql,
                {
                    "since": sfn.JsonPath.string_at("$.window_request.merged.since"),
                    "until": sfn.JsonPath.string_at("$.window_request.merged.until"),
                    "full_refresh": sfn.JsonPath.format(
                        "{}", sfn.JsonPath.string_at("$.window_request.merged.full_refresh")
                    ),
                    "started_at": sfn.JsonPath.string_at("$.started_at"),
                    "lookback_hours": str(context.config.lookback_hours),
                },
                source="redshift_sql/etl/select_window.sql",
            ),
            budget_minutes=context.config.budget_window_minutes,
            fetch_result=True,
        )
        self.worst_case_seconds = query.worst_case_seconds
        refused = sfn.Pass(
            self,
            "WindowRefused",
            parameters={
                "Error": "Liberta.InvalidInput",
                "Cause.$": f"{PROBLEM}.{STRING_VALUE}",
            },
            result_path="$.error",
        )
        refused.next(context.on_failure)
        full_refresh = sfn.Pass(
            self,
            "FullRefreshWindow",
            parameters={"full_refresh": True, "until.$": f"{UNTIL}.{STRING_VALUE}"},
            result_path="$.window",
        )
        incremental = sfn.Pass(
            self,
            "IncrementalWindow",
            parameters={
                "full_refresh": False,
                "since.$": f"{SINCE}.{STRING_VALUE}",
                "until.$": f"{UNTIL}.{STRING_VALUE}",
            },
            result_path="$.window",
        )
        kind = (
            sfn.Choice(self, "FullRefresh?")
            .when(
                sfn.Condition.boolean_equals(f"{FULL_REFRESH}.{BOOLEAN_VALUE}", True), full_refresh
            )
            .otherwise(incremental)
        )
        usable = (
            sfn.Choice(self, "WindowUsable?")
            .when(sfn.Condition.is_present(f"{PROBLEM}.{STRING_VALUE}"), refused)
            .otherwise(kind)
        )
        self._done = sfn.Pass(self, "WindowChosen", result_path=sfn.JsonPath.DISCARD)
        full_refresh.next(self._done)
        incremental.next(self._done)
        marker.next(defaults).next(request).next(query)
        query.next(usable)
        self._start = marker

    @property
    def start_state(self) -> sfn.State:
        return self._start

    @property
    def end_states(self) -> list[sfn.INextable]:
        return [self._done]
