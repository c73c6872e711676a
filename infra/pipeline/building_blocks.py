"""Small pieces every part of the state machine uses: retries, catches, error passes, markers.

State data conventions (JSONPath ASL):

    $.input        the execution input, as given
    $.run_id       the execution name (the run id)
    $.started_at   the execution's start time
    $.step         {"name"}: the pipeline step running now (liberta_core.steps)
    $.window       {"since", "until", "full_refresh"} once chosen
    $.error        {"Error", "Cause"} of the first failure: every Catch and error Pass writes it
"""

from __future__ import annotations

from dataclasses import dataclass

from aws_cdk import Duration
from aws_cdk import aws_stepfunctions as sfn
from constructs import Construct

from infra.config import StageConfig
from liberta_core.steps import Step

ERROR_PATH = "$.error"


@dataclass(frozen=True, kw_only=True)
class Warehouse:
    """How a state machine reaches the warehouse through the Redshift Data API.

    Without `secret_arn` the caller's IAM identity is the database user (Redshift Serverless
    maps the role to `IAMR:<role name>` and grants it the database roles of its
    `RedshiftDbRoles` tag): the pipeline's way. With it, the secret's user (the admin, for the
    setup state machine only).
    """

    workgroup_name: str
    workgroup_arn: str
    database: str
    secret_arn: str | None = None

    def connection(self) -> dict[str, str]:
        connection = {"WorkgroupName": self.workgroup_name, "Database": self.database}
        if self.secret_arn is not None:
            connection["SecretArn"] = self.secret_arn
        return connection


@dataclass(frozen=True, kw_only=True)
class PipelineContext:
    """What every part of the state machine needs: the stage, the warehouse, the failure path."""

    config: StageConfig
    warehouse: Warehouse
    on_failure: sfn.IChainable

    def statement_name(self, key: str) -> str:
        """A Data API StatementName: `<prefix>/<run id>/<key>` (shows in Redshift's logs).

        `/` never occurs in a run id, so `<prefix>/<run id>/` names exactly one run's
        statements (the cleanup after an aborted execution lists them by that prefix).
        """
        return sfn.JsonPath.format(
            f"{statement_name_prefix(self.config)}{{}}/{key}", sfn.JsonPath.string_at("$.run_id")
        )

    def client_token(self, key: str) -> str:
        """Idempotency token of one submission: the same on every retry of this execution's
        statement, so a lost response never runs a statement twice."""
        return sfn.JsonPath.format(f"{{}}-{key}", sfn.JsonPath.string_at("$.client_token"))


def statement_name_prefix(config: StageConfig) -> str:
    return f"{config.prefix}/"


def retry_transient(task: sfn.TaskStateBase | sfn.CustomState, *, attempts: int = 3) -> None:
    task.add_retry(
        errors=["States.TaskFailed"],
        interval=Duration.seconds(5),
        max_attempts=attempts,
        backoff_rate=2,
    )


def catch_all(
    task: sfn.TaskStateBase | sfn.CustomState,
    handler: sfn.IChainable,
    *,
    result_path: str = ERROR_PATH,
) -> None:
    task.add_catch(handler, errors=["States.ALL"], result_path=result_path)


def error_pass(
    scope: Construct,
    state_id: str,
    *,
    error: str,
    cause: str,
    handler: sfn.IChainable,
    error_path: str = ERROR_PATH,
) -> sfn.Pass:
    """A Pass that records an error the way a Catch does, then goes to `handler`."""
    state = sfn.Pass(
        scope, state_id, parameters={"Error": error, "Cause": cause}, result_path=error_path
    )
    state.next(handler)
    return state


def step_marker(scope: Construct, step: Step) -> sfn.Pass:
    """The first state of a step: records which step runs (`$.step`), for the failure path."""
    return sfn.Pass(
        scope,
        step.state,
        comment=step.title,
        parameters={"name": step.name},
        result_path="$.step",
    )
