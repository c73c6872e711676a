"""CloudFormation `AWS::RedshiftServerless::Namespace` and `::Workgroup`, on the local Postgres.

LocalStack (community) has no Redshift Serverless: without these, both types deploy as
"unsupported" with `Ref`/`GetAtt` = "unknown". Here:

- Namespace: creates the database `DbName` (default `dev`) and the admin login role
  `AdminUsername` (a superuser, like Redshift's namespace admin) in the local Postgres.
  `Ref` = NamespaceName; `GetAtt Namespace.NamespaceArn|NamespaceId|NamespaceName|DbName|
  AdminUsername|DefaultIamRoleArn|IamRoles|Status|CreationDate|KmsKeyId|LogExports`.
  The admin password is not used (Postgres trusts 127.0.0.1). Deleting the stack keeps the
  database and role (local data is never dropped by a stack delete).
- Workgroup: `Ref` = WorkgroupName; `GetAtt Workgroup.WorkgroupArn|WorkgroupId|WorkgroupName|
  NamespaceName|Status|BaseCapacity|MaxCapacity|Endpoint.Address|Endpoint.Port|...`; the
  endpoint is the local Postgres (127.0.0.1 and its port; the port as a string, since
  LocalStack's GetAtt hands out strings and lists only).

Attribute names: the CloudFormation resource reference and CDK's `CfnNamespace`/`CfnWorkgroup`
(`attr_namespace_namespace_arn` = `Namespace.NamespaceArn`, `attr_workgroup_workgroup_arn` =
`Workgroup.WorkgroupArn`, `attr_workgroup_endpoint_address` = `Workgroup.Endpoint.Address`).
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any, ClassVar

import psycopg
from localstack.services.cloudformation.resource_provider import (
    OperationStatus,
    ProgressEvent,
    ResourceProvider,
    ResourceRequest,
)
from psycopg import sql as pgsql

from liberta_localstack import settings

Properties = dict[str, Any]


def _admin_conninfo() -> str:
    return settings.load().db_url


def _ensure_database(name: str, admin_user: str | None) -> None:
    with psycopg.connect(_admin_conninfo(), autocommit=True) as conn:
        if (
            admin_user
            and not conn.execute(
                "SELECT 1 FROM pg_roles WHERE rolname = %s", (admin_user,)
            ).fetchone()
        ):
            conn.execute(
                pgsql.SQL("CREATE ROLE {} LOGIN SUPERUSER").format(pgsql.Identifier(admin_user))
            )
        if not conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,)).fetchone():
            owner = (
                pgsql.SQL(" OWNER {}").format(pgsql.Identifier(admin_user))
                if admin_user
                else pgsql.SQL("")
            )
            conn.execute(pgsql.SQL("CREATE DATABASE {}").format(pgsql.Identifier(name)) + owner)


def _postgres_endpoint() -> tuple[str, str]:
    info = psycopg.conninfo.conninfo_to_dict(_admin_conninfo())
    return str(info.get("host") or "127.0.0.1"), str(info.get("port") or "5432")


def _arn(request: ResourceRequest[Properties], resource: str) -> str:
    return f"arn:aws:redshift-serverless:{request.region_name}:{request.account_id}:{resource}"


def _now() -> str:
    return datetime.now(UTC).isoformat()


class NamespaceProvider(ResourceProvider[Properties]):
    TYPE = "AWS::RedshiftServerless::Namespace"
    SCHEMA: ClassVar[dict[str, Any]] = {
        "typeName": TYPE,
        "primaryIdentifier": ["/properties/NamespaceName"],
        "properties": {},
    }

    def create(self, request: ResourceRequest[Properties]) -> ProgressEvent[Properties]:
        model = request.desired_state
        name = model.get("NamespaceName")
        if not name:
            return ProgressEvent(
                status=OperationStatus.FAILED,
                message="NamespaceName is required",
                error_code="InvalidRequest",
            )
        db_name = model.get("DbName") or "dev"
        admin = model.get("AdminUsername")
        try:
            _ensure_database(db_name, admin)
        except psycopg.Error as exc:
            return ProgressEvent(
                status=OperationStatus.FAILED,
                message=f"creating database {db_name} in the local Postgres failed: {exc}",
                error_code="InternalFailure",
            )
        namespace_id = str(uuid.uuid5(uuid.NAMESPACE_URL, f"{request.account_id}/{name}"))
        model["Namespace"] = {
            "NamespaceName": name,
            "NamespaceId": namespace_id,
            "NamespaceArn": _arn(request, f"namespace/{namespace_id}"),
            "DbName": db_name,
            "AdminUsername": admin or "",
            "DefaultIamRoleArn": model.get("DefaultIamRoleArn") or "",
            "IamRoles": list(model.get("IamRoles") or []),
            "KmsKeyId": model.get("KmsKeyId") or "AWS_OWNED_KMS_KEY",
            "LogExports": list(model.get("LogExports") or []),
            "Status": "AVAILABLE",
            "CreationDate": _now(),
        }
        model.pop("AdminUserPassword", None)  # never kept in the resource state
        return ProgressEvent(status=OperationStatus.SUCCESS, resource_model=model)

    def read(self, request: ResourceRequest[Properties]) -> ProgressEvent[Properties]:
        return ProgressEvent(status=OperationStatus.SUCCESS, resource_model=request.desired_state)

    def update(self, request: ResourceRequest[Properties]) -> ProgressEvent[Properties]:
        return self.create(request)

    def delete(self, request: ResourceRequest[Properties]) -> ProgressEvent[Properties]:
        return ProgressEvent(status=OperationStatus.SUCCESS, resource_model=request.desired_state)


class WorkgroupProvider(ResourceProvider[Properties]):
    TYPE = "AWS::RedshiftServerless::Workgroup"
    SCHEMA: ClassVar[dict[str, Any]] = {
        "typeName": TYPE,
        "primaryIdentifier": ["/properties/WorkgroupName"],
        "properties": {},
    }

    def create(self, request: ResourceRequest[Properties]) -> ProgressEvent[Properties]:
        model = request.desired_state
        name = model.get("WorkgroupName")
        if not name:
            return ProgressEvent(
                status=OperationStatus.FAILED,
                message="WorkgroupName is required",
                error_code="InvalidRequest",
            )
        host, port = _postgres_endpoint()
        workgroup_id = str(uuid.uuid5(uuid.NAMESPACE_URL, f"{request.account_id}/wg/{name}"))
        model["Workgroup"] = {
            "WorkgroupName": name,
            "WorkgroupId": workgroup_id,
            "WorkgroupArn": _arn(request, f"workgroup/{workgroup_id}"),
            "NamespaceName": model.get("NamespaceName") or "default",
            "Status": "AVAILABLE",
            "BaseCapacity": str(model.get("BaseCapacity") or 128),
            "MaxCapacity": str(model.get("MaxCapacity") or ""),
            "EnhancedVpcRouting": str(bool(model.get("EnhancedVpcRouting"))).lower(),
            "PubliclyAccessible": str(bool(model.get("PubliclyAccessible"))).lower(),
            "SubnetIds": list(model.get("SubnetIds") or []),
            "SecurityGroupIds": list(model.get("SecurityGroupIds") or []),
            "ConfigParameters": list(model.get("ConfigParameters") or []),
            "CreationDate": _now(),
            "Endpoint": {"Address": host, "Port": port, "VpcEndpoints": []},
        }
        return ProgressEvent(status=OperationStatus.SUCCESS, resource_model=model)

    def read(self, request: ResourceRequest[Properties]) -> ProgressEvent[Properties]:
        return ProgressEvent(status=OperationStatus.SUCCESS, resource_model=request.desired_state)

    def update(self, request: ResourceRequest[Properties]) -> ProgressEvent[Properties]:
        return self.create(request)

    def delete(self, request: ResourceRequest[Properties]) -> ProgressEvent[Properties]:
        return ProgressEvent(status=OperationStatus.SUCCESS, resource_model=request.desired_state)
