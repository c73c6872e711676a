"""One KMS key per purpose, each admitting only the service principals that purpose needs,
each under a condition naming this account (and, for logs, the log groups of this region).

    logs       CloudWatch log groups (VPC flow logs, the state machines' logs)
    alerts     the SNS alert topic (CloudWatch alarms and the state machine publish to it)
    pipeline   the state machines' own data (definitions, execution history)
    warehouse  Redshift Serverless storage and the admin secret
    emr        the EMR nodes' local disks (cluster mode only)

Separate keys keep each grant narrow: the Spark job's role can use the EMR disk key and no
other, the alarm service can encrypt alert messages and nothing else. Each key costs $1 a
month (four or five keys per stage).
"""

from __future__ import annotations

from aws_cdk import ArnFormat, RemovalPolicy, Stack
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from constructs import Construct

from infra.config import StageConfig

PURPOSES = ("logs", "alerts", "pipeline", "warehouse", "emr")


class StageKeys(Construct):
    def __init__(self, scope: Construct, construct_id: str, *, config: StageConfig) -> None:
        super().__init__(scope, construct_id)
        stack = Stack.of(self)
        removal = RemovalPolicy.RETAIN if config.retain_data else RemovalPolicy.DESTROY

        def key(purpose: str, description: str) -> kms.Key:
            return kms.Key(
                self,
                purpose.title(),
                alias=f"alias/{config.prefix}-{purpose}",
                description=f"Liberta {config.name}: {description}",
                enable_key_rotation=True,
                removal_policy=removal,
            )

        self.logs = key("logs", "CloudWatch log groups")
        self.alerts = key("alerts", "the SNS alert topic")
        self.pipeline = key("pipeline", "the pipeline state machines' data")
        self.warehouse = key("warehouse", "Redshift Serverless and its admin secret")
        # EMR Serverless encrypts its workers' storage itself: the disk key is cluster-only.
        self.emr: kms.Key | None = (
            key("emr", "EMR nodes' local disks") if config.emr_mode == "cluster" else None
        )

        # CloudWatch Logs encrypts only this account's log groups in this region with it.
        self.logs.add_to_resource_policy(
            iam.PolicyStatement(
                sid="CloudWatchLogsOfThisAccount",
                principals=[iam.ServicePrincipal(f"logs.{stack.region}.amazonaws.com")],
                actions=[
                    "kms:Encrypt*",
                    "kms:Decrypt*",
                    "kms:ReEncrypt*",
                    "kms:GenerateDataKey*",
                    "kms:Describe*",
                ],
                resources=["*"],
                conditions={
                    "ArnLike": {
                        "kms:EncryptionContext:aws:logs:arn": stack.format_arn(
                            service="logs",
                            resource="log-group",
                            resource_name="*",
                            arn_format=ArnFormat.COLON_RESOURCE_NAME,
                        )
                    }
                },
            )
        )
        # CloudWatch alarms publish to the encrypted alert topic (for this account only).
        self.alerts.add_to_resource_policy(
            iam.PolicyStatement(
                sid="CloudWatchAlarmsOfThisAccount",
                principals=[iam.ServicePrincipal("cloudwatch.amazonaws.com")],
                actions=["kms:Decrypt", "kms:GenerateDataKey*"],
                resources=["*"],
                conditions={"StringEquals": {"aws:SourceAccount": stack.account}},
            )
        )

    def allow_sns_publish(self, grantee: iam.IGrantable) -> None:
        """Publishing to the encrypted topic: SNS encrypts the message with the alerts key on
        the publisher's behalf (kms:ViaService)."""
        stack = Stack.of(self)
        grantee.grant_principal.add_to_principal_policy(
            iam.PolicyStatement(
                sid="PublishEncryptedAlerts",
                actions=["kms:GenerateDataKey", "kms:Decrypt"],
                resources=[self.alerts.key_arn],
                conditions={
                    "StringEquals": {"kms:ViaService": f"sns.{stack.region}.amazonaws.com"}
                },
            )
        )

    def allow_start_execution(self, grantee: iam.IGrantable, state_machine_arn: str) -> None:
        """Starting an execution of a state machine encrypted with the pipeline key: Step
        Functions encrypts the input with a data key under the state machine's encryption
        context, for exactly that state machine."""
        grantee.grant_principal.add_to_principal_policy(
            iam.PolicyStatement(
                actions=["kms:GenerateDataKey"],
                resources=[self.pipeline.key_arn],
                conditions={
                    "StringEquals": {
                        "kms:EncryptionContext:aws:states:stateMachineArn": state_machine_arn
                    }
                },
            )
        )

    def condition_log_delivery(self) -> None:
        """Give CDK's own key-policy statement for state machine logging a condition.

        A `StateMachine` with logs and a customer key admits `delivery.logs.amazonaws.com` to
        `kms:Decrypt*` on the key without any condition. Call this after every state machine
        is built: it limits those statements to log deliveries of this account
        (`aws:SourceAccount`, the confused-deputy key CloudWatch Logs' vended-log deliveries
        set; https://docs.aws.amazon.com/AmazonCloudWatch/latest/logs/AWS-logs-and-resource-policy.html).
        """
        stack = Stack.of(self)
        cfn_key = self.pipeline.node.default_child
        if not isinstance(cfn_key, kms.CfnKey):
            raise TypeError("the pipeline key is not a CfnKey")
        policy = stack.resolve(cfn_key.key_policy)
        for index, statement in enumerate(policy["Statement"]):
            if (
                statement.get("Principal") == {"Service": "delivery.logs.amazonaws.com"}
                and "Condition" not in statement
            ):
                cfn_key.add_property_override(
                    f"KeyPolicy.Statement.{index}.Condition",
                    {"StringEquals": {"aws:SourceAccount": stack.account}},
                )
