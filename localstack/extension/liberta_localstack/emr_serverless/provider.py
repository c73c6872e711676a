"""The EMR Serverless API (`emr-serverless`) for LocalStack: applications and job runs.

Applications are records (their capacity settings are kept and reported, not enforced);
job runs execute for real on local Spark (job_runs.py).
"""

from __future__ import annotations

import logging
import threading
import uuid
from datetime import UTC, datetime
from typing import Any

from localstack.aws.api import RequestContext, ServiceException, handler
from localstack.aws.connect import connect_to

from liberta_localstack import iam, settings
from liberta_localstack.emr_serverless.job_runs import (
    ACTIVE,
    TERMINAL,
    JobRun,
    Runner,
    new_job_run_id,
)

LOG = logging.getLogger("liberta_localstack.emr_serverless")


class ValidationException(ServiceException):
    code = "ValidationException"
    sender_fault = True
    status_code = 400


class ResourceNotFoundException(ServiceException):
    code = "ResourceNotFoundException"
    sender_fault = True
    status_code = 404


class ConflictException(ServiceException):
    code = "ConflictException"
    sender_fault = True
    status_code = 409


def _now() -> datetime:
    return datetime.now(UTC)


class EmrServerlessProvider:
    service = "emr-serverless"

    def __init__(self) -> None:
        config = settings.load()
        if not config.spark_python:
            raise settings.SettingsError(
                "LIBERTA_SPARK_PYTHON is not set: job runs need Liberta's Python 3.11 with pyspark"
            )
        self.runner = Runner(
            state_dir=config.state_dir,
            spark_python=config.spark_python,
            endpoint=config.endpoint,
            driver_memory=config.spark_driver_memory,
            max_concurrent=config.max_concurrent_job_runs,
            s3_client_factory=lambda: connect_to().s3,
        )
        self.applications: dict[str, dict[str, Any]] = {}
        self.job_runs: dict[str, JobRun] = {}
        self.client_tokens: dict[tuple[str, str], str] = {}
        self._lock = threading.Lock()

    # -- applications --------------------------------------------------------------------------

    def _application(self, application_id: str | None) -> dict[str, Any]:
        app = self.applications.get(application_id or "")
        if app is None or app["state"] == "TERMINATED":
            raise ResourceNotFoundException(f"Application {application_id} does not exist")
        return app

    @handler("CreateApplication", expand=False)
    def create_application(self, context: RequestContext, request: dict[str, Any]) -> dict:
        for name in ("releaseLabel", "type"):
            if not request.get(name):
                raise ValidationException(f"{name} is required")
        if str(request["type"]).upper() not in ("SPARK", "HIVE"):
            raise ValidationException(f"type {request['type']} is not one of Spark, Hive")
        with self._lock:
            token = request.get("clientToken")
            if token and (found := self.client_tokens.get(("app", token))):
                app = self.applications[found]
                return {
                    "applicationId": app["applicationId"],
                    "name": app["name"],
                    "arn": app["arn"],
                }
            application_id = "00" + uuid.uuid4().hex[:14]
            arn = (
                f"arn:aws:emr-serverless:{context.region}:{context.account_id}:"
                f"/applications/{application_id}"
            )
            now = _now()
            app = {
                "applicationId": application_id,
                "name": request.get("name") or application_id,
                "arn": arn,
                "releaseLabel": request["releaseLabel"],
                "type": "Spark" if str(request["type"]).upper() == "SPARK" else "Hive",
                "state": "CREATED",
                "stateDetails": "",
                "createdAt": now,
                "updatedAt": now,
                "tags": request.get("tags") or {},
                "architecture": request.get("architecture") or "X86_64",
                "autoStartConfiguration": request.get("autoStartConfiguration")
                or {"enabled": True},
                "autoStopConfiguration": request.get("autoStopConfiguration")
                or {"enabled": True, "idleTimeoutMinutes": 15},
            }
            for key in (
                "initialCapacity",
                "maximumCapacity",
                "networkConfiguration",
                "imageConfiguration",
                "runtimeConfiguration",
                "monitoringConfiguration",
            ):
                if request.get(key):
                    app[key] = request[key]
            self.applications[application_id] = app
            if token:
                self.client_tokens[("app", token)] = application_id
        return {"applicationId": application_id, "name": app["name"], "arn": arn}

    @handler("GetApplication", expand=False)
    def get_application(self, context: RequestContext, request: dict[str, Any]) -> dict:
        return {"application": dict(self._application(request.get("applicationId")))}

    @handler("ListApplications", expand=False)
    def list_applications(self, context: RequestContext, request: dict[str, Any]) -> dict:
        states = set(request.get("states") or [])
        apps = [
            {
                k: a[k]
                for k in (
                    "name",
                    "arn",
                    "releaseLabel",
                    "type",
                    "state",
                    "stateDetails",
                    "createdAt",
                    "updatedAt",
                    "architecture",
                )
            }
            | {"id": a["applicationId"]}
            for a in self.applications.values()
            if (not states or a["state"] in states)
        ]
        return {"applications": apps}

    @handler("StartApplication", expand=False)
    def start_application(self, context: RequestContext, request: dict[str, Any]) -> dict:
        app = self._application(request.get("applicationId"))
        app.update(state="STARTED", updatedAt=_now())
        return {}

    @handler("StopApplication", expand=False)
    def stop_application(self, context: RequestContext, request: dict[str, Any]) -> dict:
        app = self._application(request.get("applicationId"))
        if any(
            r.application_id == app["applicationId"] and r.state in ACTIVE
            for r in self.job_runs.values()
        ):
            raise ValidationException("Application has running jobs; cancel them first")
        app.update(state="STOPPED", updatedAt=_now())
        return {}

    @handler("DeleteApplication", expand=False)
    def delete_application(self, context: RequestContext, request: dict[str, Any]) -> dict:
        app = self._application(request.get("applicationId"))
        if app["state"] not in ("CREATED", "STOPPED"):
            raise ValidationException(
                f"Application {app['applicationId']} must be CREATED or STOPPED to be deleted, "
                f"it is {app['state']}"
            )
        app.update(state="TERMINATED", updatedAt=_now())
        return {}

    @handler("UpdateApplication", expand=False)
    def update_application(self, context: RequestContext, request: dict[str, Any]) -> dict:
        app = self._application(request.get("applicationId"))
        for key, value in request.items():
            if key not in ("applicationId", "clientToken") and value is not None:
                app[key] = value
        app["updatedAt"] = _now()
        return {"application": dict(app)}

    # -- job runs ------------------------------------------------------------------------------

    @handler("StartJobRun", expand=False)
    def start_job_run(self, context: RequestContext, request: dict[str, Any]) -> dict:
        app = self._application(request.get("applicationId"))
        token = request.get("clientToken")
        with self._lock:
            if token and (found := self.client_tokens.get((app["applicationId"], token))):
                run = self.job_runs[found]
                return {
                    "applicationId": run.application_id,
                    "jobRunId": run.job_run_id,
                    "arn": run.arn,
                }
        if app["state"] in ("STOPPED", "CREATED"):
            if not (app.get("autoStartConfiguration") or {}).get("enabled", True):
                raise ValidationException(
                    f"Application {app['applicationId']} is {app['state']} and auto-start is "
                    "disabled: start it first"
                )
            app.update(state="STARTED", updatedAt=_now())
        elif app["state"] not in ("STARTED", "STARTING"):
            raise ValidationException(
                f"Application {app['applicationId']} is {app['state']}: it cannot run jobs"
            )
        role = request.get("executionRoleArn") or ""
        self._check_role(role)
        driver = request.get("jobDriver") or {}
        if "sparkSubmit" not in driver:
            raise ValidationException(
                "jobDriver.sparkSubmit is required (Hive jobs are not supported)"
            )
        if not (driver["sparkSubmit"].get("entryPoint")):
            raise ValidationException("jobDriver.sparkSubmit.entryPoint is required")
        timeout = int(request.get("executionTimeoutMinutes") or 720)
        if timeout < 0:
            raise ValidationException("executionTimeoutMinutes must not be negative")
        run = JobRun(
            application_id=app["applicationId"],
            application_arn=app["arn"],
            release_label=app["releaseLabel"],
            job_run_id=new_job_run_id(),
            name=request.get("name") or "",
            execution_role=role,
            job_driver=driver,
            configuration_overrides=request.get("configurationOverrides") or {},
            tags=request.get("tags") or {},
            execution_timeout_minutes=timeout,
            created_by=f"arn:aws:iam::{context.account_id}:root",
        )
        with self._lock:
            if token and (found := self.client_tokens.get((app["applicationId"], token))):
                existing = self.job_runs[found]
                return {
                    "applicationId": existing.application_id,
                    "jobRunId": existing.job_run_id,
                    "arn": existing.arn,
                }
            self.job_runs[run.job_run_id] = run
            if token:
                self.client_tokens[(app["applicationId"], token)] = run.job_run_id
        self.runner.start(run)
        return {"applicationId": run.application_id, "jobRunId": run.job_run_id, "arn": run.arn}

    def _check_role(self, role_arn: str) -> None:
        if not iam.is_role_arn(role_arn):
            raise ValidationException(f"executionRoleArn {role_arn!r} is not an IAM role ARN")
        if not iam.role_exists(role_arn):
            raise ValidationException(f"The execution role {role_arn} does not exist in IAM")

    def _job_run(self, request: dict[str, Any]) -> JobRun:
        app = self._application(request.get("applicationId"))
        run = self.job_runs.get(request.get("jobRunId") or "")
        if run is None or run.application_id != app["applicationId"]:
            raise ResourceNotFoundException(
                f"Job run {request.get('jobRunId')} does not exist in application "
                f"{app['applicationId']}"
            )
        return run

    @handler("GetJobRun", expand=False)
    def get_job_run(self, context: RequestContext, request: dict[str, Any]) -> dict:
        run = self._job_run(request)
        with run.lock:
            return {"jobRun": run.describe()}

    @handler("CancelJobRun", expand=False)
    def cancel_job_run(self, context: RequestContext, request: dict[str, Any]) -> dict:
        run = self._job_run(request)
        if run.state in TERMINAL:
            raise ValidationException(f"Job run {run.job_run_id} is already {run.state}")
        self.runner.cancel(run)
        return {"applicationId": run.application_id, "jobRunId": run.job_run_id}

    @handler("ListJobRuns", expand=False)
    def list_job_runs(self, context: RequestContext, request: dict[str, Any]) -> dict:
        app = self._application(request.get("applicationId"))
        states = set(request.get("states") or [])
        after, before = request.get("createdAtAfter"), request.get("createdAtBefore")
        runs = sorted(
            (
                r
                for r in self.job_runs.values()
                if r.application_id == app["applicationId"]
                and (not states or r.state in states)
                and (after is None or r.created_at >= after)
                and (before is None or r.created_at <= before)
            ),
            key=lambda r: r.created_at,
            reverse=True,
        )
        return {"jobRuns": [r.summary() for r in runs]}
