"""The Redshift Data API (`redshift-data`) for LocalStack, served by the local Postgres.

Request and response shapes are botocore's `redshift-data` model (LocalStack serializes what
the handlers return against it). Errors are the model's exceptions.
"""

from __future__ import annotations

import logging
from typing import Any

import psycopg
from localstack.aws.api import RequestContext, ServiceException, handler
from localstack.aws.connect import connect_to
from localstack.utils.aws.request_context import extract_access_key_id_from_auth_header

from liberta_localstack import iam, settings
from liberta_localstack.redshift_data import identity
from liberta_localstack.redshift_data.statements import ACTIVE, Connection, Engine, Statement

LOG = logging.getLogger("liberta_localstack.redshift_data")

BATCH_LIMIT = 40  # Redshift: at most 40 statements per BatchExecuteStatement
PAGE_ROWS = 1000  # GetStatementResult records per page (Redshift pages by size, up to 100 MB)
_LIST_STATUSES = {"ABORTED", "ALL", "FAILED", "FINISHED", "PICKED", "STARTED", "SUBMITTED"}


class ValidationException(ServiceException):
    code = "ValidationException"
    sender_fault = True
    status_code = 400


class ResourceNotFoundException(ServiceException):
    code = "ResourceNotFoundException"
    sender_fault = True
    status_code = 400


class ActiveStatementsExceededException(ServiceException):
    code = "ActiveStatementsExceededException"
    sender_fault = True
    status_code = 400


class InternalServerException(ServiceException):
    code = "InternalServerException"
    sender_fault = False
    status_code = 500


