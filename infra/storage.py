"""The data lake buckets: raw events, curated star schema, deployment artifacts, access logs."""

from __future__ import annotations

from aws_cdk import Duration, RemovalPolicy
from aws_cdk import aws_s3 as s3
from constructs import Construct

from infra.config import StageConfig
from liberta_core.layout import QUARANTINE_PREFIX, RAW_EVENTS_PREFIX

# Prefix under the artifacts bucket for EMR logs (cluster logs and EMR Serverless job logs).
EMR_LOGS_PREFIX = "emr-logs/"


class Storage(Construct):
    """Four buckets, all encrypted (SSE-S3), private, TLS-only and logged.

    SSE-S3 rather than SSE-KMS: S3 server access logs cannot be delivered to a KMS-encrypted
    bucket, and SSE-S3 needs no key grants for Redshift COPY, EMR and Athena readers while
    still encrypting every object at rest.
    """

    def __init__(self, scope: Construct, construct_id: str, *, config: StageConfig) -> None:
        super().__init__(scope, construct_id)
        removal = RemovalPolicy.RETAIN if config.retain_data else RemovalPolicy.DESTROY
        # Versioned buckets cannot be deleted while they hold objects: stages that do not keep
        # their data empty them on stack delete (a CDK custom resource), the others retain them.
        auto_delete = not config.retain_data and config.empty_buckets_on_delete
        abort_uploads = s3.LifecycleRule(
            id="abort-incomplete-uploads",
            abort_incomplete_multipart_upload_after=Duration.days(7),
        )
        expire_old_versions = s3.LifecycleRule(
            id="expire-noncurrent-versions",
            noncurrent_version_expiration=Duration.days(config.noncurrent_version_expiry_days),
        )

        self.access_logs = s3.Bucket(
            self,
            "AccessLogs",
            encryption=s3.BucketEncryption.S3_MANAGED,
            block_public_access=s3.BlockPublicAccess.BLOCK_ALL,
            enforce_ssl=True,
            versioned=True,
            object_ownership=s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
            removal_policy=removal,
            auto_delete_objects=auto_delete,
            lifecycle_rules=[
                abort_uploads,
                expire_old_versions,
                s3.LifecycleRule(
                    id="expire-access-logs",
                    expiration=Duration.days(config.access_log_expiry_days),
                ),
            ],
        )

        def data_bucket(
            construct_id: str, log_prefix: str, rules: list[s3.LifecycleRule]
        ) -> s3.Bucket:
            return s3.Bucket(
                self,
                construct_id,
                encryption=s3.BucketEncryption.S3_MANAGED,
                block_public_access=s3.BlockPublicAccess.BLOCK_ALL,
                enforce_ssl=True,
                versioned=True,
                object_ownership=s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
                server_access_logs_bucket=self.access_logs,
                server_access_logs_prefix=log_prefix,
                removal_policy=removal,
                auto_delete_objects=auto_delete,
                lifecycle_rules=[abort_uploads, expire_old_versions, *rules],
            )

        self.raw = data_bucket(
            "Raw",
            "raw/",
            [
                s3.LifecycleRule(
                    id="tier-old-raw-events",
                    prefix=RAW_EVENTS_PREFIX,
                    transitions=[
                        s3.Transition(
                            storage_class=s3.StorageClass.INFREQUENT_ACCESS,
                            transition_after=Duration.days(config.raw_infrequent_access_days),
                        ),
                        s3.Transition(
                            storage_class=s3.StorageClass.GLACIER_INSTANT_RETRIEVAL,
                            transition_after=Duration.days(config.raw_glacier_ir_days),
                        ),
                    ],
                )
            ],
        )
        self.curated = data_bucket(
            "Curated",
            "curated/",
            [
                s3.LifecycleRule(
                    id="expire-quarantine",
                    prefix=QUARANTINE_PREFIX,
                    expiration=Duration.days(config.quarantine_expiry_days),
                )
            ],
        )
        self.artifacts = data_bucket(
            "Artifacts",
            "artifacts/",
            [
                s3.LifecycleRule(
                    id="expire-emr-logs",
                    prefix=EMR_LOGS_PREFIX,
                    expiration=Duration.days(config.log_retention_days),
                )
            ],
        )
