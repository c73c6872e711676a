"""The Redshift Data API building block: submit, poll until done, cancel when out of time.

`DataApiStatement` is one `ExecuteStatement` (optionally with bound `Parameters` and a result
fetch) or one `BatchExecuteStatement` (one transaction), followed by a poll loop on
`DescribeStatement` bounded by a time budget. Its end state is reached only when the statement
FINISHED; a FAILED or ABORTED statement, an API error, or a statement still running at the end
of its budget (cancelled first, so it cannot commit later) goes to the context's `on_failure`
with the reason under `error_path`. Submissions carry a client token, so a retried submission
whose first response was lost does not run the SQL twice.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from aws_cdk import Duration
from aws_cdk import aws_iam as iam
from aws_cdk import aws_stepfunctions as sfn
from aws_cdk import aws_stepfunctions_tasks as tasks
from constructs import Construct

from infra.pipeline.building_blocks import (
    ERROR_PATH,
    PipelineContext,
    Warehouse,
    catch_all,
    error_pass,
    retry_transient,
)
from infra.pipeline.statements import RenderedStatement

# Redshift Data API: BatchExecuteStatement takes at most 40 statements.
MAX_BATCH_STATEMENTS = 40
# How a state machine sees the fields of a GetStatementResult cell: Step Functions' AWS SDK
# integrations present every member name in PascalCase, at any depth (the API's own JSON says
# `stringValue`); https://docs.aws.amazon.com/step-functions/latest/dg/supported-services-awssdk.html
STRING_VALUE, LONG_VALUE, BOOLEAN_VALUE = "StringValue", "LongValue", "BooleanValue"


def data_api_task(
    scope: Construct,
    state_id: str,
    *,
    context: PipelineContext,
    action: str,
    parameters: Mapping[str, Any],
    **kwargs: Any,
) -> tasks.CallAwsService:
    """A submission (ExecuteStatement, BatchExecuteStatement) on the workgroup, retried on
    transient failures; the task grants itself exactly that action on exactly that workgroup."""
    task = tasks.CallAwsService(
        scope,
        state_id,
        service="redshiftdata",
        action=action,
        iam_action=f"redshift-data:{action[0].upper()}{action[1:]}",
        iam_resources=[context.warehouse.workgroup_arn],
        parameters=dict(parameters),
        **kwargs,
    )
    retry_transient(task)
    return task


def statement_task(
    scope: Construct,
    state_id: str,
    *,
    action: str,
    id_path: str,
    result_selector: Mapping[str, Any] | None = None,
    result_path: str | None = None,
) -> sfn.CustomState:
    """A call on a statement already submitted (describe, result, cancel), by the id at
    `id_path`.

    These actions have no resource type: the state machine grants them once, limited to the
    statements its own role submitted (infra.pipeline.state_machine), so the task classes'
    generated policies are not wanted here.
    """
    state: dict[str, Any] = {
        "Type": "Task",
        "Resource": f"arn:aws:states:::aws-sdk:redshiftdata:{action}",
        "Parameters": {"Id.$": id_path},
        # CustomState drops None; JsonPath.DISCARD renders as null (keep the state as is).
        "ResultPath": result_path if result_path is not None else sfn.JsonPath.DISCARD,
    }
    if result_selector is not None:
        state["ResultSelector"] = dict(result_selector)
    task = sfn.CustomState(scope, state_id, state_json=state)
    retry_transient(task)
    return task


class DataApiStatement(sfn.StateMachineFragment):
    """Run SQL through the Data API and wait for it (see the module docstring).

    `sql` is one statement (`ExecuteStatement`, `parameters` bound by name) or a list
    (`BatchExecuteStatement`, one transaction). Statement ids and poll counts live under
    `$.<key>`; with `fetch_result`, the result set is at `$.<key>.result` when the end state is
    reached.
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        context: PipelineContext,
        key: str,
        sql: RenderedStatement | Sequence[RenderedStatement],
        parameters: Sequence[Mapping[str, Any]] = (),
        budget_minutes: int,
        fetch_result: bool = False,
        error_path: str = ERROR_PATH,
    ) -> None:
        super().__init__(scope, construct_id)
        self._context = context
        self._key = key
        self._handler = context.on_failure
        self._error_path = error_path
        self._max_polls = context.config.polls(budget_minutes)
        # The longest this fragment can take: its polls, plus the submit's retries.
        self.worst_case_seconds = context.config.polling_seconds(self._max_polls) + 60
        name = construct_id

        submit_parameters: dict[str, Any] = dict(context.warehouse.connection())
        render: sfn.Pass | None = None
        if isinstance(sql, RenderedStatement):
            action = "executeStatement"
            submit_parameters["Sql.$" if sql.is_intrinsic else "Sql"] = sql.value
            if parameters:
                submit_parameters["Parameters"] = [dict(p) for p in parameters]
        else:
            if parameters:
                raise ValueError(f"{name}: a Data API batch takes no bind parameters")
            action = "batchExecuteStatement"
            statements = list(sql)
            if not statements:
                raise ValueError(f"{name}: no SQL statements to run")
            if len(statements) > MAX_BATCH_STATEMENTS:
                raise ValueError(
                    f"{name}: {len(statements)} statements, the Data API batch limit is "
                    f"{MAX_BATCH_STATEMENTS}"
                )
            if any(s.is_intrinsic for s in statements):
                # Render every statement into $.<key>.sql, then pass them as one array. The
                # submit's result replaces $.<key>, so the SQL is not carried (and logged)
                # through the rest of the execution.
                render = sfn.Pass(
                    self,
                    f"{name}RenderSql",
                    parameters={
                        "sql": {
                            (f"s{i:02d}.$" if s.is_intrinsic else f"s{i:02d}"): s.value
                            for i, s in enumerate(statements)
                        }
                    },
                    result_path=f"$.{key}",
                )
                submit_parameters["Sqls.$"] = (
                    "States.Array("
                    + ", ".join(f"$.{key}.sql.s{i:02d}" for i in range(len(statements)))
                    + ")"
                )
            else:
                submit_parameters["Sqls"] = [s.value for s in statements]
        submit_parameters["StatementName"] = context.statement_name(key)
        submit_parameters["ClientToken"] = context.client_token(key)

        submit = data_api_task(
            self,
            name,
            context=context,
            action=action,
            parameters=submit_parameters,
            # `polls` counts status calls, each after a wait: the first one comes next.
            result_selector={"Id.$": "$.Id", "polls": 1},
            result_path=f"$.{key}",
        )
        catch_all(submit, self._handler, result_path=error_path)
        wait, finished = self._poll_loop(name)
        submit.next(wait)
        self._start: sfn.State = render or submit
        if render is not None:
            render.next(submit)
        self._end: sfn.State = finished
        if fetch_result:
            fetch = statement_task(
                self,
                f"{name}Result",
                action="getStatementResult",
                id_path=f"$.{key}.Id",
                result_selector={"Records.$": "$.Records", "TotalNumRows.$": "$.TotalNumRows"},
                result_path=f"$.{key}.result",
            )
            catch_all(fetch, self._handler, result_path=error_path)
            finished.next(fetch)
            self._end = fetch

    @property
    def start_state(self) -> sfn.State:
        return self._start

    @property
    def end_states(self) -> list[sfn.INextable]:
        return [self._end]

    def _poll_loop(self, name: str) -> tuple[sfn.State, sfn.Pass]:
        """Poll DescribeStatement as many times as the budget allows: every few seconds at
        first, then once a minute (StageConfig.polls)."""
        config, key = self._context.config, self._key
        handler, error_path = self._handler, self._error_path
        wait = sfn.Wait(
            self,
            f"{name}Wait",
            time=sfn.WaitTime.duration(Duration.seconds(config.data_api_poll_seconds)),
        )
        wait_longer = sfn.Wait(
            self,
            f"{name}WaitLonger",
            time=sfn.WaitTime.duration(Duration.seconds(config.data_api_slow_poll_seconds)),
        )
        pace = sfn.Choice(self, f"{name}Pace?")
        pace.when(
            sfn.Condition.number_less_than(f"$.{key}.polls", config.data_api_fast_polls + 1),
            wait,
        )
        pace.otherwise(wait_longer)
        describe = statement_task(
            self,
            f"{name}Status",
            action="describeStatement",
            id_path=f"$.{key}.Id",
            # Only the status: a selector naming a field the response lacks ($.Error before a
            # failure) is a States.Runtime error, which no Catch handles.
            result_selector={"Status.$": "$.Status"},
            result_path=f"$.{key}.status",
        )
        catch_all(describe, handler, result_path=error_path)
        count = sfn.Pass(
            self,
            f"{name}CountPoll",
            parameters={
                "Id.$": f"$.{key}.Id",
                "polls.$": f"States.MathAdd($.{key}.polls, 1)",
            },
            result_path=f"$.{key}",
        )
        # A FAILED statement's description has its Error (for a batch, the failed statement's).
        read_error = statement_task(
            self,
            f"{name}Error",
            action="describeStatement",
            id_path=f"$.{key}.Id",
            result_selector={"Error.$": "$.Error"},
            result_path=f"$.{key}.status",
        )
        catch_all(read_error, handler, result_path=error_path)
        failed = sfn.Pass(
            self,
            f"{name}Failed",
            parameters={
                "Error": "Liberta.SqlFailed",
                "Cause.$": f"States.Format('{name} failed in Redshift: {{}}', "
                f"$.{key}.status.Error)",
            },
            result_path=error_path,
        )
        read_error.next(failed)
        failed.next(handler)
        aborted = error_pass(
            self,
            f"{name}Aborted",
            error="Liberta.SqlAborted",
            cause=f"{name} was cancelled in Redshift before it finished",
            handler=handler,
            error_path=error_path,
        )
        timeout_seconds = config.polling_seconds(self._max_polls)
        cancel = statement_task(
            self, f"{name}Cancel", action="cancelStatement", id_path=f"$.{key}.Id"
        )
        catch_all(cancel, handler, result_path=error_path)
        cancel.next(
            error_pass(
                self,
                f"{name}TimedOut",
                error="Liberta.SqlTimeout",
                cause=f"{name} was still running after {timeout_seconds} s and was cancelled",
                handler=handler,
                error_path=error_path,
            )
        )
        finished = sfn.Pass(self, f"{name}Finished", result_path=sfn.JsonPath.DISCARD)
        status = f"$.{key}.status.Status"
        choice = sfn.Choice(self, f"{name}Done?")
        choice.when(sfn.Condition.string_equals(status, "FINISHED"), finished)
        choice.when(sfn.Condition.string_equals(status, "FAILED"), read_error)
        choice.when(sfn.Condition.string_equals(status, "ABORTED"), aborted)
        choice.when(
            sfn.Condition.number_greater_than_equals(f"$.{key}.polls", self._max_polls),
            cancel,
        )
        choice.otherwise(count)
        count.next(pace)
        wait.next(describe)
        wait_longer.next(describe)
        describe.next(choice)
        return wait, finished


