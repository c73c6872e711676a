"""Which database user a Data API call connects as (Redshift Serverless rules, emulated).

- `SecretArn`: the secret's `username` (read from LocalStack's Secrets Manager).
- `DbUser`: that user.
- neither: the caller's IAM identity. Redshift Serverless maps an IAM role to the database user
  `IAMR:<role name>` (an IAM user to `IAM:<user name>`), creates it on first use and grants it
  the database roles named in the principal's `RedshiftDbRoles` tag (colon-separated). The
  caller is found from the request's access key: an assumed role (Step Functions tasks run with
  the state machine's role, LocalStack's STS records it) or an IAM user's key. When the key
  belongs to neither (the account's root credentials, e.g. `test`/`test`), the fallback is the
  warehouse admin user of the Postgres URL (`postgres`), documented in localstack/README.md.

Postgres trusts 127.0.0.1 (initdb --auth=trust): no password is ever checked, the user name
only decides the privileges.
"""

from __future__ import annotations

import contextlib
import json
import logging
from dataclasses import dataclass

import psycopg
from psycopg import sql as pgsql

LOG = logging.getLogger("liberta_localstack.redshift_data")


@dataclass(frozen=True)
class Caller:
    kind: str  # "role" | "user" | "root"
    name: str | None
    arn: str | None


def caller_from_access_key(access_key_id: str | None, account_id: str) -> Caller:
    """The IAM principal an access key belongs to, from LocalStack's STS and IAM state."""
    if not access_key_id:
        return Caller("root", None, None)
    from localstack.services.sts.models import sts_stores

    # `credentials` is shared across accounts and regions (a CrossAccountAttribute).
    temporary = sts_stores[account_id]["us-east-1"].credentials.get(access_key_id)
    if temporary is not None and ":assumed-role/" in temporary.arn:
        role_name = temporary.arn.split(":assumed-role/", 1)[1].split("/", 1)[0]
        role_arn = f"arn:aws:iam::{temporary.account_id}:role/{role_name}"
        return Caller("role", role_name, role_arn)
    from localstack.aws.connect import connect_to

    iam = connect_to().iam
    try:
        for page in iam.get_paginator("list_users").paginate():
            for user in page["Users"]:
                keys = iam.list_access_keys(UserName=user["UserName"])["AccessKeyMetadata"]
                if any(k["AccessKeyId"] == access_key_id for k in keys):
                    return Caller("user", user["UserName"], user["Arn"])
    except Exception:  # IAM not reachable: treat as unknown
        LOG.debug("IAM lookup of access key failed", exc_info=True)
    return Caller("root", None, None)


def principal_tags(caller: Caller, account_id: str) -> dict[str, str]:
    from localstack.aws.connect import connect_to

    if caller.name is None:
        return {}
    iam = connect_to().iam
    try:
        if caller.kind == "role":
            tags = iam.list_role_tags(RoleName=caller.name)["Tags"]
        else:
            tags = iam.list_user_tags(UserName=caller.name)["Tags"]
    except Exception:  # the principal was deleted meanwhile
        return {}
    return {t["Key"]: t["Value"] for t in tags}


def database_user_for(caller: Caller) -> str | None:
    if caller.kind == "role":
        return f"IAMR:{caller.name}"
    if caller.kind == "user":
        return f"IAM:{caller.name}"
    return None


def ensure_iam_user(admin_conninfo: str, user: str, db_roles: list[str]) -> list[str]:
    """Create the login role `user` if missing and grant it the database roles that exist.

    Returns the roles granted (a tagged role that does not exist is skipped, as on Redshift).
    """
    granted: list[str] = []
    with psycopg.connect(admin_conninfo, autocommit=True) as conn:
        exists = conn.execute("SELECT 1 FROM pg_roles WHERE rolname = %s", (user,)).fetchone()
        if not exists:
            # A concurrent first call may have created it meanwhile.
            with contextlib.suppress(psycopg.errors.DuplicateObject):
                conn.execute(pgsql.SQL("CREATE ROLE {} LOGIN").format(pgsql.Identifier(user)))
        for role in db_roles:
            if not conn.execute("SELECT 1 FROM pg_roles WHERE rolname = %s", (role,)).fetchone():
                LOG.info("RedshiftDbRoles names %s, which does not exist: not granted", role)
                continue
            conn.execute(
                pgsql.SQL("GRANT {} TO {}").format(pgsql.Identifier(role), pgsql.Identifier(user))
            )
            granted.append(role)
    return granted


def secret_username(secret_string: str, secret_arn: str) -> str:
    try:
        document = json.loads(secret_string)
    except json.JSONDecodeError:
        raise ValueError(f"secret {secret_arn} is not JSON with a username") from None
    username = document.get("username") if isinstance(document, dict) else None
    if not isinstance(username, str) or not username:
        raise ValueError(f"secret {secret_arn} has no username field")
    return username
