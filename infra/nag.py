"""cdk-nag AwsSolutions checks and the acknowledged findings, each with its reason.

Every acknowledgement names the exact finding (`applies_to` for IAM4/IAM5, with the resolved
logical IDs) on the exact resource, so a new wildcard or managed policy anywhere else is
still reported.
"""

from __future__ import annotations

import json
import re
from typing import TYPE_CHECKING

from aws_cdk import Aspects, CfnResource, Stack
from cdk_nag import AwsSolutionsChecks, NagPackSuppression, NagSuppressions, RegexAppliesTo
from constructs import IConstruct

from infra.processing.cluster import ACCOUNT_PATTERN, PARTITION_PATTERN, REGION_PATTERN

if TYPE_CHECKING:
    from infra.stack import LibertaStack


def add_checks(scope: IConstruct) -> None:
    Aspects.of(scope).add(AwsSolutionsChecks(verbose=True))


def _arn(stack: Stack, construct: IConstruct) -> str:
    """How cdk-nag prints `Fn::GetAtt [<logical id>, Arn]` in IAM5 findings."""
    child = construct if isinstance(construct, CfnResource) else construct.node.default_child
    if not isinstance(child, CfnResource):
        raise TypeError(f"{construct.node.path} is not a CloudFormation resource")
    return f"<{stack.resolve(child.logical_id)}.Arn>"


def _suppress(
    construct: IConstruct, rule: str, reason: str, *applies_to: str | RegexAppliesTo
) -> None:
    NagSuppressions.add_resource_suppressions(
        construct,
        [
            NagPackSuppression(
                id=rule, reason=reason, applies_to=list(applies_to) if applies_to else None
            )
        ],
        apply_to_children=True,
    )


def acknowledge(stack: LibertaStack) -> None:
    """The findings Liberta accepts, with why."""
    storage, processing = stack.storage, stack.processing
    warehouse, orchestration = stack.warehouse, stack.orchestration
    raw, curated, artifacts = (
        _arn(stack, storage.raw),
        _arn(stack, storage.curated),
        _arn(stack, storage.artifacts),
    )

    _suppress(
        processing.job_role,
        "AwsSolutions-IAM5",
        "Object-level wildcards scoped to one prefix each: the Spark job reads the raw "
        "events/ partitions of its window, writes Parquet, manifests, quarantine and scratch "
        "files under run-specific keys of the curated bucket, and EMR writes its logs under "
        "emr-logs/. Object keys are only known at run time; actions are listed explicitly.",
        f"Resource::{raw}/events/*",
        f"Resource::{curated}/*",
        f"Resource::{artifacts}/emr-logs/*",
    )
    _suppress(
        warehouse.copy_role,
        "AwsSolutions-IAM5",
        "Redshift COPY reads the Parquet files and COPY manifests of any run under the curated "
        "bucket's runs/ prefix (run ids are chosen per execution); s3:GetObject only.",
        f"Resource::{curated}/runs/*",
    )
    _suppress(
        warehouse.admin_secret,
        "AwsSolutions-SMG4",
        "Redshift Serverless namespaces have no Secrets Manager rotation integration for an "
        "admin password set through CloudFormation; rotating would desynchronise the "
        "namespace. Rotate with `aws redshift-serverless update-namespace --admin-user-password` "
        "and put-secret-value together (README, operations).",
    )
    own_statements = (
        "Resource '*' only where the API has no resource type: redshift-data "
        "DescribeStatement / GetStatementResult / CancelStatement / ListStatements, each under "
        "the condition redshift-data:statement-owner-iam-userid = this role's id (its own "
        "statements only)"
    )
    setup_logical_id = stack.resolve(stack.setup.state_machine.node.default_child.logical_id)
    # cdk-nag prints the execution ARN's state machine name part as the unresolved intrinsic.
    setup_name = json.dumps(
        {"Fn::Select": [6, {"Fn::Split": [":", {"Ref": setup_logical_id}]}]},
        separators=(",", ":"),
    )
    setup_executions = RegexAppliesTo(
        regex=f"/^Resource::arn:{PARTITION_PATTERN}:states:{REGION_PATTERN}:{ACCOUNT_PATTERN}"
        f":execution:{re.escape(setup_name)}\\*$/"
    )
    sfn_wildcards = processing.acknowledge_findings(stack, orchestration.state_machine.role)
    _suppress(
        orchestration.state_machine.role,
        "AwsSolutions-IAM5",
        f"{own_statements}, and cloudwatch:PutMetricData under the condition "
        "cloudwatch:namespace = Liberta. The warehouse setup's executions are named per run "
        "(<setup state machine>:<execution name>): Describe/StopExecution on that state "
        "machine's executions only. EMR clusters or EMR Serverless job runs are created per "
        "execution, so their ids are unknown at deploy time (cluster actions are limited by "
        "the stage's tag; the EMR cleanup service-linked role is created by EMR on first use).",
        "Resource::*",
        setup_executions,
        *sfn_wildcards,
    )
    _suppress(
        stack.setup.role,
        "AwsSolutions-IAM5",
        f"{own_statements}.",
        "Resource::*",
    )
    _suppress(
        orchestration.schedule_dead_letters,
        "AwsSolutions-SQS3",
        "This queue is itself the dead-letter queue of the EventBridge Scheduler target "
        "(deliveries that failed after retries); an alarm watches its depth.",
    )
