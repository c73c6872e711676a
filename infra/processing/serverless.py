"""EMR Serverless: one application per stage; each execution is one job run (startJobRun.sync)."""

from __future__ import annotations

from aws_cdk import Duration, Stack
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_emrserverless as emrs
from aws_cdk import aws_iam as iam
from aws_cdk import aws_stepfunctions as sfn
from cdk_nag import RegexAppliesTo
from constructs import Construct

from infra.config import StageConfig
from infra.pipeline.building_blocks import PipelineContext, catch_all
from infra.processing.job_code import SparkJob

START_JOB_RUN_SYNC_ARN = "arn:aws:states:::emr-serverless:startJobRun.sync"


class ServerlessRuntime(Construct):
    integration_arn = START_JOB_RUN_SYNC_ARN

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        config: StageConfig,
        vpc: ec2.IVpc,
        subnets: ec2.SubnetSelection,
    ) -> None:
        super().__init__(scope, construct_id)
        self.config = config
        stack = Stack.of(self)
        self.subnet_ids = vpc.select_subnets(subnet_type=subnets.subnet_type).subnet_ids
        self.job_role = iam.Role(
            self,
            "ExecutionRole",
            assumed_by=iam.ServicePrincipal(
                "emr-serverless.amazonaws.com",
                conditions={"StringEquals": {"aws:SourceAccount": stack.account}},
            ),
            description="EMR Serverless job execution role: the Spark job's identity",
        )
        self.security_group = ec2.SecurityGroup(
            self,
            "WorkerSecurityGroup",
            vpc=vpc,
            description="EMR Serverless workers: outbound only (S3 endpoint, AWS APIs)",
            allow_all_outbound=True,
        )
        self.application = emrs.CfnApplication(
            self,
            "Application",
            name=f"{config.prefix}-spark",
            release_label=config.emr_release_label,
            type="Spark",
            architecture="X86_64",
            auto_start_configuration=emrs.CfnApplication.AutoStartConfigurationProperty(
                enabled=True
            ),
            auto_stop_configuration=emrs.CfnApplication.AutoStopConfigurationProperty(
                enabled=True, idle_timeout_minutes=config.serverless_idle_stop_minutes
            ),
            maximum_capacity=emrs.CfnApplication.MaximumAllowedResourcesProperty(
                cpu=f"{config.serverless_max_vcpu} vCPU",
                memory=f"{config.serverless_max_memory_gb} GB",
            ),
            network_configuration=emrs.CfnApplication.NetworkConfigurationProperty(
                subnet_ids=self.subnet_ids,
                security_group_ids=[self.security_group.security_group_id],
            ),
        )
        self.application_arn = self.application.attr_arn
        self.application_id = self.application.attr_application_id

    # -- the states that run the job -------------------------------------------------------
    def command_prefix(self, job: SparkJob) -> list[str]:
        return []  # the entry point and spark-submit options are separate fields of the run

    def run_states(
        self, scope: Construct, *, context: PipelineContext, job: SparkJob, logs_uri: str
    ) -> tuple[sfn.State, sfn.State]:
        config = self.config
        # The run's own timeout fires first; this bounds a stuck integration (the worst case).
        timeout_seconds = (config.budget_spark_minutes + 15) * 60
        # No EMR Serverless task class exists in CDK: the optimized integration, written out.
        start = sfn.CustomState(
            scope,
            "RunSparkJob",
            state_json={
                "Type": "Task",
                "Resource": START_JOB_RUN_SYNC_ARN,
                "Parameters": {
                    "ApplicationId": self.application_id,
                    "ExecutionRoleArn": self.job_role.role_arn,
                    "Name.$": "States.Format('liberta-job-{}', $.run_id)",
                    "ClientToken.$": "$.client_token",
                    # EMR Serverless cancels a run that exceeds its budget.
                    "ExecutionTimeoutMinutes": config.budget_spark_minutes,
                    "JobDriver": {
                        "SparkSubmit": {
                            "EntryPoint": job.entry_point_uri,
                            "EntryPointArguments.$": "$.job.args",
                            "SparkSubmitParameters": " ".join(job.submit_options),
                        }
                    },
                    "ConfigurationOverrides": {
                        "MonitoringConfiguration": {
                            "S3MonitoringConfiguration": {"LogUri": logs_uri}
                        }
                    },
                },
                "TimeoutSeconds": timeout_seconds,
                "ResultSelector": {"JobRunId.$": "$.JobRunId"},
                "ResultPath": "$.job_run",
            },
        )
        start.add_retry(
            errors=["EMRServerless.InternalServerException", "EMRServerless.ThrottlingException"],
            interval=Duration.seconds(30),
            max_attempts=3,
            backoff_rate=2,
        )
        catch_all(start, context.on_failure)
        self.worst_case_seconds = timeout_seconds
        return start, start

    # -- what the state machine needs, and the acknowledged findings ---------------------------
    def attach(self, state_machine: sfn.StateMachine) -> None:
        stack, role = Stack.of(self), state_machine.role
        role.add_to_principal_policy(
            iam.PolicyStatement(
                sid="StartSparkJobRun",
                actions=["emr-serverless:StartJobRun"],
                resources=[self.application_arn],
            )
        )
        role.add_to_principal_policy(
            iam.PolicyStatement(
                sid="FollowSparkJobRun",
                actions=["emr-serverless:GetJobRun", "emr-serverless:CancelJobRun"],
                resources=[f"{self.application_arn}/jobruns/*"],
            )
        )
        role.add_to_principal_policy(
            iam.PolicyStatement(
                sid="PassJobExecutionRole",
                actions=["iam:PassRole"],
                resources=[self.job_role.role_arn],
                conditions={
                    "StringEquals": {"iam:PassedToService": "emr-serverless.amazonaws.com"}
                },
            )
        )
        role.add_to_principal_policy(
            iam.PolicyStatement(
                sid="SyncEmrServerlessJobRunEvents",
                actions=["events:PutTargets", "events:PutRule", "events:DescribeRule"],
                resources=[
                    stack.format_arn(
                        service="events",
                        resource="rule",
                        resource_name="StepFunctionsGetEventsForEMRServerlessJobRule",
                    )
                ],
            )
        )

    def acknowledge_findings(
        self, stack: Stack, state_machine_role: iam.IRole
    ) -> list[str | RegexAppliesTo]:
        # EMR Serverless job run ids are created per execution (GetJobRun/CancelJobRun on this
        # application's job runs only).
        application = stack.resolve(self.application.logical_id)
        return [f"Resource::<{application}.Arn>/jobruns/*"]
