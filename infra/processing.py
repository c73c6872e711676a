"""Where the Spark job runs: a transient EMR-on-EC2 cluster or an EMR Serverless application.

Only the pieces of the stage's mode are created. The state machine (orchestration.py) creates
and terminates the transient cluster per execution, so the cluster itself is not a resource
here: its roles, instance profile, security groups and security configuration are.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from aws_cdk import Stack, Tags
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_emr as emr
from aws_cdk import aws_emrserverless as emrs
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_s3_assets as s3_assets
from constructs import Construct

from emr_jobs.packaging import JobPackage, spark_submit_args
from infra.config import EmrMode, StageConfig
from infra.network import EMR_MANAGED_TAG

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


class Processing(Construct):
    """The Spark runtime of one EMR mode.

    `job_role` is the identity the Spark job runs as in either mode (the EC2 instance role of
    the cluster, or the EMR Serverless execution role): grant it access to the data.
    """

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
        self.mode = config.emr_mode
        self.release_label = config.emr_release_label
        self.subnet_ids = vpc.select_subnets(subnet_type=subnets.subnet_type).subnet_ids
        if config.emr_mode == "cluster":
            self._cluster_pieces(config=config, vpc=vpc, key=key)
        else:
            self._serverless_application(config=config, vpc=vpc)

    # -- EMR on EC2 ------------------------------------------------------------------------
    def _cluster_pieces(self, *, config: StageConfig, vpc: ec2.IVpc, key: kms.IKey) -> None:
        stack = Stack.of(self)
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

    # -- EMR Serverless --------------------------------------------------------------------
    def _serverless_application(self, *, config: StageConfig, vpc: ec2.IVpc) -> None:
        stack = Stack.of(self)
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

    @property
    def application_arn(self) -> str:
        return self.application.attr_arn

    @property
    def application_id(self) -> str:
        return self.application.attr_application_id


@dataclass(frozen=True, kw_only=True)
class SparkJob:
    """How to start the Spark job: the spark-submit options and the job's entry point."""

    entry_point_uri: str
    submit_options: Sequence[str]  # everything between `spark-submit` and the entry point
    object_arns: Sequence[str]  # S3 objects of the job code the job role must read


# Stands in for the upload prefix `spark_submit_args` expects; every file of the package is a
# separate CDK asset (content-hashed key), so each `<prefix>/<file name>` is swapped for the
# URL of that file's asset.
_PREFIX_SENTINEL = "s3://liberta-job-package.invalid/prefix"


class JobCode(Construct):
    """The Spark job package (`emr_jobs.packaging.build`) uploaded as CDK file assets."""

    def __init__(
        self, scope: Construct, construct_id: str, *, package: JobPackage, mode: EmrMode
    ) -> None:
        super().__init__(scope, construct_id)
        assets: dict[str, s3_assets.Asset] = {}
        for path in package.files:
            if not Path(path).is_file():
                raise FileNotFoundError(f"job package file {path} is missing: rebuild it")
            construct_name = "".join(part.title() for part in Path(path).name.split("."))
            assets[Path(path).name] = s3_assets.Asset(self, construct_name, path=str(path))

        def locate(arg: str) -> str:
            for name, asset in assets.items():
                arg = arg.replace(f"{_PREFIX_SENTINEL}/{name}", asset.s3_object_url)
            if _PREFIX_SENTINEL in arg:
                raise ValueError(
                    f"spark-submit argument {arg!r} names a file that build() did not write "
                    f"(package files: {sorted(assets)})"
                )
            return arg

        args = [locate(arg) for arg in spark_submit_args(_PREFIX_SENTINEL, target=mode)]
        self.spark_job = SparkJob(
            entry_point_uri=args[-1],
            submit_options=tuple(args[:-1]),
            object_arns=tuple(
                asset.bucket.arn_for_objects(asset.s3_object_key) for asset in assets.values()
            ),
        )
