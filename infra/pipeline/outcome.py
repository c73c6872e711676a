"""After a committed load: publish the run's counts as metrics, notify success (per stage)."""

from __future__ import annotations

from aws_cdk import aws_sns as sns
from aws_cdk import aws_stepfunctions as sfn
from aws_cdk import aws_stepfunctions_tasks as tasks
from constructs import Construct

from infra.monitoring import EVENTS_METRICS, METRICS_NAMESPACE, ROWS_LOADED_METRIC
from infra.pipeline.building_blocks import PipelineContext, catch_all, retry_transient
from liberta_core.tables import TABLE_NAMES

# Manifest counts and the metric each is published as.
COUNT_METRICS = dict(
    zip(("read", "valid", "quarantined", "duplicates"), EVENTS_METRICS, strict=True)
)


class RunOutcome(sfn.StateMachineFragment):
    """PublishRunMetrics -> (NotifySuccess) -> Done. Metrics failing does not fail the run."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        context: PipelineContext,
        topic: sns.ITopic,
    ) -> None:
        super().__init__(scope, construct_id)
        config = context.config
        dims = [{"Name": "Stage", "Value": config.name}]
        metric_data: list[dict[str, object]] = [
            {
                "MetricName": metric,
                "Dimensions": dims,
                "Unit": "Count",
                "Value": sfn.JsonPath.number_at(f"$.manifest.counts.{count}"),
            }
            for count, metric in COUNT_METRICS.items()
        ]
        metric_data += [
            {
                "MetricName": ROWS_LOADED_METRIC,
                "Dimensions": [*dims, {"Name": "Table", "Value": table}],
                "Unit": "Count",
                "Value": sfn.JsonPath.number_at(f"$.manifest.tables.{table}.rows"),
            }
            for table in TABLE_NAMES
        ]
        metrics = tasks.CallAwsService(
            self,
            "PublishRunMetrics",
            service="cloudwatch",
            action="putMetricData",
            iam_action="cloudwatch:PutMetricData",
            # PutMetricData supports no resource-level permissions.
            iam_resources=["*"],
            parameters={"Namespace": METRICS_NAMESPACE, "MetricData": metric_data},
            result_path=sfn.JsonPath.DISCARD,
        )
        retry_transient(metrics)
        # Metrics are observability, not data: a failure is reported but the run succeeded.
        skipped = sfn.Pass(self, "MetricsNotPublished", result_path=sfn.JsonPath.DISCARD)
        metrics.add_catch(skipped, errors=["States.ALL"], result_path="$.metrics_error")

        done = sfn.Succeed(self, "Done")
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
                        *(
                            sfn.JsonPath.string_at(f"$.manifest.counts.{name}")
                            for name in COUNT_METRICS
                        ),
                    )
                ),
                result_path=sfn.JsonPath.DISCARD,
            )
            retry_transient(notify)
            catch_all(notify, context.on_failure)
            finish = notify.next(done)
        metrics.next(finish)
        skipped.next(finish)
        self._start = metrics

    @property
    def start_state(self) -> sfn.State:
        return self._start

    @property
    def end_states(self) -> list[sfn.INextable]:
        return []
