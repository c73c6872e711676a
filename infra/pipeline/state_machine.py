"""The pipeline state machine, chained from one part per step (liberta_core.steps):

    RunStart         run identity, input types
    Bootstrap        idempotent DDL and views (Data API batches)
    ChooseWindow     redshift_sql/etl/select_window.sql: the one window rule
    ProcessEvents    the Spark job on EMR (cluster or serverless: infra.processing)
    LoadWarehouse    the run's manifest, then the whole load as one transaction
    CheckQuality     post-load checks
    RunOutcome       metrics, success notification

Every Task retries and catches; every failure takes the FailurePath (record the failed run,
notify, fail). JSONPath ASL throughout (statelint and asl-validator both check it).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from aws_cdk import Duration, TimeZone
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_s3 as s3
from aws_cdk import aws_scheduler as scheduler
from aws_cdk import aws_scheduler_targets as scheduler_targets
from aws_cdk import aws_sns as sns
from aws_cdk import aws_stepfunctions as sfn
from constructs import Construct

from infra.config import StageConfig
from infra.log_groups import encrypted_log_group
from infra.pipeline.bootstrap import Bootstrap
from infra.pipeline.building_blocks import PipelineContext, Warehouse
from infra.pipeline.checks import CheckQuality
from infra.pipeline.failure import FailurePath
from infra.pipeline.load import LoadWarehouse
from infra.pipeline.outcome import RunOutcome
from infra.pipeline.run_start import RunStart
from infra.pipeline.window import ChooseWindow
from infra.processing import SparkJob, SparkRuntime
from infra.processing.base import ProcessEvents
from liberta_core import sql as warehouse_sql


@dataclass(frozen=True, kw_only=True)
class PipelineSql:
    """The warehouse SQL the state machine runs, all rendered from `redshift_sql/`."""

    bootstrap: Sequence[str]
    window: str
    load_batch: Sequence[str]
    checks: Mapping[str, str]
    failed_run: str

    @classmethod
    def from_redshift_sql(cls) -> PipelineSql:
        dialect = warehouse_sql.Dialect.REDSHIFT
        return cls(
            bootstrap=tuple(warehouse_sql.bootstrap_statements(dialect)),
            window=warehouse_sql.window_query(dialect),
            load_batch=tuple(warehouse_sql.redshift_load_batch()),
            checks=dict(warehouse_sql.check_queries(dialect)),
            failed_run=warehouse_sql.redshift_failed_run_statement(),
        )


class Pipeline(Construct):
    """The state machine, its log group and role, and the EventBridge Scheduler schedule."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        config: StageConfig,
        key: kms.IKey,
        sql: PipelineSql,
        runtime: SparkRuntime,
        spark_job: SparkJob,
        warehouse: Warehouse,
        copy_role_arn: str,
        raw_uri: str,
        curated_bucket: s3.IBucket,
        logs_uri: str,
        topic: sns.ITopic,
    ) -> None:
        super().__init__(scope, construct_id)
        self._warehouse = warehouse
        curated_uri = f"s3://{curated_bucket.bucket_name}"

        failure = FailurePath(
            self,
            "FailurePath",
            config=config,
            warehouse=warehouse,
            topic=topic,
            failed_run_sql=sql.failed_run,
        )
        context = PipelineContext(config=config, warehouse=warehouse, on_failure=failure.entry)

        definition = (
            RunStart(self, "RunStart", context=context, curated_uri=curated_uri)
            .next(Bootstrap(self, "Bootstrap", context=context, statements=sql.bootstrap))
            .next(ChooseWindow(self, "ChooseWindow", context=context, window_sql=sql.window))
            .next(
                ProcessEvents(
                    self,
                    "ProcessEvents",
                    context=context,
                    runtime=runtime,
                    job=spark_job,
                    raw_uri=raw_uri,
                    curated_uri=curated_uri,
                    logs_uri=logs_uri,
                )
            )
            .next(
                LoadWarehouse(
                    self,
                    "LoadWarehouse",
                    context=context,
                    curated_bucket=curated_bucket,
                    load_batch=sql.load_batch,
                    static_values={"iam_role": copy_role_arn},
                )
            )
            .next(CheckQuality(self, "CheckQuality", context=context, checks=sql.checks))
            .next(RunOutcome(self, "RunOutcome", context=context, topic=topic))
        )

        log_group = encrypted_log_group(
            self,
            "Logs",
            config=config,
            key=key,
            log_group_name=f"/aws/vendedlogs/states/{config.prefix}-pipeline",
        )
        self.state_machine = sfn.StateMachine(
            self,
            "StateMachine",
            state_machine_name=f"{config.prefix}-pipeline",
            comment="Liberta: raw events -> Spark star schema -> Redshift, with quality checks",
            definition_body=sfn.DefinitionBody.from_chainable(definition),
            timeout=Duration.hours(config.execution_timeout_hours),
            tracing_enabled=True,
            logs=sfn.LogOptions(
                destination=log_group, level=sfn.LogLevel.ALL, include_execution_data=True
            ),
            encryption_configuration=sfn.CustomerManagedEncryptionConfiguration(key),
        )
        self._grant_runtime(self.state_machine.role, config=config)
        runtime.attach(self.state_machine)

        self.schedule = scheduler.Schedule(
            self,
            "Schedule",
            description=f"Starts the Liberta {config.name} pipeline (incremental window)",
            schedule=scheduler.ScheduleExpression.expression(
                config.schedule_expression, time_zone=TimeZone.of(config.schedule_timezone)
            ),
            target=scheduler_targets.StepFunctionsStartExecution(
                self.state_machine,
                input=scheduler.ScheduleTargetInput.from_object({}),
                retry_attempts=3,
                max_event_age=Duration.hours(1),
            ),
            enabled=config.schedule_enabled,
        )

    def _grant_runtime(self, role: iam.IRole, *, config: StageConfig) -> None:
        """What the state machine needs beyond what the task classes grant themselves."""
        role.add_to_principal_policy(
            iam.PolicyStatement(
                sid="DataApiOnOwnStatements",
                # These actions have no resource type: the Data API limits them to statements
                # the same identity submitted.
                actions=[
                    "redshift-data:DescribeStatement",
                    "redshift-data:GetStatementResult",
                    "redshift-data:CancelStatement",
                ],
                resources=["*"],
            )
        )
