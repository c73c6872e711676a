"""After a committed load: read the run's counts back, publish them as metrics, notify success.

The counts come from the warehouse (redshift_sql/etl/select_run_counts.sql, one row of the
load log), never from the manifest. Metrics are observability, not data: when reading or
publishing them fails, the run has still succeeded.
"""

from __future__ import annotations

import dataclasses

from aws_cdk import aws_sns as sns
from aws_cdk import aws_stepfunctions as sfn
from aws_cdk import aws_stepfunctions_tasks as tasks
from constructs import Construct

from infra.monitoring import EVENTS_METRICS, METRICS_NAMESPACE, ROWS_LOADED_METRIC
from infra.pipeline.building_blocks import PipelineContext, catch_all, retry_transient
from infra.pipeline.data_api import LONG_VALUE, DataApiStatement
from infra.pipeline.statements import RenderedStatement, data_api_parameters, single_line
from liberta_core.sql import RUN_COUNT_COLUMNS
from liberta_core.tables import TABLE_NAMES

# The run's counts and the metric each is published as.
COUNT_METRICS = dict(
    zip(
        ("rows_read", "rows_valid", "rows_quarantined", "rows_duplicates"),
        EVENTS_METRICS,
        strict=True,
    )
)


def _count(column: str) -> str:
    return f"$.run_counts.result.Records[0][{RUN_COUNT_COLUMNS.index(column)}].{LONG_VALUE}"


class RunOutcome(sfn.StateMachineFragment):
    """ReadRunCounts -> PublishRunMetrics -> (NotifySuccess) -> Done."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        context: PipelineContext,
        topic: sns.ITopic,
        run_counts_sql: str,
    ) -> None:
        super().__init__(scope, construct_id)
        config = context.config
        done = sfn.Succeed(self, "Done")
        skipped = sfn.Pass(self, "MetricsNotPublished", result_path=sfn.JsonPath.DISCARD)

        # Reading the counts failing is not the run failing: it goes to `skipped`.
        read = DataApiStatement(
            self,
            "ReadRunCounts",
            context=dataclasses.replace(context, on_failure=skipped),
            key="run_counts",
            sql=RenderedStatement(single_line(run_counts_sql), False),
            parameters=data_api_parameters(
                run_counts_sql,
                {"run_id": sfn.JsonPath.string_at("$.run_id")},
                source="redshift_sql/etl/select_run_counts.sql",
            ),
            budget_minutes=config.budget_query_minutes,
            fetch_result=True,
            error_path="$.metrics_error",
        )
        dims = [{"Name": "Stage", "Value": config.name}]
        metric_data: list[dict[str, object]] = [
            {
                "MetricName": metric,
                "Dimensions": dims,
                "Unit": "Count",
                "Value.$": _count(column),
            }
            for column, metric in COUNT_METRICS.items()
        ]
        metric_data += [
            {
                "MetricName": ROWS_LOADED_METRIC,
                "Dimensions": [*dims, {"Name": "Table", "Value": table}],
                "Unit": "Count",
                "Value.$": _count(f"rows_{table}"),
            }
            for table in TABLE_NAMES
        ]
        # A CustomState: CallAwsService would grant cloudwatch:PutMetricData on "*" without
        # a condition; the state machine grants it for Liberta's namespace only
        # (infra.pipeline.state_machine).
        metrics = sfn.CustomState(
            self,
            "PublishRunMetrics",
            state_json={
                "Type": "Task",
                "Resource": "arn:aws:states:::aws-sdk:cloudwatch:putMetricData",
                "Parameters": {
                    "Namespace": METRICS_NAMESPACE,
                    "MetricData": metric_data,
                },
                "ResultPath": sfn.JsonPath.DISCARD,
            },
        )
        retry_transient(metrics)
        metrics.add_catch(skipped, errors=["States.ALL"], result_path="$.metrics_error")

        finish: sfn.IChainable = done
        if config.notify_success:
            notify = tasks.SnsPublish(
                self,
                "NotifySuccess",
                topic=topic,
                subject=f"Liberta {config.name}: pipeline run succeeded",
                message=sfn.TaskInput.from_json_path_at(
                    sfn.JsonPath.format(
                        f"Liberta {config.name} run {{}} loaded: {{}} events read, {{}} valid, "
                        "{} quarantined, {} duplicates.",
                        sfn.JsonPath.string_at("$.run_id"),
                        *(sfn.JsonPath.string_at(_count(c)) for c in COUNT_METRICS),
                    )
                ),
                result_path=sfn.JsonPath.DISCARD,
            )
            retry_transient(notify)
            # A committed load stays committed: a failed notification is reported, not a
            # failed run.
            catch_all(notify, done, result_path="$.notify_error")
            finish = notify.next(done)
        read.next(metrics)
        metrics.next(finish)
        skipped.next(done)
        self.worst_case_seconds = read.worst_case_seconds + 120
        self._start = read

    @property
    def start_state(self) -> sfn.State:
        return self._start.start_state

    @property
    def end_states(self) -> list[sfn.INextable]:
        return []
