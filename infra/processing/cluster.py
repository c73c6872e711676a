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
from cdk_nag import NagPackSuppression, NagSuppressions, RegexAppliesTo
from constructs import Construct

from infra.config import StageConfig
from infra.network import EMR_MANAGED_TAG
from infra.pipeline.building_blocks import PipelineContext, catch_all, retry_transient
from infra.processing.job_code import SparkJob

CREATE_CLUSTER_SYNC_ARN = "arn:aws:states:::elasticmapreduce:createCluster.sync"
ADD_STEP_SYNC_ARN = "arn:aws:states:::elasticmapreduce:addStep.sync"
TERMINATE_CLUSTER_SYNC_ARN = "arn:aws:states:::elasticmapreduce:terminateCluster.sync"

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
# How cdk-nag prints ARN parts: a pseudo parameter, or the literal of a concrete environment.
PARTITION_PATTERN = r"(<AWS::Partition>|aws[\w-]*)"
REGION_PATTERN = r"(<AWS::Region>|[a-z]{2}(-[a-z]+)+-\d)"
ACCOUNT_PATTERN = r"(<AWS::AccountId>|\d{12})"


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
        # Every cluster the state machine creates carries these; its EMR permissions are
        # conditioned on the stage tag.
        self.tags = {"liberta:stage": config.name, EMR_MANAGED_TAG[0]: EMR_MANAGED_TAG[1]}

    # -- the states that run the job -------------------------------------------------------
    def command_prefix(self, job: SparkJob) -> list[str]:
        return ["spark-submit", *job.submit_options, job.entry_point_uri]

    def run_states(
        self, scope: Construct, *, context: PipelineContext, job: SparkJob, logs_uri: str
    ) -> tuple[sfn.State, sfn.State]:
        """CreateCluster -> RunSparkJob -> TerminateCluster, written out (not CDK's EMR task
        classes) so that the state machine's IAM is exactly `attach`'s: scoped to clusters
        tagged with this stage, and no unused auto-scaling role."""
        config = self.config
        cluster_id = "$.cluster.ClusterId"

        def market(spot: bool) -> str:
            return "SPOT" if spot else "ON_DEMAND"

        create = sfn.CustomState(
            scope,
            "CreateCluster",
            state_json={
                "Type": "Task",
                "Resource": CREATE_CLUSTER_SYNC_ARN,
                "Parameters": {
                    "Name.$": f"States.Format('{config.prefix}-{{}}', $.run_id)",
                    "ReleaseLabel": config.emr_release_label,
                    "Applications": [{"Name": "Spark"}],
                    "ServiceRole": self.service_role.role_name,
                    "JobFlowRole": self.instance_profile.ref,
                    "SecurityConfiguration": self.security_configuration.ref,
                    "LogUri": logs_uri,
                    "VisibleToAllUsers": True,
                    # A safety net: a cluster whose execution died without terminating it
                    # stops after an idle hour.
                    "AutoTerminationPolicy": {"IdleTimeout": 3600},
                    "Instances": {
                        "Ec2SubnetIds": list(self.subnet_ids),
                        "EmrManagedMasterSecurityGroup": (
                            self.primary_security_group.security_group_id
                        ),
                        "EmrManagedSlaveSecurityGroup": self.core_security_group.security_group_id,
                        "ServiceAccessSecurityGroup": (
                            self.service_access_security_group.security_group_id
                        ),
                        "KeepJobFlowAliveWhenNoSteps": True,
                        "TerminationProtected": False,
                        "InstanceGroups": [
                            {
                                "Name": "primary",
                                "InstanceRole": "MASTER",
                                "InstanceType": config.emr_primary_instance_type,
                                "InstanceCount": 1,
                                "Market": "ON_DEMAND",
                            },
                            {
                                "Name": "core",
                                "InstanceRole": "CORE",
                                "InstanceType": config.emr_core_instance_type,
                                "InstanceCount": config.emr_core_instance_count,
                                "Market": market(config.emr_use_spot),
                            },
                        ],
                    },
                    "Tags": [{"Key": key, "Value": value} for key, value in self.tags.items()],
                },
                "TimeoutSeconds": config.budget_cluster_start_minutes * 60,
                "ResultSelector": {"ClusterId.$": "$.ClusterId"},
                "ResultPath": "$.cluster",
            },
        )
        create.add_retry(errors=["States.TaskFailed"], interval=Duration.minutes(1), max_attempts=2)
        catch_all(create, context.on_failure)

        step = sfn.CustomState(
            scope,
            "RunSparkJob",
            state_json={
                "Type": "Task",
                "Resource": ADD_STEP_SYNC_ARN,
                "Parameters": {
                    "ClusterId.$": cluster_id,
                    "Step": {
                        "Name.$": "States.Format('liberta-job-{}', $.run_id)",
                        "ActionOnFailure": "CONTINUE",
                        "HadoopJarStep": {"Jar": "command-runner.jar", "Args.$": "$.job.args"},
                    },
                },
                "TimeoutSeconds": config.budget_spark_minutes * 60,
                "ResultSelector": {"StepId.$": "$.Step.Id"},
                "ResultPath": "$.step_run",
            },
        )
        step.add_retry(
            errors=["ElasticMapReduce.AmazonElasticMapReduceException"],
            interval=Duration.seconds(30),
            max_attempts=2,
            backoff_rate=2,
        )

        def terminate(state_id: str) -> sfn.CustomState:
            task = sfn.CustomState(
                scope,
                state_id,
                state_json={
                    "Type": "Task",
                    "Resource": TERMINATE_CLUSTER_SYNC_ARN,
                    "Parameters": {"ClusterId.$": cluster_id},
                    "TimeoutSeconds": config.budget_cluster_stop_minutes * 60,
                    "ResultPath": sfn.JsonPath.DISCARD,  # null: keep the state
                },
            )
            retry_transient(task, attempts=5)
            return task

        terminate_after_failure = terminate("TerminateClusterAfterFailure")
        catch_all(terminate_after_failure, context.on_failure, result_path="$.terminate_error")
        terminate_after_failure.next(context.on_failure)
        catch_all(step, terminate_after_failure)

        done = terminate("TerminateCluster")
        catch_all(done, context.on_failure)
        create.next(step)
        step.next(done)
        self.worst_case_seconds = 60 * (
            config.budget_cluster_start_minutes
            + config.budget_spark_minutes
            + config.budget_cluster_stop_minutes
        )
        return create, done

    # -- what the state machine needs, and the acknowledged findings ---------------------------
    def attach(self, state_machine: sfn.StateMachine) -> None:
        """Exactly what the three EMR integrations call, on Liberta's clusters only."""
        stack, role = Stack.of(self), state_machine.role
        stage_tag = {"aws:RequestTag/liberta:stage": self.config.name}
        role.add_to_principal_policy(
            iam.PolicyStatement(
                sid="CreateStageClusters",
                # RunJobFlow has no resource type: the condition admits only clusters tagged
                # with this stage (the tag the state machine puts on them).
                actions=["elasticmapreduce:RunJobFlow"],
                resources=["*"],
                conditions={"StringEquals": stage_tag},
            )
        )
        clusters = stack.format_arn(
            service="elasticmapreduce", resource="cluster", resource_name="*"
        )
        role.add_to_principal_policy(
            iam.PolicyStatement(
                sid="TagStageClusters",
                actions=["elasticmapreduce:AddTags"],
                resources=[clusters],
                conditions={"StringEquals": stage_tag},
            )
        )
        role.add_to_principal_policy(
            iam.PolicyStatement(
                sid="RunOnStageClusters",
                actions=[
                    "elasticmapreduce:DescribeCluster",
                    "elasticmapreduce:TerminateJobFlows",
                    "elasticmapreduce:AddJobFlowSteps",
                    "elasticmapreduce:DescribeStep",
                    "elasticmapreduce:CancelSteps",
                ],
                resources=[clusters],
                conditions={"StringEquals": {"aws:ResourceTag/liberta:stage": self.config.name}},
            )
        )
        role.add_to_principal_policy(
            iam.PolicyStatement(
                sid="PassClusterRoles",
                actions=["iam:PassRole"],
                resources=[self.service_role.role_arn, self.job_role.role_arn],
                conditions={
                    "StringEquals": {"iam:PassedToService": "elasticmapreduce.amazonaws.com"}
                },
            )
        )
        role.add_to_principal_policy(
            iam.PolicyStatement(
                sid="EmrCleanupServiceLinkedRole",
                # EMR creates its cleanup service-linked role on first use.
                actions=["iam:CreateServiceLinkedRole"],
                resources=[
                    stack.format_arn(
                        service="iam",
                        region="",
                        resource="role",
                        resource_name="aws-service-role/elasticmapreduce.amazonaws.com*/"
                        "AWSServiceRoleForEMRCleanup*",
                    )
                ],
                conditions={
                    "StringLike": {"iam:AWSServiceName": "elasticmapreduce.amazonaws.com*"}
                },
            )
        )
        role.add_to_principal_policy(
            iam.PolicyStatement(
                sid="SyncEmrEvents",
                # The .sync integrations' managed EventBridge rules.
                actions=["events:PutTargets", "events:PutRule", "events:DescribeRule"],
                resources=[
                    stack.format_arn(service="events", resource="rule", resource_name=name)
                    for name in (
                        "StepFunctionsGetEventForEMRRunJobFlowRule",
                        "StepFunctionsGetEventForEMRAddJobFlowStepsRule",
                        "StepFunctionsGetEventForEMRTerminateJobFlowsRule",
                    )
                ],
            )
        )
        # EMR needs the instance profile before the first CreateCluster call.
        state_machine.node.add_dependency(self.instance_profile)

    def acknowledge_findings(
        self, stack: Stack, state_machine_role: iam.IRole
    ) -> list[str | RegexAppliesTo]:
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
        # Clusters are created per execution: their ids are unknown at deploy time, so the
        # state machine's EMR actions name cluster/* under a condition on the stage's tag;
        # RunJobFlow has no resource type; the EMR cleanup service-linked role is EMR's own.
        return [
            "Resource::*",
            RegexAppliesTo(
                regex=rf"/^Resource::arn:{PARTITION_PATTERN}:elasticmapreduce:{REGION_PATTERN}:{ACCOUNT_PATTERN}"
                r":cluster\/\*$/"
            ),
            RegexAppliesTo(
                regex=rf"/^Resource::arn:{PARTITION_PATTERN}:iam::{ACCOUNT_PATTERN}:role\/aws-service-role\/"
                r"elasticmapreduce\.amazonaws\.com\*\/AWSServiceRoleForEMRCleanup\*$/"
            ),
        ]
