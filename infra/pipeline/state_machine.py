"""The pipeline state machine, chained from one part per step (liberta_core.steps):

    RunStart         run identity, the run-id rule, input types
    SingleRun        at most one execution at a time
    Bootstrap        the warehouse setup (admin, own state machine), idempotent DDL (ETL role)
    ChooseWindow     redshift_sql/etl/select_window.sql: the one window rule
    ProcessEvents    the Spark job on EMR (cluster or serverless: infra.processing)
    LoadWarehouse    one transaction: load summary and tables COPYed, gate, merges, checks, log
    RunOutcome       the run's counts as metrics, success notification

Every Task retries and catches; every failure takes the FailurePath (record the failed run,
notify, fail). The execution's timeout is the sum of the parts' time budgets plus a margin,
so a part's own budget always runs out first (and cancels what it started); an aborted or
timed-out execution still has its SQL cancelled (AbortCleanup). JSONPath ASL throughout
(statelint and asl-validator both check it).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from aws_cdk import ArnFormat, Duration, Stack, Tags, TimeZone
from aws_cdk import aws_iam as iam
from aws_cdk import aws_s3 as s3
from aws_cdk import aws_scheduler as scheduler
from aws_cdk import aws_scheduler_targets as scheduler_targets
from aws_cdk import aws_sns as sns
from aws_cdk import aws_sqs as sqs
from aws_cdk import aws_stepfunctions as sfn
from constructs import Construct

from infra.config import StageConfig
from infra.keys import StageKeys
from infra.log_groups import encrypted_log_group
from infra.monitoring import METRICS_NAMESPACE
from infra.pipeline.bootstrap import Bootstrap
from infra.pipeline.building_blocks import PipelineContext, Warehouse
from infra.pipeline.cleanup import AbortCleanup
from infra.pipeline.failure import FailurePath
from infra.pipeline.load import LoadWarehouse
from infra.pipeline.outcome import RunOutcome
from infra.pipeline.run_start import RunStart
from infra.pipeline.setup import WarehouseSetup
from infra.pipeline.single_run import SingleRun
from infra.pipeline.window import ChooseWindow
from infra.processing import SparkJob, SparkRuntime
from infra.processing.base import ProcessEvents
from liberta_core import sql as warehouse_sql

# The database roles the pipeline's IAM role acts as (Redshift Serverless reads this tag).
REDSHIFT_DB_ROLES_TAG = "RedshiftDbRoles"


@dataclass(frozen=True, kw_only=True)
class PipelineSql:
    """The warehouse SQL the state machines run, all rendered from `redshift_sql/`."""

    admin: Sequence[str]
    bootstrap: Sequence[str]
    window: str
    load_batch: Sequence[str]
    run_counts: str
    failed_run: str

    @classmethod
    def from_redshift_sql(cls) -> PipelineSql:
        dialect = warehouse_sql.Dialect.REDSHIFT
        return cls(
            admin=tuple(warehouse_sql.admin_statements(dialect)),
            bootstrap=tuple(warehouse_sql.bootstrap_statements(dialect)),
            window=warehouse_sql.window_query(dialect),
            load_batch=tuple(warehouse_sql.redshift_load_batch()),
            run_counts=warehouse_sql.data_api_statement(warehouse_sql.RUN_COUNTS_SQL),
            failed_run=warehouse_sql.redshift_failed_run_statement(),
        )


class Pipeline(Construct):
    """The state machine, its log group and role, the schedule and the abort cleanup."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        config: StageConfig,
        keys: StageKeys,
        sql: PipelineSql,
        runtime: SparkRuntime,
        spark_job: SparkJob,
        warehouse: Warehouse,
        setup: WarehouseSetup,
        copy_role_arn: str,
        raw_uri: str,
        curated_bucket: s3.IBucket,
        logs_uri: str,
        topic: sns.ITopic,
    ) -> None:
        super().__init__(scope, construct_id)
        stack = Stack.of(self)
        name = f"{config.prefix}-pipeline"
        # Known before the state machine exists (its own role refers to it: no cycle).
        own_arn = stack.format_arn(
            service="states",
            resource="stateMachine",
            resource_name=name,
            arn_format=ArnFormat.COLON_RESOURCE_NAME,
        )
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

        parts: list[sfn.StateMachineFragment] = [
            RunStart(self, "RunStart", context=context, curated_uri=curated_uri),
            SingleRun(self, "SingleRun", context=context, state_machine_arn=own_arn),
            Bootstrap(self, "Bootstrap", context=context, statements=sql.bootstrap, setup=setup),
            ChooseWindow(self, "ChooseWindow", context=context, window_sql=sql.window),
            ProcessEvents(
                self,
                "ProcessEvents",
                context=context,
                runtime=runtime,
                job=spark_job,
                raw_uri=raw_uri,
                curated_uri=curated_uri,
                logs_uri=logs_uri,
            ),
            LoadWarehouse(
                self,
                "LoadWarehouse",
                context=context,
                load_batch=sql.load_batch,
                static_values={"iam_role": copy_role_arn},
            ),
            RunOutcome(
                self, "RunOutcome", context=context, topic=topic, run_counts_sql=sql.run_counts
            ),
        ]
        definition = sfn.Chain.start(parts[0])
        for part in parts[1:]:
            definition = definition.next(part)

        # The longest possible execution: every part's budget, then the failure path.
        self.worst_case_seconds = (
            sum(part.worst_case_seconds for part in parts)  # type: ignore[attr-defined]
            + failure.worst_case_seconds
            + config.budget_margin_minutes * 60
        )
        log_group = encrypted_log_group(
            self,
            "Logs",
            config=config,
            key=keys.logs,
            log_group_name=f"/aws/vendedlogs/states/{name}",
        )
        # A fixed name: Redshift Serverless maps the role to the database user IAMR:<role
        # name>, which owns Liberta's schemas; a generated name would change when the role is
        # replaced, and the new user could not alter the old user's tables.
        role = iam.Role(
            self,
            "Role",
            role_name=f"{config.prefix}-pipeline",
            assumed_by=iam.ServicePrincipal(
                "states.amazonaws.com",
                conditions={
                    "StringEquals": {"aws:SourceAccount": stack.account},
                    "ArnLike": {
                        "aws:SourceArn": stack.format_arn(
                            service="states",
                            resource="stateMachine",
                            resource_name=f"{config.prefix}-*",
                            arn_format=ArnFormat.COLON_RESOURCE_NAME,
                        )
                    },
                },
            ),
            description="The Liberta pipeline and its abort cleanup (Redshift: IAMR:<this name>)",
        )
        self.state_machine = sfn.StateMachine(
            self,
            "StateMachine",
            state_machine_name=name,
            role=role,
            comment="Liberta: raw events -> Spark star schema -> Redshift, with quality checks",
            definition_body=sfn.DefinitionBody.from_chainable(definition),
            timeout=Duration.seconds(self.worst_case_seconds),
            tracing_enabled=True,
            logs=sfn.LogOptions(
                destination=log_group, level=sfn.LogLevel.ALL, include_execution_data=True
            ),
            encryption_configuration=sfn.CustomerManagedEncryptionConfiguration(keys.pipeline),
        )
        self._grant_runtime(role, config=config, keys=keys)
        runtime.attach(self.state_machine)
        # Redshift Serverless maps this role to database user IAMR:<role name> and grants it
        # the database role liberta_etl (redshift_sql/admin): the pipeline never uses the
        # admin secret.
        Tags.of(role).add(REDSHIFT_DB_ROLES_TAG, warehouse_sql.ETL_ROLE)

        self.cleanup = AbortCleanup(
            self,
            "AbortCleanup",
            config=config,
            pipeline=self.state_machine,
            role=role,
            keys=keys,
        )
        self._schedule(config=config, keys=keys)

    def _grant_runtime(self, role: iam.IRole, *, config: StageConfig, keys: StageKeys) -> None:
        """What the state machine needs beyond what the task classes grant themselves."""
        keys.allow_sns_publish(role)
        role.add_to_principal_policy(
            iam.PolicyStatement(
                sid="PublishLibertaMetrics",
                actions=["cloudwatch:PutMetricData"],
                resources=["*"],  # no resource type; the namespace condition limits it
                conditions={"StringEquals": {"cloudwatch:namespace": METRICS_NAMESPACE}},
            )
        )

    def _schedule(self, *, config: StageConfig, keys: StageKeys) -> None:
        # Failed deliveries of the schedule land here and raise an alarm (Monitoring).
        self.schedule_dead_letters = sqs.Queue(
            self,
            "ScheduleDeadLetters",
            encryption=sqs.QueueEncryption.SQS_MANAGED,
            enforce_ssl=True,
            retention_period=Duration.days(14),
        )
        self.schedule_role = iam.Role(
            self,
            "ScheduleRole",
            assumed_by=iam.ServicePrincipal(
                "scheduler.amazonaws.com",
                conditions={"StringEquals": {"aws:SourceAccount": Stack.of(self).account}},
            ),
            description="EventBridge Scheduler: starts the Liberta pipeline on its schedule",
        )
        # Starting an execution of a state machine encrypted with a customer key.
        keys.allow_start_execution(self.schedule_role, self.state_machine.state_machine_arn)
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
                role=self.schedule_role,
                dead_letter_queue=self.schedule_dead_letters,
                retry_attempts=3,
                max_event_age=Duration.hours(1),
            ),
            enabled=config.schedule_enabled,
        )
