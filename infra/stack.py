"""The Liberta stack: build the parts, then grant between them where they meet."""

from __future__ import annotations

from aws_cdk import CfnOutput, Environment, Fn, Stack, Tags
from aws_cdk import aws_iam as iam
from constructs import Construct

from emr_jobs.packaging import JobPackage
from infra.access import allow_read, allow_write
from infra.config import StageConfig
from infra.keys import StageKeys
from infra.monitoring import Monitoring
from infra.network import AZ_COUNT, Network
from infra.pipeline.building_blocks import Warehouse as DataApiWarehouse
from infra.pipeline.data_api import grant_own_statements
from infra.pipeline.setup import WarehouseSetup
from infra.pipeline.state_machine import Pipeline, PipelineSql
from infra.pipeline.statements import render_static
from infra.processing import JobCode, spark_runtime
from infra.storage import EMR_LOGS_PREFIX, Storage
from infra.warehouse import Warehouse
from liberta_core.layout import RAW_EVENTS_PREFIX, RUNS_PREFIX
from liberta_core.tables import TABLE_NAMES


class LibertaStack(Stack):
    """One deployable pipeline for one stage."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        config: StageConfig,
        job_package: JobPackage,
        sql: PipelineSql,
    ) -> None:
        env = (
            Environment(account=config.account, region=config.region)
            if config.account or config.region
            else None
        )
        super().__init__(
            scope,
            construct_id,
            env=env,
            description=f"Liberta game-analytics pipeline ({config.name}, EMR {config.emr_mode})",
        )
        self.config = config
        Tags.of(self).add("project", "liberta")
        Tags.of(self).add("liberta:stage", config.name)

        self.keys = keys = StageKeys(self, "Keys", config=config)
        storage = Storage(self, "Storage", config=config)
        network = Network(
            self,
            "Network",
            config=config,
            key=keys.logs,
            emr_cluster_endpoints=config.emr_mode == "cluster",
        )
        processing = spark_runtime(
            self,
            "Processing",
            config=config,
            vpc=network.vpc,
            subnets=network.subnets,
            key=keys.emr,
        )
        job_code = JobCode(self, "JobCode", package=job_package, mode=config.emr_mode)
        warehouse = Warehouse(
            self,
            "Warehouse",
            config=config,
            vpc=network.vpc,
            subnets=network.subnets,
            key=keys.warehouse,
        )
        monitoring = Monitoring(self, "Monitoring", config=config, key=keys.alerts)
        data_api = DataApiWarehouse(
            workgroup_name=warehouse.workgroup_name,
            workgroup_arn=warehouse.workgroup_arn,
            database=warehouse.database_name,
        )
        setup = WarehouseSetup(
            self,
            "WarehouseSetup",
            config=config,
            warehouse=data_api,
            admin_secret=warehouse.admin_secret,
            statements=[render_static(s, {"database": warehouse.database_name}) for s in sql.admin],
            state_key=keys.pipeline,
            logs_key=keys.logs,
        )
        orchestration = Pipeline(
            self,
            "Orchestration",
            config=config,
            keys=keys,
            sql=sql,
            runtime=processing,
            spark_job=job_code.spark_job,
            warehouse=data_api,
            setup=setup,
            copy_role_arn=warehouse.copy_role.role_arn,
            raw_uri=f"s3://{storage.raw.bucket_name}/{RAW_EVENTS_PREFIX.strip('/')}",
            curated_bucket=storage.curated,
            logs_uri=f"s3://{storage.artifacts.bucket_name}/{EMR_LOGS_PREFIX.strip('/')}/",
            topic=monitoring.topic,
        )
        monitoring.observe(
            state_machine=orchestration.state_machine,
            processing_integration_arn=processing.integration_arn,
            table_names=list(TABLE_NAMES),
            schedule_dead_letters=orchestration.schedule_dead_letters,
        )

        # -- grants where the parts meet ------------------------------------------------------
        grant_own_statements(orchestration.state_machine.role, data_api, iam_identity=True)
        grant_own_statements(setup.role, data_api, iam_identity=False)
        job_role = processing.job_role
        allow_read(storage.raw, job_role, prefixes=[RAW_EVENTS_PREFIX], sid="RawEvents")
        allow_read(storage.curated, job_role, sid="Curated")
        allow_write(storage.curated, job_role, sid="Curated")
        allow_write(storage.artifacts, job_role, prefixes=[EMR_LOGS_PREFIX], sid="EmrLogs")
        job_role.add_to_principal_policy(
            iam.PolicyStatement(
                sid="JobCode",
                actions=["s3:GetObject"],
                resources=list(job_code.spark_job.object_arns),
            )
        )
        # COPY reads the run's Parquet, COPY manifests and load summary: runs/ only.
        allow_read(storage.curated, warehouse.copy_role, prefixes=[RUNS_PREFIX], sid="CuratedRuns")

        keys.condition_log_delivery()  # after the last state machine

        self.storage, self.network, self.processing = storage, network, processing
        self.warehouse, self.monitoring, self.orchestration = warehouse, monitoring, orchestration
        self.setup = setup

        # -- outputs -----------------------------------------------------------------------------
        outputs = {
            "RawBucketName": (storage.raw.bucket_name, "raw events: s3://<this>/events/dt=.../"),
            "CuratedBucketName": (storage.curated.bucket_name, "star-schema Parquet, manifests"),
            "ArtifactsBucketName": (storage.artifacts.bucket_name, "EMR logs"),
            "AccessLogsBucketName": (storage.access_logs.bucket_name, "S3 server access logs"),
            "StateMachineArn": (orchestration.state_machine.state_machine_arn, "the pipeline"),
            "SetupStateMachineArn": (
                setup.state_machine.state_machine_arn,
                "the warehouse setup (roles and grants; the pipeline starts it itself)",
            ),
            "RedshiftWorkgroupName": (warehouse.workgroup_name, "Redshift Serverless workgroup"),
            "RedshiftEndpoint": (warehouse.endpoint_address, "host name, port 5439, TLS only"),
            "RedshiftDatabaseName": (warehouse.database_name, "the database Liberta loads"),
            "RedshiftJdbcUrl": (warehouse.jdbc_url, "JDBC URL for BI tools (Metabase etc.)"),
            "RedshiftAdminSecretArn": (
                warehouse.admin_secret.secret_arn,
                "the admin's credentials: break-glass only (BI tools use a liberta_analyst user)",
            ),
            "PipelineRoleArn": (
                orchestration.state_machine.role.role_arn,
                "the pipeline's identity: database user IAMR:<role name>, database role "
                "liberta_etl",
            ),
            "AlertsTopicArn": (monitoring.topic.topic_arn, "SNS topic for failures"),
        }
        for name, (value, description) in outputs.items():
            CfnOutput(self, name, value=value, description=description)

    @property
    def availability_zones(self) -> list[str]:
        """Three AZs even without a concrete environment (Redshift Serverless needs three)."""
        return [Fn.select(i, Fn.get_azs()) for i in range(AZ_COUNT)]
