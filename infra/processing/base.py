"""The interface of a Spark runtime, and the ProcessEvents step built on it."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

from aws_cdk import Stack
from aws_cdk import aws_iam as iam
from aws_cdk import aws_stepfunctions as sfn
from cdk_nag import RegexAppliesTo
from constructs import Construct

from infra.config import StageConfig
from infra.pipeline.building_blocks import PipelineContext, step_marker
from infra.pipeline.statements import Path, intrinsic_string_array
from infra.processing.job_code import SparkJob
from liberta_core import steps
from liberta_core.job_args import Arg, JobArguments, RuntimeValue


class SparkRuntime(Protocol):
    """The Spark runtime of one EMR mode (a Construct in both implementations).

    `job_role` is the identity the Spark job runs as (the EC2 instance role of the cluster, or
    the EMR Serverless execution role): grant it access to the data.
    """

    config: StageConfig
    job_role: iam.IRole
    # The longest the states of `run_states` can take (set by `run_states`).
    worst_case_seconds: int
    # The Step Functions integration that runs the job (a dimension of the dashboard metric).
    integration_arn: str

    def run_states(
        self, scope: Construct, *, context: PipelineContext, job: SparkJob, logs_uri: str
    ) -> tuple[sfn.State, sfn.State]:
        """The states that run the job with the arguments at `$.job.args`: (first, last)."""

    def command_prefix(self, job: SparkJob) -> list[str]:
        """What precedes the job's own arguments in `$.job.args`."""

    def attach(self, state_machine: sfn.StateMachine) -> None:
        """Give the state machine what it needs beyond what its task classes grant."""

    def acknowledge_findings(
        self, stack: Stack, state_machine_role: iam.IRole
    ) -> list[str | RegexAppliesTo]:
        """Acknowledge this mode's cdk-nag findings (call after the state machine is built);
        return the state machine role's extra IAM5 `applies_to` entries for this mode."""


def _intrinsic_items(args: Sequence[Arg]) -> list[str | Path]:
    return [Path(a.path) if isinstance(a, RuntimeValue) else a for a in args]


class ProcessEvents(sfn.StateMachineFragment):
    """Build the job's command line for `$.window` (liberta_core.job_args), then run it."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        context: PipelineContext,
        runtime: SparkRuntime,
        job: SparkJob,
        raw_uri: str,
        curated_uri: str,
        logs_uri: str,
    ) -> None:
        super().__init__(scope, construct_id)
        marker = step_marker(self, steps.PROCESS)
        prefix = runtime.command_prefix(job)
        common = {"raw": raw_uri, "curated": curated_uri, "run_id": RuntimeValue("$.run_id")}
        full = JobArguments(**common, full_refresh=True)
        window = JobArguments(
            **common, since=RuntimeValue("$.window.since"), until=RuntimeValue("$.window.until")
        )
        full_args = sfn.Pass(
            self,
            "JobArgsFullRefresh",
            parameters={
                "args.$": intrinsic_string_array([*prefix, *_intrinsic_items(full.to_list())])
            },
            result_path="$.job",
        )
        window_args = sfn.Pass(
            self,
            "JobArgsWindow",
            parameters={
                "args.$": intrinsic_string_array([*prefix, *_intrinsic_items(window.to_list())])
            },
            result_path="$.job",
        )
        choose = (
            sfn.Choice(self, "JobArgs?")
            .when(sfn.Condition.boolean_equals("$.window.full_refresh", True), full_args)
            .otherwise(window_args)
        )
        first, self._last = runtime.run_states(self, context=context, job=job, logs_uri=logs_uri)
        self.worst_case_seconds: int = runtime.worst_case_seconds
        full_args.next(first)
        window_args.next(first)
        marker.next(choose)
        self._start = marker

    @property
    def start_state(self) -> sfn.State:
        return self._start

    @property
    def end_states(self) -> list[sfn.INextable]:
        return [self._last]
