"""One pipeline execution at a time: a manual run and the schedule never overlap.

At its start, an execution lists the state machine's RUNNING executions (newest first) and
goes on only if it is the oldest of them. Any later one ends at once as succeeded-and-skipped
(`$.skipped` says which execution holds the pipeline): it did nothing, so there is nothing to
record or to alarm on, and the run in progress (or the next one) covers its window, which
always starts at the high-water mark minus the lookback. Two executions that start within
moments of each other may not see each other yet (ListExecutions is eventually consistent);
then the warehouse's lock (etl.run_lock) still serialises their loads, which merge
idempotently.
"""

from __future__ import annotations

from aws_cdk import aws_stepfunctions as sfn
from aws_cdk import aws_stepfunctions_tasks as tasks
from constructs import Construct

from infra.pipeline.building_blocks import PipelineContext, catch_all, retry_transient


class SingleRun(sfn.StateMachineFragment):
    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        context: PipelineContext,
        state_machine_arn: str,
    ) -> None:
        super().__init__(scope, construct_id)
        running = tasks.CallAwsService(
            self,
            "ListRunningExecutions",
            service="sfn",
            action="listExecutions",
            iam_action="states:ListExecutions",
            iam_resources=[state_machine_arn],
            parameters={
                "StateMachineArn.$": "$$.StateMachine.Id",
                "StatusFilter": "RUNNING",
                "MaxResults": 100,
            },
            result_selector={"executions.$": "$.Executions"},
            result_path="$.single_run",
        )
        retry_transient(running)
        catch_all(running, context.on_failure)
        oldest = sfn.Pass(
            self,
            "OldestRunningExecution",
            parameters={
                "oldest.$": "States.ArrayGetItem($.single_run.executions, "
                "States.MathAdd(States.ArrayLength($.single_run.executions), -1))"
            },
            result_path="$.single_run",
        )
        self._go = sfn.Pass(self, "NoOtherRun", result_path=sfn.JsonPath.DISCARD)
        skipped = sfn.Pass(
            self,
            "AnotherRunInProgress",
            parameters={
                "reason": "another execution of the pipeline is running; it (or the next "
                "run) covers this window",
                "running.$": "$.single_run.oldest.ExecutionArn",
            },
            result_path="$.skipped",
        )
        skipped.next(sfn.Succeed(self, "SkippedRunInProgress"))
        mine = (
            sfn.Choice(self, "OldestIsThisExecution?")
            .when(
                sfn.Condition.string_equals_json_path(
                    "$.single_run.oldest.ExecutionArn", "$.execution_arn"
                ),
                self._go,
            )
            .otherwise(skipped)
        )
        # Not even this execution is listed yet: nobody else is either.
        anyone = (
            sfn.Choice(self, "AnyRunningExecution?")
            .when(sfn.Condition.is_present("$.single_run.executions[0]"), oldest)
            .otherwise(self._go)
        )
        running.next(anyone)
        oldest.next(mine)
        self._start = running
        self.worst_case_seconds = 60

    @property
    def start_state(self) -> sfn.State:
        return self._start

    @property
    def end_states(self) -> list[sfn.INextable]:
        return [self._go]
