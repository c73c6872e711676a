"""EMR on EC2: a transient cluster per execution (create -> addStep.sync -> terminate).

The cluster itself is not a resource here (the state machine creates and terminates it per
execution): its roles, instance profile, security groups and security configuration are. While
the cluster exists, every failure terminates it before the failure path runs.
"""

from __future__ import annotations

from aws_cdk import Duration, Stack, Tags
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_emr as emr
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_stepfunctions as sfn
from aws_cdk import aws_stepfunctions_tasks as tasks
from cdk_nag import NagPackSuppression, NagSuppressions, RegexAppliesTo
from constructs import Construct

from infra.config import StageConfig
from infra.network import EMR_MANAGED_TAG
from infra.pipeline.building_blocks import PipelineContext, catch_all, retry_transient
from infra.processing.job_code import SparkJob

ADD_STEP_SYNC_ARN = "arn:aws:states:::elasticmapreduce:addStep.sync"

# What EMR needs on the key that encrypts the nodes' EBS volumes and local disks.
LOCAL_DISK_KEY_ACTIONS = (
    "kms:Encrypt",
    "kms:Decrypt",
    "kms:ReEncryptFrom",
    "kms:ReEncryptTo",
    "kms:GenerateDataKey",
    "kms:GenerateDataKeyWithoutPlaintext",
    "kms:DescribeKey",
)
# A partition, region or account as cdk-nag prints it: a token or a literal.
_PARTITION = r"(<AWS::Partition>|aws[\w-]*)"
_REGION = r"(<AWS::Region>|[a-z]{2}(-[a-z]+)+-\d)"
_ACCOUNT = r"(<AWS::AccountId>|\d{12})"


