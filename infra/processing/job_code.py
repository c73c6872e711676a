"""The Spark job package (`emr_jobs.packaging.build`) uploaded as CDK file assets."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from aws_cdk import aws_s3_assets as s3_assets
from constructs import Construct

from emr_jobs.packaging import JobPackage, spark_submit_args
from infra.config import EmrMode


@dataclass(frozen=True, kw_only=True)
class SparkJob:
    """How to start the Spark job: the spark-submit options and the job's entry point."""

    entry_point_uri: str
    submit_options: Sequence[str]  # everything between `spark-submit` and the entry point
    object_arns: Sequence[str]  # S3 objects of the job code the job role must read


# Stands in for the upload prefix `spark_submit_args` expects; every file of the package is a
# separate CDK asset (content-hashed key), so each `<prefix>/<file name>` is swapped for the
# URL of that file's asset.
_PREFIX_SENTINEL = "s3://liberta-job-package.invalid/prefix"


class JobCode(Construct):
    """The job package's files as assets, and how to submit the job from them."""

    def __init__(
        self, scope: Construct, construct_id: str, *, package: JobPackage, mode: EmrMode
    ) -> None:
        super().__init__(scope, construct_id)
        assets: dict[str, s3_assets.Asset] = {}
        for path in package.files:
            if not Path(path).is_file():
                raise FileNotFoundError(f"job package file {path} is missing: rebuild it")
            construct_name = "".join(part.title() for part in Path(path).name.split("."))
            assets[Path(path).name] = s3_assets.Asset(self, construct_name, path=str(path))

        def locate(arg: str) -> str:
            for name, asset in assets.items():
                arg = arg.replace(f"{_PREFIX_SENTINEL}/{name}", asset.s3_object_url)
            if _PREFIX_SENTINEL in arg:
                raise ValueError(
                    f"spark-submit argument {arg!r} names a file that build() did not write "
                    f"(package files: {sorted(assets)})"
                )
            return arg

        args = [locate(arg) for arg in spark_submit_args(_PREFIX_SENTINEL, target=mode)]
        self.spark_job = SparkJob(
            entry_point_uri=args[-1],
            submit_options=tuple(args[:-1]),
            object_arns=tuple(
                asset.bucket.arn_for_objects(asset.s3_object_key) for asset in assets.values()
            ),
        )
