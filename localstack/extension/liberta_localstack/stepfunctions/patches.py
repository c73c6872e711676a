"""The Step Functions support LocalStack 2026.3.0 lacks, patched in at start-up.

These patch PRIVATE LocalStack internals, so they refuse (loudly: an error in the log and
LocalStack stops) to apply to any version but the pinned one:

1. `aws-sdk:redshiftdata:*` / `aws-sdk:emrserverless:*`: Step Functions' service ids are not
   boto's names ("Unknown service: 'redshiftdata'"): add them to
   `StateTaskService._SERVICE_NAME_SFN_TO_BOTO_OVERRIDES` and their error prefixes
   (`RedshiftData.ValidationException`, `EmrServerless.ValidationException`).
2. Response casing: AWS hands aws-sdk results to the state machine with every member name
   in PascalCase at every depth (`Records[0][0].StringValue`, `ColumnMetadata[0].TypeName`).
   LocalStack PascalCases members of structures and of lists of structures, but stops at
   lists of lists (GetStatementResult's `Records`), leaving `stringValue`: patched to recurse.
3. `arn:aws:states:::emr-serverless:startJobRun.sync` (the optimized integration; LocalStack
   routes it to an "unsupported" handler): see `emr_serverless_task.py`.
"""

from __future__ import annotations

import logging
from importlib import metadata
from typing import Any

from liberta_localstack import PINNED_LOCALSTACK_VERSION

LOG = logging.getLogger("liberta_localstack.stepfunctions")
APPLIED = "liberta-localstack-ext: Step Functions patches applied"
REFUSED = "liberta-localstack-ext: REFUSING to patch Step Functions"

SERVICE_ALIASES = {"redshiftdata": "redshift-data", "emrserverless": "emr-serverless"}
ERROR_PREFIXES = {"redshiftdata": "RedshiftData", "emrserverless": "EmrServerless"}

_applied = False


class UnsupportedLocalStackVersion(RuntimeError):
    pass


def check_version() -> str:
    version = metadata.version("localstack-core")
    if version != PINNED_LOCALSTACK_VERSION:
        raise UnsupportedLocalStackVersion(
            f"{REFUSED}: they were written against the private internals of localstack-core "
            f"{PINNED_LOCALSTACK_VERSION}, this is {version}. Use the pinned venv "
            "(`liberta localstack up`) or port liberta_localstack/stepfunctions/ first."
        )
    return version


def _patch_service_names() -> None:
    from localstack.services.stepfunctions.asl.component.state.state_execution.state_task.service import (  # noqa: E501
        state_task_service,
        state_task_service_aws_sdk,
    )

    overrides = state_task_service.StateTaskService._SERVICE_NAME_SFN_TO_BOTO_OVERRIDES
    overrides.update(SERVICE_ALIASES)  # a dict marked Final, mutated in place on purpose
    state_task_service_aws_sdk._SERVICE_ERROR_NAMES.update(ERROR_PREFIXES)


def _patch_response_casing() -> None:
    from botocore.model import ListShape
    from localstack.services.stepfunctions.asl.component.state.state_execution.state_task.service.state_task_service import (  # noqa: E501
        StateTaskService,
    )

    original = StateTaskService._from_boto_response

    def _from_boto_response(self: Any, response: Any, structure_shape: Any) -> None:
        if isinstance(response, list) and isinstance(structure_shape, ListShape):
            # A list nested in a list (e.g. Records: list of rows, each a list of Fields).
            for item in response:
                _from_boto_response(self, item, structure_shape.member)
            return
        original(self, response, structure_shape)

    StateTaskService._from_boto_response = _from_boto_response


def _patch_optimized_emr_serverless() -> None:
    from localstack.services.stepfunctions.asl.component.state.state_execution.state_task import (
        state_task_factory,
    )
    from localstack.services.stepfunctions.asl.component.state.state_execution.state_task.service import (  # noqa: E501
        state_task_service_factory,
    )

    from liberta_localstack.stepfunctions.emr_serverless_task import StateTaskServiceEmrServerless

    original = state_task_service_factory.state_task_service_for

    def state_task_service_for(service_name: str):
        if service_name == "emr-serverless":
            return StateTaskServiceEmrServerless()
        return original(service_name)

    state_task_service_factory.state_task_service_for = state_task_service_for
    # state_task_factory imported the function by name: replace that reference too.
    state_task_factory.state_task_service_for = state_task_service_for


def apply() -> None:
    global _applied
    if _applied:
        return
    try:
        version = check_version()
    except UnsupportedLocalStackVersion as exc:
        LOG.error("%s", exc)
        print(exc, flush=True)  # the marker `liberta localstack up` watches for
        raise
    _patch_service_names()
    _patch_response_casing()
    _patch_optimized_emr_serverless()
    _applied = True
    LOG.warning("%s (localstack-core %s)", APPLIED, version)
    print(f"{APPLIED} (localstack-core {version})", flush=True)
