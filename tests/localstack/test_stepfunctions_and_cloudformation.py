"""Step Functions (aws-sdk redshiftdata, emr-serverless startJobRun.sync) and CloudFormation.

Where the local stand-in could differ from AWS, the assertions say what AWS does:
- aws-sdk results reach the state machine in PascalCase at every depth, including the cells of
  GetStatementResult's `Records` (`LongValue`, not the API's `longValue`);
- `startJobRun.sync` outputs StartJobRun's response (`ApplicationId`, `JobRunId`, `Arn`) and
  fails with `States.TaskFailed`, the job run as Cause.
"""

from __future__ import annotations

import json
import time
from typing import Any

import pytest

from tests.localstack.conftest import JobSetup, LocalStackUnderTest, new_database

pytestmark = pytest.mark.slow

ROLE_POLICY = json.dumps(
    {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Principal": {"Service": "states.amazonaws.com"},
                "Action": "sts:AssumeRole",
            }
        ],
    }
)


def _run_execution(
    localstack: LocalStackUnderTest, definition: dict, name: str, timeout: float = 300
) -> dict[str, Any]:
    sfn = localstack.client("stepfunctions")
    iam = localstack.client("iam")
    role = iam.create_role(RoleName=f"sfn-{name}", AssumeRolePolicyDocument=ROLE_POLICY)["Role"][
        "Arn"
    ]
    machine = sfn.create_state_machine(name=name, definition=json.dumps(definition), roleArn=role)
    execution = sfn.start_execution(stateMachineArn=machine["stateMachineArn"], input="{}")
    deadline = time.monotonic() + timeout
    while True:
        described = sfn.describe_execution(executionArn=execution["executionArn"])
        if described["status"] != "RUNNING":
            return described
        assert time.monotonic() < deadline, "execution still running"
        time.sleep(0.5)


def test_redshiftdata_sdk_integration_end_to_end(localstack: LocalStackUnderTest) -> None:
    database = new_database(localstack, "sfn")
    connection = {"WorkgroupName": "liberta-sfn", "Database": database}
    definition = {
        "StartAt": "Execute",
        "States": {
            "Execute": {
                "Type": "Task",
                "Resource": "arn:aws:states:::aws-sdk:redshiftdata:executeStatement",
                "Parameters": {
                    **connection,
                    "Sql": "SELECT 41 + 1 AS answer, 'text' AS label, current_user AS who",
                },
                "ResultSelector": {"Id.$": "$.Id"},
                "ResultPath": "$.statement",
                "Next": "Wait",
            },
            "Wait": {"Type": "Wait", "Seconds": 1, "Next": "Describe"},
            "Describe": {
                "Type": "Task",
                "Resource": "arn:aws:states:::aws-sdk:redshiftdata:describeStatement",
                "Parameters": {"Id.$": "$.statement.Id"},
                "ResultSelector": {"Status.$": "$.Status", "HasResultSet.$": "$.HasResultSet"},
                "ResultPath": "$.status",
                "Next": "Finished?",
            },
            "Finished?": {
                "Type": "Choice",
                "Choices": [
                    {"Variable": "$.status.Status", "StringEquals": "FINISHED", "Next": "Result"}
                ],
                "Default": "Wait",
            },
            "Result": {
                "Type": "Task",
                "Resource": "arn:aws:states:::aws-sdk:redshiftdata:getStatementResult",
                "Parameters": {"Id.$": "$.statement.Id"},
                "ResultSelector": {
                    "answer.$": "$.Records[0][0].LongValue",
                    "label.$": "$.Records[0][1].StringValue",
                    "who.$": "$.Records[0][2].StringValue",
                    "type.$": "$.ColumnMetadata[0].TypeName",
                    "rows.$": "$.TotalNumRows",
                },
                "ResultPath": "$.result",
                "Next": "BadSql",
            },
            "BadSql": {
                "Type": "Task",
                "Resource": "arn:aws:states:::aws-sdk:redshiftdata:executeStatement",
                "Parameters": {**connection, "Sql": "SELECT 1", "ClusterIdentifier": "both-given"},
                "Catch": [{"ErrorEquals": ["States.ALL"], "ResultPath": "$.error", "Next": "Done"}],
                "Next": "Done",
            },
            "Done": {"Type": "Succeed"},
        },
    }
    described = _run_execution(localstack, definition, "liberta-redshiftdata")
    assert described["status"] == "SUCCEEDED", described
    output = json.loads(described["output"])
    assert output["result"] == {
        "answer": 42,
        "label": "text",
        "who": "IAMR:sfn-liberta-redshiftdata",
        "type": "int4",
        "rows": 1,
    }
    assert output["error"]["Error"] == "RedshiftData.ValidationException"


