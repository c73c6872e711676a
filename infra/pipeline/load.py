"""LoadWarehouse: the whole load as ONE Data API batch (one transaction).

The batch is redshift_sql/load/ (liberta_core.sql.redshift_load_batch), from the lock to the
load log; a failure anywhere, including a post-load check, rolls everything back. The state
machine never reads the run's manifest: the batch COPYs the run's load summary (counts, window,
high-water mark) into staging.run_summary and every statement reads it from there, so nothing
a manifest says becomes SQL text, and nothing the size of a file list passes through the
execution's state. The only run-time value in the SQL text is the run id (in the COPY paths,
and as the run the quality gate expects), which passed the run-id rule at the entrance.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from aws_cdk import aws_stepfunctions as sfn
from constructs import Construct

from infra.pipeline.building_blocks import PipelineContext, step_marker
from infra.pipeline.data_api import DataApiStatement
from infra.pipeline.statements import render
from liberta_core import steps

# Where each placeholder of the batch comes from in the state (liberta_core.sql's
# LOAD_PLACEHOLDER_SOURCES documents the same three); `iam_role` is a deployment setting.
RUN_VALUES = {"run_id": "$.run_id", "run_uri": "$.run.uri"}


class LoadWarehouse(sfn.StateMachineFragment):
    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        context: PipelineContext,
        load_batch: Sequence[str],
        static_values: Mapping[str, str],
    ) -> None:
        super().__init__(scope, construct_id)
        marker = step_marker(self, steps.LOAD)
        batch = DataApiStatement(
            self,
            "LoadBatch",
            context=context,
            key="load",
            sql=[
                render(
                    statement,
                    static=static_values,
                    dynamic=RUN_VALUES,
                    source=f"load statement {i + 1}",
                )
                for i, statement in enumerate(load_batch)
            ],
            budget_minutes=context.config.budget_load_minutes,
        )
        marker.next(batch)
        self.worst_case_seconds = batch.worst_case_seconds
        self._start, self._end = marker, batch

    @property
    def start_state(self) -> sfn.State:
        return self._start

    @property
    def end_states(self) -> list[sfn.INextable]:
        return self._end.end_states
