"""The warehouse: Redshift Serverless namespace + workgroup, private, TLS-only, audited."""

from __future__ import annotations

import json

from aws_cdk import RemovalPolicy, Stack
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_redshiftserverless as rss
from aws_cdk import aws_secretsmanager as secretsmanager
from constructs import Construct

from infra.config import StageConfig

REDSHIFT_PORT = 5439
# CloudWatch log exports: connections, users, and every query (audit trail).
AUDIT_LOG_EXPORTS = ("connectionlog", "userlog", "useractivitylog")


class Warehouse(Construct):
    """Redshift Serverless whose admin credentials live only in Secrets Manager.

    `admin_secret` holds `username` and `password` (the shape the Redshift Data API and BI
    tools read); CloudFormation resolves the password at deploy time, so it never appears in
    the template.

    `copy_role` is the IAM role `COPY` uses (the namespace's default IAM role); it starts with
    no permissions: the stack grants it read access to the curated bucket only.
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
        removal = RemovalPolicy.RETAIN if config.retain_data else RemovalPolicy.DESTROY
        self.database_name = config.redshift_database
        self.namespace_name = f"{config.prefix}-warehouse"
        self.workgroup_name = f"{config.prefix}-workgroup"

        account = Stack.of(self).account
        self.copy_role = iam.Role(
            self,
            "CopyRole",
            # Only Redshift acting for this account may assume it (no confused deputy).
            assumed_by=iam.CompositePrincipal(
                iam.ServicePrincipal(
                    "redshift.amazonaws.com",
                    conditions={"StringEquals": {"aws:SourceAccount": account}},
                ),
                iam.ServicePrincipal(
                    "redshift-serverless.amazonaws.com",
                    conditions={"StringEquals": {"aws:SourceAccount": account}},
                ),
            ),
            description="Redshift COPY role: reads the curated bucket's runs/, nothing else",
        )

        self.security_group = ec2.SecurityGroup(
            self,
            "SecurityGroup",
            vpc=vpc,
            description="Redshift Serverless: SQL clients from the VPC and listed networks only",
            allow_all_outbound=True,
        )
        self.security_group.add_ingress_rule(
            ec2.Peer.ipv4(config.vpc_cidr),
            ec2.Port.tcp(REDSHIFT_PORT),
            "SQL clients inside the VPC",
        )
        for cidr in config.warehouse_client_cidrs:
            self.security_group.add_ingress_rule(
                ec2.Peer.ipv4(cidr), ec2.Port.tcp(REDSHIFT_PORT), f"SQL clients from {cidr}"
            )

        self.admin_secret = secretsmanager.Secret(
            self,
            "AdminSecret",
            description=f"Redshift Serverless admin of {self.namespace_name}",
            encryption_key=key,
            removal_policy=removal,
            generate_secret_string=secretsmanager.SecretStringGenerator(
                secret_string_template=json.dumps({"username": config.redshift_admin_user}),
                generate_string_key="password",
                password_length=40,
                require_each_included_type=True,
                # Characters Redshift refuses in passwords.
                exclude_characters="\"'\\/@ ",
            ),
        )
        self.namespace = rss.CfnNamespace(
            self,
            "Namespace",
            namespace_name=self.namespace_name,
            db_name=config.redshift_database,
            admin_username=config.redshift_admin_user,
            admin_user_password=self.admin_secret.secret_value_from_json(
                "password"
            ).unsafe_unwrap(),
            kms_key_id=key.key_arn,
            iam_roles=[self.copy_role.role_arn],
            default_iam_role_arn=self.copy_role.role_arn,
            log_exports=list(AUDIT_LOG_EXPORTS),
        )
        self.namespace.apply_removal_policy(removal)

        self.workgroup = rss.CfnWorkgroup(
            self,
            "Workgroup",
            workgroup_name=self.workgroup_name,
            namespace_name=self.namespace_name,
            base_capacity=config.redshift_base_rpu,
            max_capacity=config.redshift_max_rpu,
            enhanced_vpc_routing=True,
            publicly_accessible=False,
            subnet_ids=vpc.select_subnets(subnet_type=subnets.subnet_type).subnet_ids,
            security_group_ids=[self.security_group.security_group_id],
            port=REDSHIFT_PORT,
            config_parameters=[
                rss.CfnWorkgroup.ConfigParameterProperty(
                    parameter_key="require_ssl", parameter_value="true"
                ),
                rss.CfnWorkgroup.ConfigParameterProperty(
                    parameter_key="enable_user_activity_logging", parameter_value="true"
                ),
            ],
        )
        self.workgroup.node.add_dependency(self.namespace)
        self.workgroup.apply_removal_policy(removal)

        self.workgroup_arn = self.workgroup.attr_workgroup_workgroup_arn
        self.endpoint_address = self.workgroup.attr_workgroup_endpoint_address
        self.jdbc_url = (
            f"jdbc:redshift://{self.endpoint_address}:{REDSHIFT_PORT}/{config.redshift_database}"
            "?ssl=true"
        )
        self.namespace_arn = self.namespace.attr_namespace_namespace_arn