def _job_task(setup: JobSetup, run_id: str, *extra: str) -> dict[str, Any]:
    from emr_jobs.packaging import spark_submit_args

    submit = spark_submit_args(setup.entry_point.rsplit("/", 1)[0], target="serverless")
    return {
        "Type": "Task",
        "Resource": "arn:aws:states:::emr-serverless:startJobRun.sync",
        "Parameters": {
            "ApplicationId": setup.application_id,
            "ExecutionRoleArn": setup.role_arn,
            "Name": f"liberta-job-{run_id}",
            "ClientToken.$": "States.UUID()",
            "ExecutionTimeoutMinutes": 30,
            "JobDriver": {
                "SparkSubmit": {
                    "EntryPoint": submit[-1],
                    "EntryPointArguments": [
                        "--raw",
                        setup.raw_uri,
                        "--curated",
                        f"s3://{setup.curated_bucket}",
                        "--run-id",
                        run_id,
                        *extra,
                    ],
                    "SparkSubmitParameters": " ".join(submit[:-1]),
                }
            },
            "ConfigurationOverrides": {
                "MonitoringConfiguration": {"S3MonitoringConfiguration": {"LogUri": setup.logs_uri}}
            },
        },
        "ResultPath": "$.job_run",
    }


def test_emr_serverless_start_job_run_sync_succeeds_and_fails(
    localstack: LocalStackUnderTest, job_setup: JobSetup, published_run: dict
) -> None:
    good = _job_task(job_setup, "ls-sfn-ok", "--full-refresh")
    bad = _job_task(job_setup, "ls-sfn-bad", "--full-refresh", "--max-bad-share", "0")
    bad["Catch"] = [{"ErrorEquals": ["States.ALL"], "ResultPath": "$.error", "Next": "Failed"}]
    definition = {
        "StartAt": "Good",
        "States": {
            "Good": {**good, "Next": "Bad"},
            "Bad": {**bad, "Next": "Unexpected"},
            "Unexpected": {"Type": "Succeed"},
            "Failed": {"Type": "Pass", "End": True},
        },
    }
    described = _run_execution(localstack, definition, "liberta-emr-sync", timeout=400)
    assert described["status"] == "SUCCEEDED", described
    output = json.loads(described["output"])
    assert set(output["job_run"]) == {"ApplicationId", "JobRunId", "Arn"}
    assert output["job_run"]["ApplicationId"] == job_setup.application_id
    run = localstack.client("emr-serverless").get_job_run(
        applicationId=job_setup.application_id, jobRunId=output["job_run"]["JobRunId"]
    )["jobRun"]
    assert run["state"] == "SUCCESS"
    assert output["error"]["Error"] == "States.TaskFailed"
    cause = json.loads(output["error"]["Cause"])
    assert cause["State"] == "FAILED" and "ExitCode: 3" in cause["StateDetails"]


TEMPLATE = {
    "Resources": {
        "CopyRole": {
            "Type": "AWS::IAM::Role",
            "Properties": {
                "AssumeRolePolicyDocument": {
                    "Version": "2012-10-17",
                    "Statement": [
                        {
                            "Effect": "Allow",
                            "Principal": {"Service": "redshift.amazonaws.com"},
                            "Action": "sts:AssumeRole",
                        }
                    ],
                }
            },
        },
        "Curated": {"Type": "AWS::S3::Bucket", "Properties": {"BucketName": "ls-cfn-curated"}},
        "Namespace": {
            "Type": "AWS::RedshiftServerless::Namespace",
            "Properties": {
                "NamespaceName": "ls-cfn-warehouse",
                "DbName": "ls_cfn_db",
                "AdminUsername": "ls_cfn_admin",
                "AdminUserPassword": "never-used-locally-1A",
                "IamRoles": [{"Fn::GetAtt": ["CopyRole", "Arn"]}],
                "DefaultIamRoleArn": {"Fn::GetAtt": ["CopyRole", "Arn"]},
            },
        },
        "Workgroup": {
            "Type": "AWS::RedshiftServerless::Workgroup",
            "DependsOn": "Namespace",
            "Properties": {
                "WorkgroupName": "ls-cfn-workgroup",
                "NamespaceName": "ls-cfn-warehouse",
                "BaseCapacity": 8,
            },
        },
        "Application": {
            "Type": "AWS::EMRServerless::Application",
            "Properties": {
                "Name": "ls-cfn-spark",
                "ReleaseLabel": "emr-7.12.0",
                "Type": "Spark",
                "AutoStopConfiguration": {"Enabled": True, "IdleTimeoutMinutes": 5},
            },
        },
    },
    "Outputs": {
        "NamespaceRef": {"Value": {"Ref": "Namespace"}},
        "NamespaceArn": {"Value": {"Fn::GetAtt": ["Namespace", "Namespace.NamespaceArn"]}},
        "DbName": {"Value": {"Fn::GetAtt": ["Namespace", "Namespace.DbName"]}},
        "WorkgroupRef": {"Value": {"Ref": "Workgroup"}},
        "WorkgroupArn": {"Value": {"Fn::GetAtt": ["Workgroup", "Workgroup.WorkgroupArn"]}},
        "WorkgroupName": {"Value": {"Fn::GetAtt": ["Workgroup", "Workgroup.WorkgroupName"]}},
        "EndpointAddress": {"Value": {"Fn::GetAtt": ["Workgroup", "Workgroup.Endpoint.Address"]}},
        "EndpointPort": {"Value": {"Fn::GetAtt": ["Workgroup", "Workgroup.Endpoint.Port"]}},
        "ApplicationRef": {"Value": {"Ref": "Application"}},
        "ApplicationId": {"Value": {"Fn::GetAtt": ["Application", "ApplicationId"]}},
        "ApplicationArn": {"Value": {"Fn::GetAtt": ["Application", "Arn"]}},
    },
}


