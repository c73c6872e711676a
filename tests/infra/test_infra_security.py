"""Assertions on the synthesized templates: encryption, privacy, least privilege."""

from __future__ import annotations

import json
from typing import Any

from infra_synth import Synth


def _as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def _statements(synth: Synth) -> list[tuple[str, dict[str, Any]]]:
    """(policy logical id, statement) for every identity policy in the template."""
    found = []
    for logical_id, policy in synth.resources("AWS::IAM::Policy").items():
        for statement in policy["Properties"]["PolicyDocument"]["Statement"]:
            found.append((logical_id, statement))
    return found


def _references(value: Any, logical_id: str) -> bool:
    return f'"{logical_id}"' in json.dumps(value)


def test_every_bucket_is_encrypted_private_versioned_and_tls_only(synth: Synth) -> None:
    buckets = synth.resources("AWS::S3::Bucket")
    assert len(buckets) == 4
    policies = {
        json.dumps(p["Properties"]["Bucket"]): p["Properties"]["PolicyDocument"]
        for p in synth.resources("AWS::S3::BucketPolicy").values()
    }
    for logical_id, bucket in buckets.items():
        props = bucket["Properties"]
        rule = props["BucketEncryption"]["ServerSideEncryptionConfiguration"][0]
        assert rule["ServerSideEncryptionByDefault"]["SSEAlgorithm"] in {"AES256", "aws:kms"}
        assert props["PublicAccessBlockConfiguration"] == {
            "BlockPublicAcls": True,
            "BlockPublicPolicy": True,
            "IgnorePublicAcls": True,
            "RestrictPublicBuckets": True,
        }, logical_id
        assert props["VersioningConfiguration"] == {"Status": "Enabled"}
        lifecycle = props["LifecycleConfiguration"]["Rules"]
        assert any("AbortIncompleteMultipartUpload" in r for r in lifecycle), logical_id
        document = policies[json.dumps({"Ref": logical_id})]
        deny_plain_http = [
            s
            for s in document["Statement"]
            if s["Effect"] == "Deny"
            and s.get("Condition") == {"Bool": {"aws:SecureTransport": "false"}}
        ]
        assert deny_plain_http, f"{logical_id} does not refuse plain HTTP"


def test_data_buckets_log_access_and_have_their_lifecycle_rules(synth: Synth) -> None:
    storage = synth.stack.storage
    buckets = synth.resources("AWS::S3::Bucket")
    logs_id = synth.logical_id(storage.access_logs)
    for bucket in (storage.raw, storage.curated, storage.artifacts):
        props = buckets[synth.logical_id(bucket)]["Properties"]
        assert props["LoggingConfiguration"]["DestinationBucketName"] == {"Ref": logs_id}
    raw_rules = buckets[synth.logical_id(storage.raw)]["Properties"]["LifecycleConfiguration"]
    tiering = [r for r in raw_rules["Rules"] if r.get("Transitions")]
    assert tiering and tiering[0]["Prefix"] == "events/"
    assert {t["StorageClass"] for t in tiering[0]["Transitions"]} == {
        "STANDARD_IA",
        "GLACIER_IR",
    }
    curated_rules = buckets[synth.logical_id(storage.curated)]["Properties"][
        "LifecycleConfiguration"
    ]["Rules"]
    quarantine = [r for r in curated_rules if r.get("Prefix") == "quarantine/"]
    assert quarantine and quarantine[0]["ExpirationInDays"] == 30


def test_no_wildcard_actions_on_data_buckets(synth: Synth) -> None:
    storage = synth.stack.storage
    data_buckets = [synth.logical_id(b) for b in (storage.raw, storage.curated, storage.artifacts)]
    checked = 0
    for policy_id, statement in _statements(synth):
        if not any(_references(statement.get("Resource"), b) for b in data_buckets):
            continue
        checked += 1
        for action in _as_list(statement["Action"]):
            assert "*" not in action, f"{policy_id}: {action} on a data bucket"
    assert checked >= 4  # the job, the COPY role and the state machine all touch data buckets


