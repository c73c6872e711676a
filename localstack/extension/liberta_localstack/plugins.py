"""Every plux entry point of the extension, in one module (pyproject.toml names them).

Imports of the real implementations happen inside the factories: LocalStack discovers
plugins at start-up and should not pay for the ones it never loads.
"""

from __future__ import annotations

import logging

from localstack.runtime import hooks
from localstack.services.cloudformation.resource_provider import (
    CloudFormationResourceProviderPlugin,
    ResourceProvider,
)
from localstack.services.plugins import Service, aws_provider

LOG = logging.getLogger("liberta_localstack")


@aws_provider(api="redshift-data", name="liberta")
def redshift_data() -> Service:
    from liberta_localstack.redshift_data.provider import RedshiftDataProvider

    return Service.for_provider(RedshiftDataProvider())


@aws_provider(api="emr-serverless", name="liberta")
def emr_serverless() -> Service:
    from liberta_localstack.emr_serverless.provider import EmrServerlessProvider

    return Service.for_provider(EmrServerlessProvider())


@hooks.on_infra_start()
def apply_stepfunctions_patches() -> None:
    from liberta_localstack.stepfunctions.patches import apply

    apply()


@hooks.on_infra_shutdown()
def stop_job_runs() -> None:
    from liberta_localstack.emr_serverless.job_runs import shutdown_all

    shutdown_all()


class NamespacePlugin(CloudFormationResourceProviderPlugin):
    name = "AWS::RedshiftServerless::Namespace"

    def __init__(self) -> None:
        self.factory: type[ResourceProvider] | None = None

    def load(self) -> None:
        from liberta_localstack.cloudformation.redshift_serverless import NamespaceProvider

        self.factory = NamespaceProvider


class WorkgroupPlugin(CloudFormationResourceProviderPlugin):
    name = "AWS::RedshiftServerless::Workgroup"

    def __init__(self) -> None:
        self.factory: type[ResourceProvider] | None = None

    def load(self) -> None:
        from liberta_localstack.cloudformation.redshift_serverless import WorkgroupProvider

        self.factory = WorkgroupProvider


class ApplicationPlugin(CloudFormationResourceProviderPlugin):
    name = "AWS::EMRServerless::Application"

    def __init__(self) -> None:
        self.factory: type[ResourceProvider] | None = None

    def load(self) -> None:
        from liberta_localstack.cloudformation.emr_serverless import ApplicationProvider

        self.factory = ApplicationProvider