def test_cloudformation_types_deploy_with_usable_ref_and_getatt(
    localstack: LocalStackUnderTest,
) -> None:
    cfn = localstack.client("cloudformation")
    cfn.create_stack(StackName="liberta-cfn-test", TemplateBody=json.dumps(TEMPLATE))
    deadline = time.monotonic() + 120
    while True:
        stack = cfn.describe_stacks(StackName="liberta-cfn-test")["Stacks"][0]
        if not stack["StackStatus"].endswith("IN_PROGRESS"):
            break
        assert time.monotonic() < deadline
        time.sleep(0.5)
    assert stack["StackStatus"] == "CREATE_COMPLETE", stack.get("StackStatusReason")
    outputs = {o["OutputKey"]: o["OutputValue"] for o in stack["Outputs"]}
    assert "unknown" not in outputs.values()
    assert outputs["NamespaceRef"] == "ls-cfn-warehouse"
    assert outputs["NamespaceArn"].startswith(
        "arn:aws:redshift-serverless:us-east-1:000000000000:namespace/"
    )
    assert outputs["DbName"] == "ls_cfn_db"
    assert outputs["WorkgroupRef"] == outputs["WorkgroupName"] == "ls-cfn-workgroup"
    assert outputs["WorkgroupArn"].startswith(
        "arn:aws:redshift-serverless:us-east-1:000000000000:workgroup/"
    )
    assert (outputs["EndpointAddress"], outputs["EndpointPort"]) == (
        "127.0.0.1",
        str(localstack.pg.config.port),
    )
    assert outputs["ApplicationRef"] == outputs["ApplicationId"]
    assert outputs["ApplicationArn"].endswith(f"/applications/{outputs['ApplicationId']}")
    app = localstack.client("emr-serverless").get_application(
        applicationId=outputs["ApplicationId"]
    )["application"]
    assert app["name"] == "ls-cfn-spark" and app["autoStopConfiguration"]["idleTimeoutMinutes"] == 5
    # The namespace created its database and admin: the Data API can use them at once.
    from tests.localstack.conftest import DataApi

    api = DataApi(
        localstack.client("redshift-data"), outputs["DbName"], workgroup=outputs["WorkgroupName"]
    )
    assert api.rows(
        "SELECT current_database(), rolsuper FROM pg_roles WHERE rolname = 'ls_cfn_admin'"
    ) == [["ls_cfn_db", True]]


def test_stopping_the_execution_cancels_the_job_run(
    localstack: LocalStackUnderTest, job_setup: JobSetup, published_run: dict
) -> None:
    sfn = localstack.client("stepfunctions")
    emr = localstack.client("emr-serverless")
    role = localstack.client("iam").create_role(
        RoleName="sfn-liberta-emr-stop", AssumeRolePolicyDocument=ROLE_POLICY
    )["Role"]["Arn"]
    definition = {
        "StartAt": "Job",
        "States": {"Job": {**_job_task(job_setup, "ls-sfn-stop", "--full-refresh"), "End": True}},
    }
    machine = sfn.create_state_machine(
        name="liberta-emr-stop", definition=json.dumps(definition), roleArn=role
    )
    execution = sfn.start_execution(stateMachineArn=machine["stateMachineArn"], input="{}")[
        "executionArn"
    ]

    def running_job() -> str | None:
        for run in emr.list_job_runs(applicationId=job_setup.application_id, states=["RUNNING"])[
            "jobRuns"
        ]:
            if run["name"] == "liberta-job-ls-sfn-stop":
                return run["id"]
        return None

    deadline = time.monotonic() + 120
    while (job_run_id := running_job()) is None:
        assert time.monotonic() < deadline, "the job run never started"
        time.sleep(0.2)
    sfn.stop_execution(executionArn=execution, error="Test.Stop", cause="stopped by the test")
    deadline = time.monotonic() + 60
    while (
        state := emr.get_job_run(applicationId=job_setup.application_id, jobRunId=job_run_id)[
            "jobRun"
        ]["state"]
    ) != "CANCELLED":
        assert time.monotonic() < deadline, f"job run still {state} after the execution stopped"
        time.sleep(0.2)
    deadline = time.monotonic() + 30
    while sfn.describe_execution(executionArn=execution)["status"] != "ABORTED":
        assert time.monotonic() < deadline, "the execution did not end ABORTED"
        time.sleep(0.2)
