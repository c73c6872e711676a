"""Operations: the alert topic, alarms on the pipeline, and a dashboard."""

from __future__ import annotations

from aws_cdk import Duration
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_cloudwatch_actions as cw_actions
from aws_cdk import aws_kms as kms
from aws_cdk import aws_sns as sns
from aws_cdk import aws_sns_subscriptions as subscriptions
from aws_cdk import aws_sqs as sqs
from aws_cdk import aws_stepfunctions as sfn
from constructs import Construct

from infra.config import StageConfig

# Custom metrics the state machine publishes from each run's manifest (orchestration.py).
METRICS_NAMESPACE = "Liberta"
ROWS_LOADED_METRIC = "RowsLoaded"
EVENTS_METRICS = ("EventsRead", "EventsValid", "EventsQuarantined", "EventsDuplicate")


class Monitoring(Construct):
    """The SNS topic every alert goes to; `observe` adds alarms and the dashboard."""

    def __init__(
        self, scope: Construct, construct_id: str, *, config: StageConfig, key: kms.IKey
    ) -> None:
        super().__init__(scope, construct_id)
        self._config = config
        # Encrypted with the alerts key (infra.keys), which admits CloudWatch alarms of this
        # account; publishers get kms permissions via SNS (StageKeys.allow_sns_publish).
        self.topic = sns.Topic(
            self,
            "Alerts",
            display_name=f"Liberta {config.name} pipeline",
            master_key=key,
            enforce_ssl=True,
        )
        if config.alarm_email:
            self.topic.add_subscription(subscriptions.EmailSubscription(config.alarm_email))

    def observe(
        self,
        *,
        state_machine: sfn.StateMachine,
        processing_integration_arn: str,
        table_names: list[str],
        schedule_dead_letters: sqs.IQueue,
    ) -> cloudwatch.Dashboard:
        """Alarms on failed, timed-out and aborted executions and on schedule invocations that
        could not start one, and the pipeline dashboard."""
        period = Duration.minutes(5)
        action = cw_actions.SnsAction(self.topic)
        failure_metrics = {
            "Failed": state_machine.metric_failed(period=period, statistic="Sum"),
            "TimedOut": state_machine.metric_timed_out(period=period, statistic="Sum"),
            "Aborted": state_machine.metric_aborted(period=period, statistic="Sum"),
        }
        self.alarms: dict[str, cloudwatch.Alarm] = {}

        def alarm_on(
            name: str, metric: cloudwatch.Metric, construct_id: str, description: str
        ) -> None:
            """Alarm (to the topic) as soon as one period's value reaches 1."""
            alarm = metric.create_alarm(
                self,
                construct_id,
                alarm_description=description,
                threshold=1,
                evaluation_periods=1,
                comparison_operator=cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
                treat_missing_data=cloudwatch.TreatMissingData.NOT_BREACHING,
            )
            alarm.add_alarm_action(action)
            self.alarms[name] = alarm

        for name, metric in failure_metrics.items():
            alarm_on(
                name,
                metric,
                f"Executions{name}",
                f"A Liberta {self._config.name} pipeline execution {name.lower()}: "
                "open the Step Functions console for the failed state and its cause.",
            )
        alarm_on(
            "ScheduledRunsNotStarted",
            schedule_dead_letters.metric_approximate_number_of_messages_visible(
                period=period, statistic="Maximum"
            ),
            "ScheduledRunsNotStarted",
            f"The Liberta {self._config.name} schedule could not start a pipeline execution "
            "(the dead-letter queue holds the invocation): check the schedule's role and the "
            "state machine's key.",
        )

        day = Duration.days(1)
        dashboard = cloudwatch.Dashboard(
            self, "Dashboard", dashboard_name=f"{self._config.prefix}-pipeline"
        )
        dashboard.add_widgets(
            cloudwatch.GraphWidget(
                title="Executions",
                left=[
                    state_machine.metric_started(period=day),
                    state_machine.metric_succeeded(period=day),
                    state_machine.metric_failed(period=day),
                    state_machine.metric_timed_out(period=day),
                ],
                width=12,
            ),
            cloudwatch.GraphWidget(
                title="Execution time (ms)",
                left=[
                    state_machine.metric_time(period=day, statistic="Average"),
                    state_machine.metric_time(period=day, statistic="Maximum"),
                ],
                width=12,
            ),
        )
        dashboard.add_widgets(
            cloudwatch.GraphWidget(
                title="Spark job duration (ms)",
                left=[
                    cloudwatch.Metric(
                        namespace="AWS/States",
                        metric_name="ServiceIntegrationTime",
                        dimensions_map={
                            "ServiceIntegrationResourceArn": processing_integration_arn
                        },
                        statistic=stat,
                        period=day,
                        label=f"Spark job {stat.lower()}",
                    )
                    for stat in ("Average", "Maximum")
                ],
                width=8,
            ),
            cloudwatch.GraphWidget(
                title="Rows loaded per table",
                left=[
                    cloudwatch.Metric(
                        namespace=METRICS_NAMESPACE,
                        metric_name=ROWS_LOADED_METRIC,
                        dimensions_map={"Stage": self._config.name, "Table": table},
                        statistic="Sum",
                        period=day,
                        label=table,
                    )
                    for table in table_names
                ],
                width=8,
            ),
            cloudwatch.GraphWidget(
                title="Events read, valid, quarantined, duplicate",
                left=[
                    cloudwatch.Metric(
                        namespace=METRICS_NAMESPACE,
                        metric_name=name,
                        dimensions_map={"Stage": self._config.name},
                        statistic="Sum",
                        period=day,
                    )
                    for name in EVENTS_METRICS
                ],
                width=8,
            ),
        )
        return dashboard
