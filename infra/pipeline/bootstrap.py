"""Bootstrap: the warehouse setup (roles and grants, as the admin, in its own state machine),
then the idempotent schema (redshift_sql/ddl, views, grants) as the ETL identity, in as few
Data API batches as the 40-statement limit allows.

Each batch is its own transaction; every statement is idempotent, so a bootstrap interrupted
between batches completes on the next execution.
"""

from __future__ import annotations

from collections.abc import Sequence

from aws_cdk import Duration
from aws_cdk import aws_stepfunctions as sfn
from aws_cdk import aws_stepfunctions_tasks as tasks
from constructs import Construct

from infra.pipeline.building_blocks import PipelineContext, catch_all, retry_transient, step_marker
from infra.pipeline.data_api import MAX_BATCH_STATEMENTS, DataApiStatement
from infra.pipeline.setup import WarehouseSetup
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
        setup: WarehouseSetup,
    ) -> None:
        super().__init__(scope, construct_id)
        if not statements:
            raise ValueError("bootstrap_statements() returned no SQL")
        chunks = [
            list(statements[i : i + MAX_BATCH_STATEMENTS])
            for i in range(0, len(statements), MAX_BATCH_STATEMENTS)
        ]
        marker = step_marker(self, steps.BOOTSTRAP)
        # The setup's own budget runs out first (its batch cancels its SQL), then its
        # execution's timeout; this task waits a minute longer still, so the setup always
        # ends by itself before the pipeline gives up on it.
        wait_seconds = int(setup.timeout.to_seconds()) + 60
        set_up = tasks.StepFunctionsStartExecution(
            self,
            "SetUpWarehouse",
            state_machine=setup.state_machine,
            integration_pattern=sfn.IntegrationPattern.RUN_JOB,
            associate_with_parent=True,
            task_timeout=sfn.Timeout.duration(Duration.seconds(wait_seconds)),
            result_path=sfn.JsonPath.DISCARD,
        )
        retry_transient(set_up, attempts=2)
        catch_all(set_up, context.on_failure)
        marker.next(set_up)
        previous: sfn.INextable = set_up
        self.worst_case_seconds = wait_seconds + 60
        for number, chunk in enumerate(chunks, start=1):
            suffix = "" if len(chunks) == 1 else str(number)
            batch = DataApiStatement(
                self,
                f"BootstrapSchema{suffix}",
                context=context,
                key=f"bootstrap{suffix}",
                sql=[RenderedStatement(single_line(statement), False) for statement in chunk],
                budget_minutes=context.config.budget_bootstrap_minutes,
            )
            self.worst_case_seconds += batch.worst_case_seconds
            previous.next(batch)
            (previous,) = batch.end_states
        self._start, self._end = marker, previous

    @property
    def start_state(self) -> sfn.State:
        return self._start

    @property
    def end_states(self) -> list[sfn.INextable]:
        return [self._end]