def test_copy_role_reads_only_the_curated_bucket(synth: Synth) -> None:
    warehouse = synth.stack.warehouse
    role_id = synth.logical_id(warehouse.copy_role)
    curated_id = synth.logical_id(synth.stack.storage.curated)
    policies = [
        p
        for p in synth.resources("AWS::IAM::Policy").values()
        if {"Ref": role_id} in p["Properties"]["Roles"]
    ]
    assert len(policies) == 1
    statements = policies[0]["Properties"]["PolicyDocument"]["Statement"]
    actions = {a for s in statements for a in _as_list(s["Action"])}
    assert actions == {"s3:GetObject", "s3:ListBucket", "s3:GetBucketLocation"}
    for statement in statements:
        assert statement["Effect"] == "Allow"
        for resource in _as_list(statement["Resource"]):
            assert _references(resource, curated_id), resource
    role = synth.template["Resources"][role_id]
    assert "ManagedPolicyArns" not in role["Properties"]


def test_warehouse_is_private_tls_only_encrypted_and_audited(synth: Synth) -> None:
    (workgroup,) = synth.resources("AWS::RedshiftServerless::Workgroup").values()
    props = workgroup["Properties"]
    assert props["PubliclyAccessible"] is False
    assert props["EnhancedVpcRouting"] is True
    params = {p["ParameterKey"]: p["ParameterValue"] for p in props["ConfigParameters"]}
    assert params["require_ssl"] == "true"
    assert len(props["SubnetIds"]) == 3
    (namespace,) = synth.resources("AWS::RedshiftServerless::Namespace").values()
    ns = namespace["Properties"]
    assert "KmsKeyId" in ns
    assert set(ns["LogExports"]) == {"connectionlog", "userlog", "useractivitylog"}
    # The admin password is a Secrets Manager dynamic reference, never a literal.
    password = json.dumps(ns["AdminUserPassword"])
    assert "{{resolve:secretsmanager:" in password
    (secret,) = synth.resources("AWS::SecretsManager::Secret").values()
    assert "KmsKeyId" in secret["Properties"]
    ingress = synth.resources("AWS::EC2::SecurityGroup")
    for group in ingress.values():
        for rule in group["Properties"].get("SecurityGroupIngress", []):
            assert rule.get("CidrIp") != "0.0.0.0/0", group["Properties"]["GroupDescription"]


def test_no_internet_path_unless_the_stage_asks(synth: Synth) -> None:
    assert not synth.resources("AWS::EC2::NatGateway")
    assert not synth.resources("AWS::EC2::InternetGateway")
    endpoints = synth.resources("AWS::EC2::VPCEndpoint").values()
    services = {json.dumps(e["Properties"]["ServiceName"]) for e in endpoints}
    assert any(".s3" in s for s in services)
    emr_endpoint = any("elasticmapreduce" in s for s in services)
    assert emr_endpoint == (synth.emr_mode == "cluster")


def test_alerts_logs_and_state_machines_are_encrypted_and_observable(synth: Synth) -> None:
    (topic,) = synth.resources("AWS::SNS::Topic").values()
    alerts_key = synth.logical_id(synth.stack.keys.alerts)
    assert topic["Properties"]["KmsMasterKeyId"] == {"Fn::GetAtt": [alerts_key, "Arn"]}
    for group in synth.resources("AWS::Logs::LogGroup").values():
        assert "KmsKeyId" in group["Properties"]
    machines = synth.resources("AWS::StepFunctions::StateMachine").values()
    assert {m["Properties"]["StateMachineName"] for m in machines} == {
        f"liberta-{synth.stage}-{n}" for n in ("pipeline", "warehouse-setup", "abort-cleanup")
    }
    pipeline_key = synth.logical_id(synth.stack.keys.pipeline)
    for machine in machines:
        props = machine["Properties"]
        assert props["LoggingConfiguration"]["Level"] == "ALL"
        assert props["TracingConfiguration"] == {"Enabled": True}
        assert props["EncryptionConfiguration"]["Type"] == "CUSTOMER_MANAGED_KMS_KEY"
        assert props["EncryptionConfiguration"]["KmsKeyId"] == {"Fn::GetAtt": [pipeline_key, "Arn"]}
    alarms = synth.resources("AWS::CloudWatch::Alarm").values()
    metrics = {a["Properties"]["MetricName"] for a in alarms}
    assert {"ExecutionsFailed", "ExecutionsTimedOut", "ExecutionsAborted"} <= metrics
    assert all(a["Properties"]["AlarmActions"] for a in alarms)
    assert synth.resources("AWS::CloudWatch::Dashboard")