def grant_own_statements(role: iam.IRole, warehouse: Warehouse, *, iam_identity: bool) -> None:
    """Describe, read, cancel and list Data API statements: only those this role submitted.

    These actions have no resource type; the Data API's condition key
    `redshift-data:statement-owner-iam-userid` limits them to statements whose owner is a
    session of this role (`<role id>:*`; Step Functions may use several sessions in one
    execution). IAM-identity access to Redshift Serverless also needs GetCredentials on the
    workgroup, and the tags API to read the role's `RedshiftDbRoles` tag.
    """
    role.add_to_principal_policy(
        iam.PolicyStatement(
            sid="DataApiOnOwnStatements",
            actions=[
                "redshift-data:DescribeStatement",
                "redshift-data:GetStatementResult",
                "redshift-data:CancelStatement",
                "redshift-data:ListStatements",
            ],
            resources=["*"],
            conditions={
                "StringLike": {"redshift-data:statement-owner-iam-userid": f"{role_id(role)}:*"}
            },
        )
    )
    if not iam_identity:
        return
    role.add_to_principal_policy(
        iam.PolicyStatement(
            sid="WarehouseIamIdentity",
            actions=["redshift-serverless:GetCredentials"],
            resources=[warehouse.workgroup_arn],
        )
    )
    role.add_to_principal_policy(
        iam.PolicyStatement(
            sid="ReadOwnRoleTags",
            actions=["tag:GetResources", "tag:GetTagKeys"],
            resources=["*"],
        )
    )


def role_id(role: iam.IRole) -> str:
    """The role's unique id (AROA...), which the Data API records as a statement's owner."""
    cfn_role = role.node.default_child
    assert isinstance(cfn_role, iam.CfnRole), f"{role.node.path} is not a role of this stack"
    return cfn_role.attr_role_id
