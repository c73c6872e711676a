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


def test_alerts_logs_and_state_machine_are_encrypted_and_observable(synth: Synth) -> None:
    (topic,) = synth.resources("AWS::SNS::Topic").values()
    assert "KmsMasterKeyId" in topic["Properties"]
    for group in synth.resources("AWS::Logs::LogGroup").values():
        assert "KmsKeyId" in group["Properties"]
    (machine,) = synth.resources("AWS::StepFunctions::StateMachine").values()
    props = machine["Properties"]
    assert props["LoggingConfiguration"]["Level"] == "ALL"
    assert props["TracingConfiguration"] == {"Enabled": True}
    assert props["EncryptionConfiguration"]["Type"] == "CUSTOMER_MANAGED_KMS_KEY"
    assert synth.asl["TimeoutSeconds"] == 6 * 3600
    alarms = synth.resources("AWS::CloudWatch::Alarm").values()
    metrics = {a["Properties"]["MetricName"] for a in alarms}
    assert {"ExecutionsFailed", "ExecutionsTimedOut"} <= metrics
    assert all(a["Properties"]["AlarmActions"] for a in alarms)
    assert synth.resources("AWS::CloudWatch::Dashboard")
    (key,) = synth.resources("AWS::KMS::Key").values()
    assert key["Properties"]["EnableKeyRotation"] is True


def test_schedule_runs_in_prod_only(synth: Synth) -> None:
    (schedule,) = synth.resources("AWS::Scheduler::Schedule").values()
    expected = "ENABLED" if synth.stage == "prod" else "DISABLED"
    assert schedule["Properties"]["State"] == expected
    target = schedule["Properties"]["Target"]
    machine_id = next(iter(synth.resources("AWS::StepFunctions::StateMachine")))
    assert target["Arn"] == {"Ref": machine_id}


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
