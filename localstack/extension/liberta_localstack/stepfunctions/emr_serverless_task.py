"""Step Functions' optimized EMR Serverless integration (`arn:aws:states:::emr-serverless:*`).

Request-response for createApplication, startApplication, stopApplication,
deleteApplication, startJobRun and cancelJobRun (the API's own calls, PascalCase parameters
as on AWS), and `startJobRun.sync`:

- start the job run, then poll GetJobRun every few seconds until it is terminal;
- SUCCESS: the task's output is StartJobRun's response (`ApplicationId`, `JobRunId`, `Arn`):
  AWS documents no difference between the integration's and the API's responses
  (https://docs.aws.amazon.com/step-functions/latest/dg/connect-emr-serverless.html);
- FAILED / CANCELLED: the task fails with `States.TaskFailed` and, as Cause, the job run as
  GetJobRun describes it (PascalCase JSON, `StateDetails` included), like the other `.sync`
  integrations of Step Functions (Glue's startJobRun.sync);
- the execution is stopped (StopExecution, timeout) while the job runs: the job run is
  cancelled (CancelJobRun), as AWS does for `.sync` tasks.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from typing import Any

from botocore.exceptions import ClientError
from localstack.aws.api.stepfunctions import HistoryEventType, TaskFailedEventDetails
from localstack.services.stepfunctions.asl.component.common.error_name.custom_error_name import (
    CustomErrorName,
)
from localstack.services.stepfunctions.asl.component.common.error_name.failure_event import (
    FailureEvent,
    FailureEventException,
)
from localstack.services.stepfunctions.asl.component.common.error_name.states_error_name import (
    StatesErrorName,
)
from localstack.services.stepfunctions.asl.component.common.error_name.states_error_name_type import (  # noqa: E501
    StatesErrorNameType,
)
from localstack.services.stepfunctions.asl.component.state.state_execution.state_task.credentials import (  # noqa: E501
    StateCredentials,
)
from localstack.services.stepfunctions.asl.component.state.state_execution.state_task.service.resource import (  # noqa: E501
    ResourceCondition,
    ResourceRuntimePart,
)
from localstack.services.stepfunctions.asl.component.state.state_execution.state_task.service.state_task_service_callback import (  # noqa: E501
    StateTaskServiceCallback,
)
from localstack.services.stepfunctions.asl.eval.environment import Environment
from localstack.services.stepfunctions.asl.eval.event.event_detail import EventDetails
from localstack.services.stepfunctions.asl.utils.boto_client import boto_client_for

LOG = logging.getLogger("liberta_localstack.stepfunctions")

_ACTIONS = {
    "createapplication",
    "startapplication",
    "stopapplication",
    "deleteapplication",
    "startjobrun",
    "canceljobrun",
}
_TERMINAL = {"SUCCESS", "FAILED", "CANCELLED"}
_FAILED = {"FAILED", "CANCELLED"}


def _pascal(value: Any) -> Any:
    if isinstance(value, dict):
        return {k[:1].upper() + k[1:]: _pascal(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_pascal(v) for v in value]
    return value


class StateTaskServiceEmrServerless(StateTaskServiceCallback):
    def __init__(self) -> None:
        super().__init__(supported_integration_patterns={ResourceCondition.Sync})

    def _validate_service_integration_is_supported(self) -> None:
        action = self.resource.api_action.lower()
        if action not in _ACTIONS:
            raise ValueError(
                f"The resource provided {self.resource.resource_arn} not recognized: the "
                f"optimized EMR Serverless integration has {sorted(_ACTIONS)}"
            )
        if self.resource.condition == ResourceCondition.Sync and action != "startjobrun":
            raise ValueError(
                f"{self.resource.resource_arn}: Liberta's extension serves .sync for "
                "startJobRun only"
            )

    def _get_supported_parameters(self) -> set[str] | None:  # validation is above
        return None

    def _client(self, region: str, credentials: StateCredentials) -> Any:
        return boto_client_for(
            service="emr-serverless", region=region, state_credentials=credentials
        )

    def _from_error(self, env: Environment, ex: Exception) -> FailureEvent:
        if isinstance(ex, ClientError):
            error = f"EMRServerless.{ex.response['Error']['Code']}"
            return FailureEvent(
                env=env,
                error_name=CustomErrorName(error),
                event_type=HistoryEventType.TaskFailed,
                event_details=EventDetails(
                    taskFailedEventDetails=TaskFailedEventDetails(
                        error=error,
                        cause=ex.response["Error"].get("Message", ""),
                        resource=self._get_sfn_resource(),
                        resourceType=self._get_sfn_resource_type(),
                    )
                ),
            )
        return super()._from_error(env=env, ex=ex)

    def _eval_service_task(
        self,
        env: Environment,
        resource_runtime_part: ResourceRuntimePart,
        normalised_parameters: dict,
        state_credentials: StateCredentials,
    ) -> None:
        client = self._client(resource_runtime_part.region, state_credentials)
        action = self._get_boto_service_action()
        response = getattr(client, action)(**normalised_parameters)
        response.pop("ResponseMetadata", None)
        env.stack.append(response)

    def _build_sync_resolver(
        self,
        env: Environment,
        resource_runtime_part: ResourceRuntimePart,
        normalised_parameters: dict,
        state_credentials: StateCredentials,
    ) -> Callable[[], Any | None]:
        started: dict = env.stack.pop()  # StartJobRun's response, PascalCased already
        application_id = started["ApplicationId"]
        job_run_id = started["JobRunId"]
        client = self._client(resource_runtime_part.region, state_credentials)
        self._running_job = (client, application_id, job_run_id)

        def resolve() -> Any | None:
            job_run = client.get_job_run(applicationId=application_id, jobRunId=job_run_id)[
                "jobRun"
            ]
            state = job_run["state"]
            if state not in _TERMINAL:
                return None
            if state not in _FAILED:
                return started
            cause = json.dumps(_pascal(job_run), default=str)
            raise FailureEventException(
                FailureEvent(
                    env=env,
                    error_name=StatesErrorName(typ=StatesErrorNameType.StatesTaskFailed),
                    event_type=HistoryEventType.TaskFailed,
                    event_details=EventDetails(
                        taskFailedEventDetails=TaskFailedEventDetails(
                            resource=self._get_sfn_resource(),
                            resourceType=self._get_sfn_resource_type(),
                            error=StatesErrorNameType.StatesTaskFailed.to_name(),
                            cause=cause,
                        )
                    ),
                )
            )

        return resolve

    def _eval_sync(self, env: Environment, sync_resolver, *args: Any, **kwargs: Any):
        try:
            return super()._eval_sync(env, sync_resolver, *args, **kwargs)
        finally:
            if not env.is_running():
                self._cancel_running_job()

    def _cancel_running_job(self) -> None:
        running = getattr(self, "_running_job", None)
        if not running:
            return
        client, application_id, job_run_id = running
        try:
            state = client.get_job_run(applicationId=application_id, jobRunId=job_run_id)["jobRun"][
                "state"
            ]
            if state not in _TERMINAL:
                client.cancel_job_run(applicationId=application_id, jobRunId=job_run_id)
                LOG.info("execution stopped: cancelled job run %s", job_run_id)
        except Exception:
            LOG.exception("could not cancel job run %s after the execution stopped", job_run_id)