def _policy_statements_of(synth: Synth, role: Any) -> list[dict[str, Any]]:
    role_id = synth.logical_id(role)
    return [
        statement
        for policy in synth.resources("AWS::IAM::Policy").values()
        if {"Ref": role_id} in policy["Properties"]["Roles"]
        for statement in policy["Properties"]["PolicyDocument"]["Statement"]
    ]


def _allowing(statements: list[dict[str, Any]], action: str) -> list[dict[str, Any]]:
    return [s for s in statements if action in _as_list(s["Action"])]


def test_the_pipeline_can_publish_to_the_encrypted_alert_topic(synth: Synth) -> None:
    """Issue 10, item 1: SNS encrypts each message with the alerts key on the publisher's
    behalf, so the publisher needs GenerateDataKey and Decrypt on it (through SNS only)."""
    statements = _policy_statements_of(synth, synth.stack.orchestration.state_machine.role)
    alerts_key = {"Fn::GetAtt": [synth.logical_id(synth.stack.keys.alerts), "Arn"]}
    (publish,) = [s for s in statements if s.get("Sid") == "PublishEncryptedAlerts"]
    assert sorted(_as_list(publish["Action"])) == ["kms:Decrypt", "kms:GenerateDataKey"]
    assert publish["Resource"] == alerts_key
    # SNS in the stack's region: {"Fn::Join": ["", ["sns.", {"Ref": "AWS::Region"}, ...]]}
    # environment-agnostic, "sns.eu-west-1.amazonaws.com" for prod-cluster's environment.
    via_sns = synth.stack.resolve(f"sns.{synth.stack.region}.amazonaws.com")
    assert publish["Condition"] == {"StringEquals": {"kms:ViaService": via_sns}}
    (sns_publish,) = _allowing(statements, "sns:Publish")
    assert sns_publish["Resource"] == {"Ref": synth.logical_id(synth.stack.monitoring.topic)}


def test_the_schedule_can_start_the_encrypted_pipeline_and_has_a_dead_letter_queue(
    synth: Synth,
) -> None:
    """Issue 10, item 2."""
    orchestration = synth.stack.orchestration
    (schedule,) = synth.resources("AWS::Scheduler::Schedule").values()
    target = schedule["Properties"]["Target"]
    pipeline = synth.logical_id(orchestration.state_machine)
    assert target["Arn"] == {"Ref": pipeline}
    assert target["RoleArn"] == {
        "Fn::GetAtt": [synth.logical_id(orchestration.schedule_role), "Arn"]
    }
    queue = synth.logical_id(orchestration.schedule_dead_letters)
    assert target["DeadLetterConfig"] == {"Arn": {"Fn::GetAtt": [queue, "Arn"]}}
    assert target["RetryPolicy"]["MaximumRetryAttempts"] == 3
    statements = _policy_statements_of(synth, orchestration.schedule_role)
    (kms_grant,) = _allowing(statements, "kms:GenerateDataKey")
    assert kms_grant["Resource"] == {
        "Fn::GetAtt": [synth.logical_id(synth.stack.keys.pipeline), "Arn"]
    }
    context = kms_grant["Condition"]["StringEquals"]
    assert context == {"kms:EncryptionContext:aws:states:stateMachineArn": {"Ref": pipeline}}
    (start,) = _allowing(statements, "states:StartExecution")
    assert start["Resource"] == {"Ref": pipeline}
    (send,) = _allowing(statements, "sqs:SendMessage")
    assert send["Resource"] == {"Fn::GetAtt": [queue, "Arn"]}
    # A message in the dead-letter queue is a scheduled run that never started: alarm.
    missed = [
        a["Properties"]
        for a in synth.resources("AWS::CloudWatch::Alarm").values()
        if a["Properties"]["MetricName"] == "ApproximateNumberOfMessagesVisible"
    ]
    (alarm,) = missed
    assert alarm["Dimensions"] == [
        {"Name": "QueueName", "Value": {"Fn::GetAtt": [queue, "QueueName"]}}
    ]
    assert alarm["Threshold"] == 1
    assert alarm["ComparisonOperator"] == "GreaterThanOrEqualToThreshold"
    assert alarm["AlarmActions"]


