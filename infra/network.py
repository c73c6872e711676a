"""The VPC that EMR, EMR Serverless and Redshift Serverless run in.

No internet path by default: subnets are isolated and AWS services are reached through a
gateway endpoint for S3 and interface endpoints for the APIs the EMR nodes call. A stage that
sets `nat_gateways > 0` gets public subnets and NAT instead (for jobs that must reach the
internet, for example to resolve Maven packages).
"""

from __future__ import annotations

from aws_cdk import Tags
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_kms as kms
from constructs import Construct

from infra.config import StageConfig
from infra.log_groups import encrypted_log_group

# AmazonEMRServicePolicy_v2 lets EMR act only on network resources carrying this tag.
EMR_MANAGED_TAG = ("for-use-with-amazon-emr-managed-policies", "true")
# Redshift Serverless requires subnets in three Availability Zones.
AZ_COUNT = 3


class Network(Construct):
    """VPC, subnets, endpoints and flow logs. `subnets` selects where workloads run."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        config: StageConfig,
        key: kms.IKey,
        emr_cluster_endpoints: bool,
    ) -> None:
        super().__init__(scope, construct_id)
        private_type = (
            ec2.SubnetType.PRIVATE_WITH_EGRESS
            if config.nat_gateways
            else ec2.SubnetType.PRIVATE_ISOLATED
        )
        subnets = [
            ec2.SubnetConfiguration(name="workloads", subnet_type=private_type, cidr_mask=20)
        ]
        if config.nat_gateways:
            subnets.append(
                ec2.SubnetConfiguration(
                    name="public", subnet_type=ec2.SubnetType.PUBLIC, cidr_mask=24
                )
            )
        self.vpc = ec2.Vpc(
            self,
            "Vpc",
            ip_addresses=ec2.IpAddresses.cidr(config.vpc_cidr),
            max_azs=AZ_COUNT,
            nat_gateways=config.nat_gateways,
            subnet_configuration=subnets,
            # The default security group admits nothing (a Lambda-backed custom resource
            # removes its rules; off only where Lambda cannot run, see StageConfig).
            restrict_default_security_group=config.restrict_default_security_group,
        )
        self.subnets = ec2.SubnetSelection(subnet_type=private_type)
        Tags.of(self.vpc).add(*EMR_MANAGED_TAG)

        flow_log_group = encrypted_log_group(self, "FlowLogs", config=config, key=key)
        self.vpc.add_flow_log(
            "FlowLog",
            destination=ec2.FlowLogDestination.to_cloud_watch_logs(flow_log_group),
            traffic_type=ec2.FlowLogTrafficType.REJECT,
        )

        self.vpc.add_gateway_endpoint(
            "S3", service=ec2.GatewayVpcEndpointAwsService.S3, subnets=[self.subnets]
        )
        self.endpoint_security_group = ec2.SecurityGroup(
            self,
            "EndpointSecurityGroup",
            vpc=self.vpc,
            description="Interface endpoints: HTTPS from inside the VPC only",
            allow_all_outbound=False,
        )
        self.endpoint_security_group.add_ingress_rule(
            ec2.Peer.ipv4(config.vpc_cidr), ec2.Port.tcp(443), "HTTPS from the VPC"
        )
        services = {
            "Sts": ec2.InterfaceVpcEndpointAwsService.STS,
            "Kms": ec2.InterfaceVpcEndpointAwsService.KMS,
            "Logs": ec2.InterfaceVpcEndpointAwsService.CLOUDWATCH_LOGS,
        }
        if emr_cluster_endpoints:
            # Cluster nodes in a subnet without internet talk to the EMR control plane here.
            services["Emr"] = ec2.InterfaceVpcEndpointAwsService.EMR
        for name, service in services.items():
            self.vpc.add_interface_endpoint(
                name,
                service=service,
                subnets=self.subnets,
                security_groups=[self.endpoint_security_group],
                private_dns_enabled=True,
                # The group above already admits HTTPS from the VPC's (literal) CIDR.
                open=False,
            )
