"""The Redshift Data API building block: submit, poll until done, cancel when out of time.

`DataApiStatement` is one `ExecuteStatement` (optionally with bound `Parameters` and a result
fetch) or one `BatchExecuteStatement` (one transaction), followed by a bounded poll loop on
`DescribeStatement`. Its end state is reached only when the statement FINISHED; a FAILED or
ABORTED statement, an API error, or a statement still running after the last poll (cancelled
first) goes to `handler` with the reason under `error_path`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from aws_cdk import Duration
from aws_cdk import aws_stepfunctions as sfn
from aws_cdk import aws_stepfunctions_tasks as tasks
from constructs import Construct

from infra.pipeline.building_blocks import (
    ERROR_PATH,
    PipelineContext,
    catch_all,
    error_pass,
    retry_transient,
)
from infra.pipeline.statements import RenderedStatement

# Redshift Data API: BatchExecuteStatement takes at most 40 statements.
MAX_BATCH_STATEMENTS = 40


def data_api_task(
    scope: Construct,
    state_id: str,
    *,
    context: PipelineContext,
    action: str,
    parameters: Mapping[str, Any],
    **kwargs: Any,
) -> tasks.CallAwsService:
    """One Data API call as an aws-sdk task, retried on transient failures."""
    task = tasks.CallAwsService(
        scope,
        state_id,
        service="redshiftdata",
        action=action,
        iam_action=f"redshift-data:{action[0].upper()}{action[1:]}",
        # Access is granted once, precisely, by the state machine (Pipeline).
        iam_resources=[context.warehouse.workgroup_arn],
        parameters=dict(parameters),
        **kwargs,
    )
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
        fetch_result: bool = False,
        handler: sfn.IChainable | None = None,
        error_path: str = ERROR_PATH,
    ) -> None:
        super().__init__(scope, construct_id)
        self._context = context
        self._key = key
        self._handler = handler or context.on_failure
        self._error_path = error_path
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
                # Render every statement into $.<key>_sql, then pass them as one array.
                render = sfn.Pass(
                    self,
                    f"{name}RenderSql",
                    parameters={
                        (f"s{i:02d}.$" if s.is_intrinsic else f"s{i:02d}"): s.value
                        for i, s in enumerate(statements)
                    },
                    result_path=f"$.{key}_sql",
                )
                submit_parameters["Sqls.$"] = (
                    "States.Array("
                    + ", ".join(f"$.{key}_sql.s{i:02d}" for i in range(len(statements)))
                    + ")"
                )
            else:
                submit_parameters["Sqls"] = [s.value for s in statements]
        submit_parameters["StatementName"] = context.statement_name(key)

        submit = data_api_task(
            self,
            name,
            context=context,
            action=action,
            parameters=submit_parameters,
            result_selector={"Id.$": "$.Id", "polls": 0},
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
            fetch = data_api_task(
                self,
                f"{name}Result",
                context=context,
                action="getStatementResult",
                parameters={"Id": sfn.JsonPath.string_at(f"$.{key}.Id")},
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
        """Poll DescribeStatement every few seconds, at most `data_api_max_polls` times."""
        config, key = self._context.config, self._key
        handler, error_path = self._handler, self._error_path
        wait = sfn.Wait(
            self,
            f"{name}Wait",
            time=sfn.WaitTime.duration(Duration.seconds(config.data_api_poll_seconds)),
        )
        describe = data_api_task(
            self,
            f"{name}Status",
            context=self._context,
            action="describeStatement",
            parameters={"Id": sfn.JsonPath.string_at(f"$.{key}.Id")},
            result_selector={"Status.$": "$.Status", "Errors.$": "$..Error"},
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
        failed = sfn.Pass(
            self,
            f"{name}Failed",
            parameters={
                "Error": "Liberta.SqlFailed",
                "Cause.$": f"States.Format('{name} failed in Redshift: {{}}', "
                f"States.JsonToString($.{key}.status.Errors))",
            },
            result_path=error_path,
        )
        failed.next(handler)
        timeout_seconds = config.data_api_max_polls * config.data_api_poll_seconds
        cancel = data_api_task(
            self,
            f"{name}Cancel",
            context=self._context,
            action="cancelStatement",
            parameters={"Id": sfn.JsonPath.string_at(f"$.{key}.Id")},
            result_path=sfn.JsonPath.DISCARD,
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
        choice.when(
            sfn.Condition.or_(
                sfn.Condition.string_equals(status, "FAILED"),
                sfn.Condition.string_equals(status, "ABORTED"),
            ),
            failed,
        )
        choice.when(
            sfn.Condition.number_greater_than_equals(f"$.{key}.polls", config.data_api_max_polls),
            cancel,
        )
        choice.otherwise(count)
        count.next(wait)
        wait.next(describe)
        describe.next(choice)
        return wait, finished