def test_schedule_runs_in_prod_only(synth: Synth) -> None:
    (schedule,) = synth.resources("AWS::Scheduler::Schedule").values()
    expected = "ENABLED" if synth.stage == "prod" else "DISABLED"
    assert schedule["Properties"]["State"] == expected


def test_the_pipeline_acts_as_the_etl_role_through_its_iam_identity(synth: Synth) -> None:
    """Issue 10, item 9: Redshift Serverless maps the role to IAMR:<role> and grants it the
    database roles of its RedshiftDbRoles tag; it gets credentials for this workgroup only."""
    role = synth.stack.orchestration.state_machine.role
    props = synth.template["Resources"][synth.logical_id(role)]["Properties"]
    tags = {t["Key"]: t["Value"] for t in props["Tags"]}
    assert tags["RedshiftDbRoles"] == "liberta_etl"
    statements = _policy_statements_of(synth, role)
    (credentials,) = _allowing(statements, "redshift-serverless:GetCredentials")
    workgroup = synth.logical_id(synth.stack.warehouse.workgroup)
    assert credentials["Resource"] == {"Fn::GetAtt": [workgroup, "Workgroup.WorkgroupArn"]}
    assert not _allowing(statements, "secretsmanager:GetSecretValue")
    assert not _allowing(statements, "redshift-serverless:GetCredentials")[0].get("Condition")


def test_data_api_status_calls_are_limited_to_the_callers_own_statements(synth: Synth) -> None:
    """Issue 10, item 10."""
    for role in (synth.stack.orchestration.state_machine.role, synth.stack.setup.role):
        statements = _policy_statements_of(synth, role)
        for action in (
            "redshift-data:DescribeStatement",
            "redshift-data:GetStatementResult",
            "redshift-data:CancelStatement",
        ):
            (grant,) = _allowing(statements, action)
            assert grant["Resource"] == "*"
            owner = grant["Condition"]["StringLike"]["redshift-data:statement-owner-iam-userid"]
            assert owner == {
                "Fn::Join": ["", [{"Fn::GetAtt": [synth.logical_id(role), "RoleId"]}, ":*"]]
            }
        for action in ("redshift-data:ExecuteStatement", "redshift-data:BatchExecuteStatement"):
            for grant in _allowing(statements, action):
                assert "Workgroup.WorkgroupArn" in json.dumps(grant["Resource"]), action


def test_metrics_are_published_to_the_liberta_namespace_only(synth: Synth) -> None:
    statements = _policy_statements_of(synth, synth.stack.orchestration.state_machine.role)
    (grant,) = _allowing(statements, "cloudwatch:PutMetricData")
    assert grant["Condition"] == {"StringEquals": {"cloudwatch:namespace": "Liberta"}}