class RedshiftDataProvider:
    service = "redshift-data"

    def __init__(self) -> None:
        self._settings = settings.load()
        self.engine = Engine(
            admin_conninfo=self._settings.db_url,
            s3_client_factory=lambda: connect_to().s3,
            role_exists=iam.role_exists,
            max_active=self._settings.max_active_statements,
        )

    # -- helpers -----------------------------------------------------------------------------

    def _connection(self, context: RequestContext, request: dict[str, Any]) -> Connection:
        if request.get("SessionId") or request.get("SessionKeepAliveSeconds"):
            raise ValidationException(
                "Data API sessions (SessionId, SessionKeepAliveSeconds) are not supported by "
                "Liberta's LocalStack extension: every statement runs in its own session"
            )
        if (request.get("ResultFormat") or "JSON") != "JSON":
            raise ValidationException(
                "ResultFormat CSV (GetStatementResultV2) is not supported by Liberta's "
                "LocalStack extension: use JSON"
            )
        workgroup = request.get("WorkgroupName")
        cluster = request.get("ClusterIdentifier")
        if bool(workgroup) == bool(cluster):
            raise ValidationException(
                "Either ClusterIdentifier or WorkgroupName must be specified, but not both."
            )
        database = request.get("Database")
        if not database:
            raise ValidationException("Database is required.")
        secret_arn = request.get("SecretArn")
        db_user = request.get("DbUser")
        if secret_arn and db_user:
            raise ValidationException("Specify either SecretArn or DbUser, not both.")
        if workgroup and db_user:
            raise ValidationException(
                "DbUser is not supported for Redshift Serverless: use SecretArn or IAM."
            )
        if secret_arn:
            user = self._secret_user(secret_arn)
        elif db_user:
            user = db_user
        else:
            user = self._iam_user(context)
        return Connection(
            database=database,
            db_user=user,
            workgroup_name=workgroup,
            cluster_identifier=cluster,
            secret_arn=secret_arn,
            requested_db_user=db_user,
        )

    def _secret_user(self, secret_arn: str) -> str:
        parts = secret_arn.split(":")
        region = parts[3] if len(parts) > 3 and parts[3] else None
        try:
            value = connect_to(region_name=region).secretsmanager.get_secret_value(
                SecretId=secret_arn
            )
        except Exception as exc:
            raise ValidationException(
                f"Could not read secret {secret_arn} from Secrets Manager: {exc}"
            ) from None
        try:
            return identity.secret_username(value.get("SecretString") or "", secret_arn)
        except ValueError as exc:
            raise ValidationException(str(exc)) from None

    def _iam_user(self, context: RequestContext) -> str:
        access_key = extract_access_key_id_from_auth_header(dict(context.request.headers))
        caller = identity.caller_from_access_key(access_key, context.account_id)
        user = identity.database_user_for(caller)
        if user is None:
            # Root / unknown credentials: the documented fallback (localstack/README.md).
            return (
                psycopg.conninfo.conninfo_to_dict(self._settings.db_url).get("user") or "postgres"
            )
        tags = identity.principal_tags(caller, context.account_id)
        roles = [r for r in (tags.get("RedshiftDbRoles") or "").split(":") if r]
        identity.ensure_iam_user(self._settings.db_url, user, roles)
        return user

    def _check_capacity(self) -> None:
        if self.engine.active_count() >= self.engine.max_active:
            raise ActiveStatementsExceededException(
                f"Active statements exceeded the allowed quota ({self.engine.max_active})."
            )

    def _token_hit(self, token: str | None) -> Statement | None:
        if not token:
            return None
        statement_id = self.engine.client_tokens.get(token)
        return self.engine.statements.get(statement_id) if statement_id else None

    @staticmethod
    def _submitted(statement: Statement) -> dict[str, Any]:
        c = statement.connection
        response: dict[str, Any] = {
            "Id": statement.id,
            "CreatedAt": statement.created_at,
            "Database": c.database,
        }
        if c.workgroup_name:
            response["WorkgroupName"] = c.workgroup_name
        if c.cluster_identifier:
            response["ClusterIdentifier"] = c.cluster_identifier
        if c.secret_arn:
            response["SecretArn"] = c.secret_arn
        if c.requested_db_user:
            response["DbUser"] = c.requested_db_user
        return response

    def _get(self, statement_id: str | None):
        if not statement_id:
            raise ValidationException("Id is required.")
        found = self.engine.find(statement_id)
        if found is None:
            raise ResourceNotFoundException(f"Query does not exist: {statement_id}")
        return found

    # -- operations --------------------------------------------------------------------------

    @handler("ExecuteStatement", expand=False)
    def execute_statement(self, context: RequestContext, request: dict[str, Any]) -> dict:
        sql = request.get("Sql")
        if not sql or not sql.strip():
            raise ValidationException("Sql is required and must not be empty.")
        if hit := self._token_hit(request.get("ClientToken")):
            return self._submitted(hit)
        parameters = request.get("Parameters") or None
        if parameters:
            names = [p.get("name") for p in parameters]
            if len(set(names)) != len(names):
                raise ValidationException("Parameters must have unique names.")
        connection = self._connection(context, request)
        self._check_capacity()
        statement = self.engine.submit(
            sqls=[sql],
            is_batch=False,
            connection=connection,
            name=request.get("StatementName"),
            parameters=parameters,
            client_token=request.get("ClientToken"),
        )
        return self._submitted(statement)

    @handler("BatchExecuteStatement", expand=False)
    def batch_execute_statement(self, context: RequestContext, request: dict[str, Any]) -> dict:
        sqls = request.get("Sqls") or []
        if not sqls:
            raise ValidationException("Sqls must contain at least one statement.")
        if len(sqls) > BATCH_LIMIT:
            raise ValidationException(
                f"Sqls has {len(sqls)} statements; the maximum is {BATCH_LIMIT}."
            )
        if any(not s or not s.strip() for s in sqls):
            raise ValidationException("Sqls must not contain empty statements.")
        if hit := self._token_hit(request.get("ClientToken")):
            return self._submitted(hit)
        connection = self._connection(context, request)
        self._check_capacity()
        statement = self.engine.submit(
            sqls=list(sqls),
            is_batch=True,
            connection=connection,
            name=request.get("StatementName"),
            parameters=None,
            client_token=request.get("ClientToken"),
        )
        return self._submitted(statement)

    @handler("DescribeStatement", expand=False)
    def describe_statement(self, context: RequestContext, request: dict[str, Any]) -> dict:
        statement, part = self._get(request.get("Id"))
        with statement.lock:
            if part is not None:
                return self._describe_part(statement, part)
            c = statement.connection
            response: dict[str, Any] = {
                "Id": statement.id,
                "Status": statement.status,
                "CreatedAt": statement.created_at,
                "UpdatedAt": statement.updated_at,
                "Duration": statement.duration_ns,
                "QueryString": statement.query_string,
                "RedshiftPid": statement.backend_pid,
                "Database": c.database,
                "HasResultSet": False,
                "ResultRows": -1,
                "ResultSize": -1,
                "RedshiftQueryId": 0,
            }
            if statement.error:
                response["Error"] = statement.error
            for key, value in (
                ("WorkgroupName", c.workgroup_name),
                ("ClusterIdentifier", c.cluster_identifier),
                ("SecretArn", c.secret_arn),
                ("DbUser", c.requested_db_user),
            ):
                if value:
                    response[key] = value
            if statement.parameters:
                response["QueryParameters"] = statement.parameters
            if statement.is_batch:
                response["SubStatements"] = [self._sub_statement(p) for p in statement.parts]
                response["HasResultSet"] = any(p.has_result_set for p in statement.parts)
            else:
                only = statement.parts[0]
                response["HasResultSet"] = only.has_result_set
                response["ResultRows"] = only.result_rows
                response["ResultSize"] = only.result_size
                response["RedshiftQueryId"] = only.query_id
            return response

    @staticmethod
    def _sub_statement(part) -> dict[str, Any]:
        data: dict[str, Any] = {
            "Id": part.id,
            "Status": part.status,
            "CreatedAt": part.created_at,
            "UpdatedAt": part.updated_at,
            "Duration": part.duration_ns,
            "QueryString": part.sql,
            "HasResultSet": part.has_result_set,
            "ResultRows": part.result_rows,
            "ResultSize": part.result_size,
            "RedshiftQueryId": part.query_id,
        }
        if part.error:
            data["Error"] = part.error
        return data

    def _describe_part(self, statement: Statement, part) -> dict[str, Any]:
        data = self._sub_statement(part)
        data["RedshiftPid"] = statement.backend_pid
        data["Database"] = statement.connection.database
        return data

    @handler("GetStatementResult", expand=False)
    def get_statement_result(self, context: RequestContext, request: dict[str, Any]) -> dict:
        statement, part = self._get(request.get("Id"))
        with statement.lock:
            if part is None:
                if statement.is_batch:
                    raise ValidationException(
                        "Id refers to a batch: pass a sub-statement id (<id>:<n>)."
                    )
                part = statement.parts[0]
            if part.status != "FINISHED" or not part.has_result_set:
                raise ResourceNotFoundException(
                    "Query does not have result. Please check query status with DescribeStatement."
                )
            columns, rows = part.columns or [], part.rows or []
        token = request.get("NextToken")
        try:
            start = int(token) if token else 0
        except ValueError:
            raise ValidationException(f"NextToken {token!r} is not valid.") from None
        page = rows[start : start + PAGE_ROWS]
        response: dict[str, Any] = {
            "Records": [
                [col.field(value) for col, value in zip(columns, row, strict=True)] for row in page
            ],
            "ColumnMetadata": [col.metadata() for col in columns],
            "TotalNumRows": len(rows),
        }
        if start + PAGE_ROWS < len(rows):
            response["NextToken"] = str(start + PAGE_ROWS)
        return response

    @handler("CancelStatement", expand=False)
    def cancel_statement(self, context: RequestContext, request: dict[str, Any]) -> dict:
        statement, part = self._get(request.get("Id"))
        if part is not None:
            raise ValidationException("Cancel the batch by its id, not a sub-statement id.")
        if statement.status not in ACTIVE:
            raise ValidationException(
                f"Could not cancel a query that is already in {statement.status} state."
            )
        self.engine.cancel(statement)
        return {"Status": True}

    @handler("ListStatements", expand=False)
    def list_statements(self, context: RequestContext, request: dict[str, Any]) -> dict:
        status = (request.get("Status") or "ALL").upper()
        if status not in _LIST_STATUSES:
            raise ValidationException(f"Status {status} is not one of {sorted(_LIST_STATUSES)}.")
        max_results = int(request.get("MaxResults") or 100)
        if not 0 <= max_results <= 100:
            raise ValidationException("MaxResults must be between 0 and 100.")
        max_results = max_results or 100
        prefix = request.get("StatementName")
        selected = [
            s
            for s in sorted(
                self.engine.statements.values(), key=lambda s: s.created_at, reverse=True
            )
            if (status == "ALL" or s.status == status)
            and (not prefix or (s.name or "").startswith(prefix))
            and (not request.get("Database") or s.connection.database == request["Database"])
            and (
                not request.get("WorkgroupName")
                or s.connection.workgroup_name == request["WorkgroupName"]
            )
        ]
        token = request.get("NextToken")
        start = int(token) if token and token.isdigit() else 0
        page = selected[start : start + max_results]
        statements = []
        for s in page:
            data: dict[str, Any] = {
                "Id": s.id,
                "Status": s.status,
                "CreatedAt": s.created_at,
                "UpdatedAt": s.updated_at,
                "IsBatchStatement": s.is_batch,
            }
            if s.is_batch:
                data["QueryStrings"] = [p.sql for p in s.parts]
            else:
                data["QueryString"] = s.parts[0].sql
            if s.name:
                data["StatementName"] = s.name
            if s.connection.secret_arn:
                data["SecretArn"] = s.connection.secret_arn
            if s.parameters:
                data["QueryParameters"] = s.parameters
            statements.append(data)
        response: dict[str, Any] = {"Statements": statements}
        if start + max_results < len(selected):
            response["NextToken"] = str(start + max_results)
        return response
