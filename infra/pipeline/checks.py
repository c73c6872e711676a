"""CheckQuality: each query of redshift_sql/checks/ returns violation rows; any row fails."""

from __future__ import annotations

from collections.abc import Mapping

from aws_cdk import aws_stepfunctions as sfn
from constructs import Construct

from infra.pipeline.building_blocks import PipelineContext, error_pass, step_marker
from infra.pipeline.data_api import DataApiStatement
from infra.pipeline.statements import RenderedStatement, single_line
from liberta_core import steps


class CheckQuality(sfn.StateMachineFragment):
    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        context: PipelineContext,
        checks: Mapping[str, str],
    ) -> None:
        super().__init__(scope, construct_id)
        if not checks:
            raise ValueError("no quality checks: check_queries() returned nothing")
        marker = step_marker(self, steps.CHECK)
        previous: sfn.INextable = marker
        for index, (check_name, query) in enumerate(checks.items()):
            state_name = "Check" + "".join(part.title() for part in check_name.split("_"))
            key = f"check_{index:02d}"
            statement = DataApiStatement(
                self,
                state_name,
                context=context,
                key=key,
                sql=RenderedStatement(single_line(query), False),
                fetch_result=True,
            )
            violations = error_pass(
                self,
                f"{state_name}Violated",
                error="Liberta.QualityCheckFailed",
                cause=f"quality check {check_name} returned violation rows: see the "
                f"{state_name}Result output in the execution history",
                handler=context.on_failure,
            )
            passed = sfn.Pass(self, f"{state_name}Passed", result_path=sfn.JsonPath.DISCARD)
            statement.next(
                sfn.Choice(self, f"{state_name}Clean?")
                .when(sfn.Condition.number_equals(f"$.{key}.result.TotalNumRows", 0), passed)
                .otherwise(violations)
            )
            previous.next(statement)
            previous = passed
        self._start, self._end = marker, previous

    @property
    def start_state(self) -> sfn.State:
        return self._start

    @property
    def end_states(self) -> list[sfn.INextable]:
        return [self._end]