def test_emr_actions_reach_only_the_stages_own_clusters(synth: Synth) -> None:
    """Issue 10, item 10: cluster actions under the stage's tag (set at RunJobFlow),
    iam:PassRole only to EMR, no autoscaling role."""
    statements = _policy_statements_of(synth, synth.stack.orchestration.state_machine.role)
    emr = [
        s
        for s in statements
        if any(a.startswith("elasticmapreduce:") for a in _as_list(s["Action"]))
    ]
    roles = synth.resources("AWS::IAM::Role")
    assert not [r for r in roles if "AutoScaling" in r or "Autoscaling" in r]
    assert "AutoScalingRole" not in json.dumps(synth.asl)
    if synth.emr_mode == "serverless":
        assert not emr
        return
    stage_tag = {"liberta:stage": synth.stage}
    for statement in emr:
        condition = statement["Condition"]["StringEquals"]
        actions = _as_list(statement["Action"])
        if actions in (["elasticmapreduce:RunJobFlow"], ["elasticmapreduce:AddTags"]):
            assert condition == {f"aws:RequestTag/{k}": v for k, v in stage_tag.items()}
        else:
            assert condition == {f"aws:ResourceTag/{k}": v for k, v in stage_tag.items()}
    covered = {a for s in emr for a in _as_list(s["Action"])}
    assert {"elasticmapreduce:AddJobFlowSteps", "elasticmapreduce:TerminateJobFlows"} <= covered
    (create,) = [
        s
        for s in synth.asl["States"].values()
        if s.get("Resource", "").endswith("createCluster.sync")
    ]
    assert {"Key": "liberta:stage", "Value": synth.stage} in create["Parameters"]["Tags"]
    (pass_role,) = _allowing(statements, "iam:PassRole")
    assert pass_role["Condition"] == {
        "StringEquals": {"iam:PassedToService": "elasticmapreduce.amazonaws.com"}
    }


def test_each_key_has_one_purpose_and_conditions_on_its_service_principals(synth: Synth) -> None:
    """Issue 10, item 11."""
    keys = synth.resources("AWS::KMS::Key")
    expected = {"logs", "alerts", "pipeline", "warehouse"} | (
        {"emr"} if synth.emr_mode == "cluster" else set()
    )
    aliases = {
        a["Properties"]["AliasName"].rsplit("-", 1)[-1]
        for a in synth.resources("AWS::KMS::Alias").values()
    }
    assert aliases == expected and len(keys) == len(expected)
    for logical_id, key in keys.items():
        assert key["Properties"]["EnableKeyRotation"] is True
        for statement in key["Properties"]["KeyPolicy"]["Statement"]:
            principal = statement.get("Principal", {})
            if "Service" in principal:
                assert statement.get("Condition"), f"{logical_id}: {statement.get('Sid')}"
    # The Spark job's identity may use the EMR disk key (cluster mode) and no other key.
    job_statements = _policy_statements_of(synth, synth.stack.processing.job_role)
    key_ids = {k for k in keys}
    used = {
        k
        for s in job_statements
        if any(a.startswith("kms:") for a in _as_list(s["Action"]))
        for k in key_ids
        if _references(s["Resource"], k)
    }
    emr_key = synth.stack.keys.emr
    assert used == ({synth.logical_id(emr_key)} if emr_key is not None else set())


def test_service_roles_trust_only_this_account(synth: Synth) -> None:
    """Issue 10, item 13: the COPY role (and every other service role Liberta creates that a
    service assumes on its behalf) is assumable only for this account's resources."""
    for name, role in (
        ("copy", synth.stack.warehouse.copy_role),
        ("schedule", synth.stack.orchestration.schedule_role),
        ("abort cleanup", synth.stack.orchestration.cleanup.invoke_role),
    ):
        props = synth.template["Resources"][synth.logical_id(role)]["Properties"]
        (trust,) = props["AssumeRolePolicyDocument"]["Statement"]
        # {"Ref": "AWS::AccountId"} environment-agnostic, "123456789012" for prod-cluster.
        account = synth.stack.resolve(synth.stack.account)
        assert trust["Condition"]["StringEquals"]["aws:SourceAccount"] == account, name


