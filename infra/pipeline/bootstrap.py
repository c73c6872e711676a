"""Bootstrap: the idempotent schema (redshift_sql/ddl + views), in as few Data API batches as
the 40-statement limit allows.

Each batch is its own transaction; every statement is idempotent, so a bootstrap interrupted
between batches completes on the next execution.
"""

from __future__ import annotations

from collections.abc import Sequence

from aws_cdk import aws_stepfunctions as sfn
from constructs import Construct

from infra.pipeline.building_blocks import PipelineContext, step_marker
from infra.pipeline.data_api import MAX_BATCH_STATEMENTS, DataApiStatement
from infra.pipeline.statements import RenderedStatement, single_line
from liberta_core import steps


class Bootstrap(sfn.StateMachineFragment):
    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        context: PipelineContext,
        statements: Sequence[str],
    ) -> None:
        super().__init__(scope, construct_id)
        if not statements:
            raise ValueError("bootstrap_statements() returned no SQL")
        chunks = [
            list(statements[i : i + MAX_BATCH_STATEMENTS])
            for i in range(0, len(statements), MAX_BATCH_STATEMENTS)
        ]
        marker = step_marker(self, steps.BOOTSTRAP)
        previous: sfn.INextable = marker
        for number, chunk in enumerate(chunks, start=1):
            suffix = "" if len(chunks) == 1 else str(number)
            batch = DataApiStatement(
                self,
                f"BootstrapSchema{suffix}",
                context=context,
                key=f"bootstrap{suffix}",
                sql=[RenderedStatement(single_line(statement), False) for statement in chunk],
            )
            previous.next(batch)
            (previous,) = batch.end_states
        self._start, self._end = marker, previous

    @property
    def start_state(self) -> sfn.State:
        return self._start

    @property
    def end_states(self) -> list[sfn.INextable]:
        return [self._end]
