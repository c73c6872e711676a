"""IAM roles the extension's services are handed (EMR Serverless execution roles, COPY's
IAM_ROLE): they must exist in LocalStack's IAM, as AWS requires."""

from __future__ import annotations

from localstack.aws.connect import connect_to


def is_role_arn(arn: str) -> bool:
    return ":role/" in arn


def role_exists(role_arn: str) -> bool:
    """Whether `role_arn` is a role ARN whose role exists in LocalStack's IAM."""
    if not is_role_arn(role_arn):
        return False
    try:
        connect_to().iam.get_role(RoleName=role_arn.rsplit("/", 1)[-1])
    except Exception:
        return False
    return True
