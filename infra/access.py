"""Least-privilege S3 access with explicit action lists (no `s3:*`, no `s3:Get*`)."""

from __future__ import annotations

from collections.abc import Sequence

from aws_cdk import aws_iam as iam
from aws_cdk import aws_s3 as s3

READ_OBJECT_ACTIONS = ("s3:GetObject",)
LIST_BUCKET_ACTIONS = ("s3:ListBucket", "s3:GetBucketLocation")
WRITE_OBJECT_ACTIONS = (
    "s3:PutObject",
    "s3:DeleteObject",
    "s3:AbortMultipartUpload",
    "s3:ListMultipartUploadParts",
)


def _object_arns(bucket: s3.IBucket, prefixes: Sequence[str]) -> list[str]:
    return [bucket.arn_for_objects(f"{p.strip('/')}/*" if p else "*") for p in prefixes]


def allow_read(
    bucket: s3.IBucket, grantee: iam.IGrantable, *, prefixes: Sequence[str] = ("",), sid: str
) -> None:
    """List the bucket and read objects under `prefixes` ("" = the whole bucket)."""
    grantee.grant_principal.add_to_principal_policy(
        iam.PolicyStatement(
            sid=f"{sid}List", actions=list(LIST_BUCKET_ACTIONS), resources=[bucket.bucket_arn]
        )
    )
    grantee.grant_principal.add_to_principal_policy(
        iam.PolicyStatement(
            sid=f"{sid}Read",
            actions=list(READ_OBJECT_ACTIONS),
            resources=_object_arns(bucket, prefixes),
        )
    )


def allow_write(
    bucket: s3.IBucket, grantee: iam.IGrantable, *, prefixes: Sequence[str] = ("",), sid: str
) -> None:
    """Write (and replace or delete) objects under `prefixes`."""
    grantee.grant_principal.add_to_principal_policy(
        iam.PolicyStatement(
            sid=f"{sid}Write",
            actions=list(WRITE_OBJECT_ACTIONS),
            resources=_object_arns(bucket, prefixes),
        )
    )
