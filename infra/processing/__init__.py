"""Where the Spark job runs: one interface (`SparkRuntime`), two implementations.

- `ClusterRuntime` (cluster.py): a transient EMR-on-EC2 cluster per execution (create ->
  addStep.sync -> terminate, terminated on failure too);
- `ServerlessRuntime` (serverless.py): an EMR Serverless application (startJobRun.sync).

`spark_runtime(...)` builds the one the stage's `emr_mode` names. Everything that differs
between the modes lives in its implementation: resources, the states that run the job, what the
state machine's role needs, and the acknowledged cdk-nag findings.
"""

from __future__ import annotations

from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_kms as kms
from constructs import Construct

from infra.config import StageConfig
from infra.processing.base import SparkRuntime
from infra.processing.cluster import ClusterRuntime
from infra.processing.job_code import JobCode, SparkJob
from infra.processing.serverless import ServerlessRuntime

__all__ = ["JobCode", "SparkJob", "SparkRuntime", "spark_runtime"]


def spark_runtime(
    scope: Construct,
    construct_id: str,
    *,
    config: StageConfig,
    vpc: ec2.IVpc,
    subnets: ec2.SubnetSelection,
    key: kms.IKey | None,
) -> SparkRuntime:
    """The runtime of `config.emr_mode`; `key` encrypts the cluster nodes' local disks."""
    if config.emr_mode == "cluster":
        if key is None:
            raise ValueError("EMR cluster mode needs the key for the nodes' local disks")
        return ClusterRuntime(scope, construct_id, config=config, vpc=vpc, subnets=subnets, key=key)
    return ServerlessRuntime(scope, construct_id, config=config, vpc=vpc, subnets=subnets)
