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
    """The IAM principal an access key belongs to, from LocalStack's (moto's) STS/IAM state."""
    if not access_key_id:
        return Caller("root", None, None)
    try:
        from moto.iam.models import iam_backends
        from moto.sts.models import sts_backends
    except ImportError:  # pragma: no cover - moto is part of localstack-core[runtime]
        return Caller("root", None, None)
    for account_backends in (sts_backends.get(account_id) or {}).values():
        for role in getattr(account_backends, "assumed_roles", []):
            if getattr(role, "access_key_id", None) == access_key_id:
                role_arn = role.role_arn
                return Caller("role", role_arn.rsplit("/", 1)[-1], role_arn)
    iam = (iam_backends.get(account_id) or {}).get("global")
    if iam is not None:
        for user in iam.users.values():
            for key in getattr(user, "access_keys", []):
                if key.access_key_id == access_key_id:
                    return Caller("user", user.name, user.arn)
    return Caller("root", None, None)


def principal_tags(caller: Caller, account_id: str) -> dict[str, str]:
    try:
        from moto.iam.models import iam_backends
    except ImportError:  # pragma: no cover
        return {}
    iam = (iam_backends.get(account_id) or {}).get("global")
    if iam is None or caller.name is None:
        return {}
    try:
        if caller.kind == "role":
            tags = iam.get_role(caller.name).tags
        else:
            tags = iam.get_user(caller.name).tags
    except Exception:  # the principal was deleted meanwhile
        return {}
    if isinstance(tags, dict):
        return {str(v.get("Key", k)): str(v.get("Value", "")) for k, v in tags.items()}
    return {str(t["Key"]): str(t["Value"]) for t in tags}


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
            try:
                conn.execute(pgsql.SQL("CREATE ROLE {} LOGIN").format(pgsql.Identifier(user)))
            except psycopg.errors.DuplicateObject:
                pass  # created by a concurrent first call
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