class ClusterRuntime(Construct):
    integration_arn = ADD_STEP_SYNC_ARN

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        config: StageConfig,
        vpc: ec2.IVpc,
        subnets: ec2.SubnetSelection,
        key: kms.IKey,
    ) -> None:
        super().__init__(scope, construct_id)
        self.config = config
        stack = Stack.of(self)
        self.subnet_ids = vpc.select_subnets(subnet_type=subnets.subnet_type).subnet_ids
        self.job_role = iam.Role(
            self,
            "InstanceRole",
            assumed_by=iam.ServicePrincipal("ec2.amazonaws.com"),
            description="EC2 instance role of the transient EMR cluster: the Spark job's identity",
        )
        # EMR launches instances with an instance profile named like the role
        # (EmrCreateCluster passes the role name as JobFlowRole).
        self.instance_profile = iam.CfnInstanceProfile(
            self,
            "InstanceProfile",
            roles=[self.job_role.role_name],
            instance_profile_name=self.job_role.role_name,
        )
        self.service_role = iam.Role(
            self,
            "ServiceRole",
            assumed_by=iam.ServicePrincipal(
                "elasticmapreduce.amazonaws.com",
                conditions={"StringEquals": {"aws:SourceAccount": stack.account}},
            ),
            description="EMR service role (AmazonEMRServicePolicy_v2, limited to tagged resources)",
            managed_policies=[
                iam.ManagedPolicy.from_aws_managed_policy_name(
                    "service-role/AmazonEMRServicePolicy_v2"
                )
            ],
        )
        self.service_role.add_to_policy(
            iam.PolicyStatement(
                sid="PassInstanceRole",
                actions=["iam:PassRole"],
                resources=[self.job_role.role_arn],
                conditions={"StringLike": {"iam:PassedToService": "ec2.amazonaws.com*"}},
            )
        )
        # Local disk (EBS and instance store) encryption uses the stage key.
        key.grant(self.job_role, *LOCAL_DISK_KEY_ACTIONS)
        key.grant(self.service_role, *LOCAL_DISK_KEY_ACTIONS, "kms:CreateGrant")

        def managed_group(construct_id: str, description: str) -> ec2.SecurityGroup:
            group = ec2.SecurityGroup(
                self, construct_id, vpc=vpc, description=description, allow_all_outbound=True
            )
            Tags.of(group).add(*EMR_MANAGED_TAG)
            return group

        # EMR adds the rules these groups need between the nodes and its control plane.
        self.primary_security_group = managed_group(
            "PrimarySecurityGroup", "EMR-managed: primary node of the transient cluster"
        )
        self.core_security_group = managed_group(
            "CoreSecurityGroup", "EMR-managed: core nodes of the transient cluster"
        )
        self.service_access_security_group = ec2.SecurityGroup(
            self,
            "ServiceAccessSecurityGroup",
            vpc=vpc,
            description="EMR-managed: service access for clusters in private subnets",
            allow_all_outbound=False,
        )
        Tags.of(self.service_access_security_group).add(*EMR_MANAGED_TAG)
        self.service_access_security_group.add_ingress_rule(
            self.primary_security_group,
            ec2.Port.tcp(9443),
            "EMR service access from the primary node (required in private subnets)",
        )
        self.service_access_security_group.add_egress_rule(
            self.primary_security_group, ec2.Port.tcp(8443), "EMR control plane to primary"
        )
        self.service_access_security_group.add_egress_rule(
            self.core_security_group, ec2.Port.tcp(8443), "EMR control plane to core nodes"
        )

        self.security_configuration = emr.CfnSecurityConfiguration(
            self,
            "SecurityConfiguration",
            security_configuration={
                "EncryptionConfiguration": {
                    # In-transit encryption needs a certificate bundle the operator provides;
                    # traffic stays inside the VPC's private subnets.
                    "EnableInTransitEncryption": False,
                    "EnableAtRestEncryption": True,
                    "AtRestEncryptionConfiguration": {
                        "S3EncryptionConfiguration": {"EncryptionMode": "SSE-S3"},
                        "LocalDiskEncryptionConfiguration": {
                            "EncryptionKeyProviderType": "AwsKms",
                            "AwsKmsKey": key.key_arn,
                            "EnableEbsEncryption": True,
                        },
                    },
                },
                "InstanceMetadataServiceConfiguration": {
                    "MinimumInstanceMetadataServiceVersion": 2,
                    "HttpPutResponseHopLimit": 2,
                },
            },
        )
        self.instance_types = (config.emr_primary_instance_type, config.emr_core_instance_type)

    # -- the states that run the job -------------------------------------------------------
    def command_prefix(self, job: SparkJob) -> list[str]:
        return ["spark-submit", *job.submit_options, job.entry_point_uri]

    def run_states(
        self, scope: Construct, *, context: PipelineContext, job: SparkJob, logs_uri: str
    ) -> tuple[sfn.State, sfn.State]:
        config = self.config
        market = (
            tasks.EmrCreateCluster.InstanceMarket.SPOT
            if config.emr_use_spot
            else tasks.EmrCreateCluster.InstanceMarket.ON_DEMAND
        )
        create = tasks.EmrCreateCluster(
            scope,
            "CreateCluster",
            name=sfn.JsonPath.format(f"{config.prefix}-{{}}", sfn.JsonPath.string_at("$.run_id")),
            release_label=config.emr_release_label,
            applications=[tasks.EmrCreateCluster.ApplicationConfigProperty(name="Spark")],
            cluster_role=self.job_role,
            service_role=self.service_role,
            security_configuration=self.security_configuration.ref,
            log_uri=logs_uri,
            visible_to_all_users=True,
            # A safety net: a cluster whose execution died without terminating it stops
            # after an idle hour.
            auto_termination_policy_idle_timeout=Duration.hours(1),
            instances=tasks.EmrCreateCluster.InstancesConfigProperty(
                ec2_subnet_ids=list(self.subnet_ids),
                emr_managed_master_security_group=self.primary_security_group.security_group_id,
                emr_managed_slave_security_group=self.core_security_group.security_group_id,
                service_access_security_group=(
                    self.service_access_security_group.security_group_id
                ),
                instance_fleets=None,
                instance_groups=[
                    tasks.EmrCreateCluster.InstanceGroupConfigProperty(
                        name="primary",
                        instance_role=tasks.EmrCreateCluster.InstanceRoleType.MASTER,
                        instance_type=config.emr_primary_instance_type,
                        instance_count=1,
                        market=tasks.EmrCreateCluster.InstanceMarket.ON_DEMAND,
                    ),
                    tasks.EmrCreateCluster.InstanceGroupConfigProperty(
                        name="core",
                        instance_role=tasks.EmrCreateCluster.InstanceRoleType.CORE,
                        instance_type=config.emr_core_instance_type,
                        instance_count=config.emr_core_instance_count,
                        market=market,
                    ),
                ],
                termination_protected=False,
            ),
            tags={"liberta:stage": config.name, "for-use-with-amazon-emr-managed-policies": "true"},
            integration_pattern=sfn.IntegrationPattern.RUN_JOB,
            result_selector={"ClusterId.$": "$.ClusterId"},
            result_path="$.cluster",
        )
        create.add_retry(errors=["States.TaskFailed"], interval=Duration.minutes(1), max_attempts=2)
        catch_all(create, context.on_failure)

        step = tasks.EmrAddStep(
            scope,
            "RunSparkJob",
            cluster_id=sfn.JsonPath.string_at("$.cluster.ClusterId"),
            name=sfn.JsonPath.format("liberta-job-{}", sfn.JsonPath.string_at("$.run_id")),
            jar="command-runner.jar",
            args=sfn.JsonPath.list_at("$.job.args"),
            action_on_failure=tasks.ActionOnFailure.CONTINUE,
            integration_pattern=sfn.IntegrationPattern.RUN_JOB,
            task_timeout=sfn.Timeout.duration(Duration.hours(config.emr_step_timeout_hours)),
            result_selector={"StepId.$": "$.Step.Id"},
            result_path="$.step_run",
        )
        step.add_retry(
            errors=["ElasticMapReduce.AmazonElasticMapReduceException"],
            interval=Duration.seconds(30),
            max_attempts=2,
            backoff_rate=2,
        )
        terminate_after_failure = tasks.EmrTerminateCluster(
            scope,
            "TerminateClusterAfterFailure",
            cluster_id=sfn.JsonPath.string_at("$.cluster.ClusterId"),
            integration_pattern=sfn.IntegrationPattern.RUN_JOB,
            result_path=sfn.JsonPath.DISCARD,
        )
        retry_transient(terminate_after_failure, attempts=5)
        catch_all(terminate_after_failure, context.on_failure, result_path="$.terminate_error")
        terminate_after_failure.next(context.on_failure)
        catch_all(step, terminate_after_failure)

        terminate = tasks.EmrTerminateCluster(
            scope,
            "TerminateCluster",
            cluster_id=sfn.JsonPath.string_at("$.cluster.ClusterId"),
            integration_pattern=sfn.IntegrationPattern.RUN_JOB,
            result_path=sfn.JsonPath.DISCARD,
        )
        retry_transient(terminate, attempts=5)
        catch_all(terminate, context.on_failure)
        create.next(step)
        step.next(terminate)
        self._create = create
        return create, terminate

    # -- what the state machine needs, and the acknowledged findings ---------------------------
    def attach(self, state_machine: sfn.StateMachine) -> None:
        # The CDK EMR tasks grant what they call (create, add step, terminate, pass role);
        # EMR needs the instance profile before the first CreateCluster call.
        state_machine.node.add_dependency(self.instance_profile)

    def acknowledge_findings(
        self, stack: Stack, state_machine_role: iam.IRole
    ) -> list[str | RegexAppliesTo]:
        NagSuppressions.add_resource_suppressions(
            self._create.node.find_child("AutoScalingRole"),
            [
                NagPackSuppression(
                    id="AwsSolutions-IAM4",
                    reason="Created by CDK's EmrCreateCluster task for every cluster; Liberta's "
                    "transient cluster defines no automatic scaling policy, so EMR never uses it.",
                    applies_to=[
                        "Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/"
                        "AmazonElasticMapReduceforAutoScalingRole"
                    ],
                )
            ],
            apply_to_children=True,
        )
        NagSuppressions.add_resource_suppressions(
            self.service_role,
            [
                NagPackSuppression(
                    id="AwsSolutions-IAM4",
                    reason="AmazonEMRServicePolicy_v2 is the scoped EMR service policy AWS "
                    "maintains: it acts only on network resources tagged "
                    "for-use-with-amazon-emr-managed-policies=true (Liberta tags its VPC and EMR "
                    "security groups).",
                    applies_to=[
                        "Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/"
                        "AmazonEMRServicePolicy_v2"
                    ],
                )
            ],
            apply_to_children=True,
        )
        # The policy CDK's EmrCreateCluster/EmrAddStep/EmrTerminateCluster tasks generate:
        # clusters are created per execution, so their ids are unknown at deploy time; the EMR
        # cleanup service-linked role is created by EMR on first use.
        return [
            RegexAppliesTo(
                regex=rf"/^Resource::arn:{_PARTITION}:elasticmapreduce:{_REGION}:{_ACCOUNT}"
                r":cluster\/\*$/"
            ),
            RegexAppliesTo(
                regex=rf"/^Resource::arn:{_PARTITION}:iam::{_ACCOUNT}:role\/aws-service-role\/"
                r"elasticmapreduce\.amazonaws\.com\*\/AWSServiceRoleForEMRCleanup\*$/"
            ),
        ]