def test_the_default_security_group_is_restricted(synth: Synth) -> None:
    """Issue 10, item 13: CDK's custom resource removes the default group's rules."""
    (restrict,) = synth.resources("Custom::VpcRestrictDefaultSG").values()
    assert restrict["Properties"]["DefaultSecurityGroupId"] == {
        "Fn::GetAtt": [synth.logical_id(synth.stack.network.vpc), "DefaultSecurityGroup"]
    }


def test_an_aborted_execution_has_its_statements_cancelled(synth: Synth) -> None:
    """Issue 10, item 4: an EventBridge rule sends ABORTED and TIMED_OUT executions of the
    pipeline to the abort cleanup, which cancels the run's statements still running; the
    statement names it lists by are those the pipeline gives its statements."""
    from asl_sim import run
    from test_infra_failure_path import FakeAws

    cleanup = synth.stack.orchestration.cleanup
    (rule,) = [
        r["Properties"]
        for r in synth.resources("AWS::Events::Rule").values()
        if "aws.states" in json.dumps(r["Properties"].get("EventPattern"))
    ]
    pattern = rule["EventPattern"]
    assert pattern["detail"]["status"] == ["ABORTED", "TIMED_OUT"]
    assert pattern["detail"]["stateMachineArn"] == [
        {"Ref": synth.logical_id(synth.stack.orchestration.state_machine)}
    ]
    (target,) = rule["Targets"]
    assert target["Arn"] == {"Ref": synth.logical_id(cleanup.state_machine)}
    assert target["InputPath"] == "$.detail"

    names = [
        c.parameters["StatementName"]
        for c in run(synth.asl, {}, FakeAws()).calls
        if "StatementName" in c.parameters
    ]
    assert names and all(n.startswith(f"liberta-{synth.stage}/run-1/") for n in names)
    listed = [
        {"Id": "a", "Status": "STARTED", "StatementName": names[0]},
        {"Id": "b", "Status": "FINISHED", "StatementName": names[1]},
        {"Id": "c", "Status": "SUBMITTED", "StatementName": names[-1]},
        {"Id": "d", "Status": "PICKED", "StatementName": names[-1]},
        {"Id": "e", "Status": "FAILED", "StatementName": names[-1]},
    ]
    calls: list[tuple[str, Any]] = []

    def aws(state: str, resource: str, parameters: Any) -> Any:
        calls.append((resource.rsplit(":", 1)[-1], parameters))
        if resource.endswith("listStatements"):
            return {"Statements": listed}
        if resource.endswith("cancelStatement"):
            return {"Status": True}
        raise AssertionError(resource)

    detail = {"name": "run-1", "status": "ABORTED", "executionArn": "arn:x:run-1"}
    execution = run(synth.asl_of("abort-cleanup"), detail, aws)
    assert execution.status == "SUCCEEDED"
    (listing, *cancels) = calls
    assert listing == (
        "listStatements",
        {
            "StatementName": f"liberta-{synth.stage}/run-1/",
            "RoleLevel": True,
            "Status": "ALL",
            "MaxResults": 100,
        },
    )
    assert sorted(p["Id"] for _, p in cancels) == ["a", "c", "d"]


def test_outputs_give_what_users_need(synth: Synth) -> None:
    outputs = synth.template["Outputs"]
    for name in (
        "RawBucketName",
        "CuratedBucketName",
        "StateMachineArn",
        "RedshiftEndpoint",
        "RedshiftJdbcUrl",
        "RedshiftAdminSecretArn",
    ):
        assert name in outputs
    jdbc = json.dumps(outputs["RedshiftJdbcUrl"]["Value"])
    assert "jdbc:redshift://" in jdbc and ":5439/liberta?ssl=true" in jdbc


def test_data_is_retained_in_prod_and_disposable_in_dev(synth: Synth) -> None:
    for type_ in ("AWS::S3::Bucket", "AWS::RedshiftServerless::Namespace", "AWS::KMS::Key"):
        for resource in synth.resources(type_).values():
            expected = "Retain" if synth.stage == "prod" else "Delete"
            assert resource["DeletionPolicy"] == expected, type_
