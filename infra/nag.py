"""cdk-nag AwsSolutions checks and the acknowledged findings, each with its reason.

Every acknowledgement names the exact finding (`applies_to` for IAM4/IAM5, with the resolved
logical IDs) on the exact resource, so a new wildcard or managed policy anywhere else is
still reported.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from aws_cdk import Aspects, CfnResource, Stack
from cdk_nag import AwsSolutionsChecks, NagPackSuppression, NagSuppressions, RegexAppliesTo
from constructs import IConstruct

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
    sfn_wildcards: list[str | RegexAppliesTo] = [f"Resource::{curated}/runs/*/manifest.json"]
    reason = (
        "Resource '*' only where the API has no resource type: redshift-data "
        "DescribeStatement / GetStatementResult / CancelStatement (limited by the Data API to "
        "the caller's own statements) and cloudwatch:PutMetricData. The manifest wildcard is "
        "runs/<run id>/manifest.json, run ids being per execution. EMR clusters or EMR "
        "Serverless job runs are created per execution, so their ids are unknown at deploy time "
        "(the EMR cleanup service-linked role is created by EMR on first use)."
    )
    sfn_wildcards += processing.acknowledge_findings(stack, orchestration.state_machine.role)
    _suppress(
        orchestration.state_machine.role,
        "AwsSolutions-IAM5",
        reason,
        "Resource::*",
        *sfn_wildcards,
    )
