"""CloudFormation `AWS::EMRServerless::Application`, registered with Liberta's emr-serverless.

`Ref` = ApplicationId; `GetAtt Arn` and `GetAtt ApplicationId` (CDK's `CfnApplication.attr_arn`
/ `attr_application_id`). The application is created through the EMR Serverless API (the
extension's provider), so job runs started by the state machine find it.
"""

from __future__ import annotations

from typing import Any, ClassVar

from localstack.services.cloudformation.resource_provider import (
    OperationStatus,
    ProgressEvent,
    ResourceProvider,
    ResourceRequest,
)

Properties = dict[str, Any]

_PASSED = {
    "Name": "name",
    "ReleaseLabel": "releaseLabel",
    "Type": "type",
    "Architecture": "architecture",
}


def _camel(value: Any) -> Any:
    if isinstance(value, dict):
        return {k[:1].lower() + k[1:]: _camel(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_camel(v) for v in value]
    return value


class ApplicationProvider(ResourceProvider[Properties]):
    TYPE = "AWS::EMRServerless::Application"
    SCHEMA: ClassVar[dict[str, Any]] = {
        "typeName": TYPE,
        "primaryIdentifier": ["/properties/ApplicationId"],
        "properties": {},
    }

    def create(self, request: ResourceRequest[Properties]) -> ProgressEvent[Properties]:
        model = request.desired_state
        client = request.aws_client_factory.emr_serverless
        params: dict[str, Any] = {api: model[cfn] for cfn, api in _PASSED.items() if model.get(cfn)}
        params.setdefault("name", f"{request.stack_name}-{request.logical_resource_id}")
        for cfn in (
            "AutoStartConfiguration",
            "AutoStopConfiguration",
            "MaximumCapacity",
            "NetworkConfiguration",
            "ImageConfiguration",
        ):
            if model.get(cfn):
                params[cfn[:1].lower() + cfn[1:]] = _camel(model[cfn])
        if model.get("Tags"):
            params["tags"] = {t["Key"]: t["Value"] for t in model["Tags"]}
        try:
            created = client.create_application(**params)
        except Exception as exc:
            return ProgressEvent(
                status=OperationStatus.FAILED,
                message=f"CreateApplication failed: {exc}",
                error_code="InvalidRequest",
            )
        model["ApplicationId"] = created["applicationId"]
        model["Arn"] = created["arn"]
        return ProgressEvent(status=OperationStatus.SUCCESS, resource_model=model)

    def read(self, request: ResourceRequest[Properties]) -> ProgressEvent[Properties]:
        return ProgressEvent(status=OperationStatus.SUCCESS, resource_model=request.desired_state)

    def update(self, request: ResourceRequest[Properties]) -> ProgressEvent[Properties]:
        model = request.desired_state
        previous = request.previous_state or {}
        model["ApplicationId"] = previous.get("ApplicationId")
        model["Arn"] = previous.get("Arn")
        return ProgressEvent(status=OperationStatus.SUCCESS, resource_model=model)

    def delete(self, request: ResourceRequest[Properties]) -> ProgressEvent[Properties]:
        model = request.desired_state
        client = request.aws_client_factory.emr_serverless
        try:
            app = client.get_application(applicationId=model["ApplicationId"])["application"]
            if app["state"] == "STARTED":
                client.stop_application(applicationId=model["ApplicationId"])
            client.delete_application(applicationId=model["ApplicationId"])
        except Exception as exc:
            return ProgressEvent(
                status=OperationStatus.FAILED,
                message=f"DeleteApplication failed: {exc}",
                error_code="InternalFailure",
            )
        return ProgressEvent(status=OperationStatus.SUCCESS, resource_model=model)
