"""LoadWarehouse: read what the run published, then the whole load as ONE Data API batch.

The batch is redshift_sql/load/ (liberta_core.sql.redshift_load_batch): one transaction from
the lock to the load log, so a failure anywhere leaves the warehouse as it was.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from aws_cdk import aws_s3 as s3
from aws_cdk import aws_stepfunctions as sfn
from aws_cdk import aws_stepfunctions_tasks as tasks
from constructs import Construct

from infra.pipeline.building_blocks import (
    PipelineContext,
    catch_all,
    error_pass,
    retry_transient,
    step_marker,
)
from infra.pipeline.data_api import DataApiStatement
from infra.pipeline.statements import render
from liberta_core import layout, steps
from liberta_core.manifest import COUNT_FIELDS, FORMAT_VERSION
from liberta_core.tables import TABLE_NAMES


def load_values() -> dict[str, str]:
    """Run-time values the load SQL's placeholders may name (JSONPaths or intrinsics).

    Timestamps are the manifest's ISO-8601 text; a JSON null renders as `null`, which the SQL
    treats as "none".
    """
    values = {
        "run_id": "$.run_id",
        "copy_prefix": "$.run.copy_prefix",
        "full_refresh": "$.manifest.window.full_refresh",
        "window_since": "$.manifest.window.since",
        "window_until": "$.manifest.window.until",
        "high_water_mark": "$.manifest.high_water_mark",
        "quarantine_by_reason": "States.JsonToString($.manifest.quarantine.by_reason)",
    }
    for count in COUNT_FIELDS:
        values[f"counts_{count}"] = f"$.manifest.counts.{count}"
    for table in TABLE_NAMES:
        values[f"rows_{table}"] = f"$.manifest.tables.{table}.rows"
    return values


class LoadWarehouse(sfn.StateMachineFragment):
    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        context: PipelineContext,
        curated_bucket: s3.IBucket,
        load_batch: Sequence[str],
        static_values: Mapping[str, str],
    ) -> None:
        super().__init__(scope, construct_id)
        marker = step_marker(self, steps.LOAD)
        read, summary = self._read_manifest(context, curated_bucket)
        batch = DataApiStatement(
            self,
            "LoadBatch",
            context=context,
            key="load",
            sql=[
                render(
                    statement,
                    static=static_values,
                    dynamic=load_values(),
                    source=f"load statement {i + 1}",
                )
                for i, statement in enumerate(load_batch)
            ],
        )
        marker.next(read)
        summary.next(batch)
        self._start, self._end = marker, batch

    @property
    def start_state(self) -> sfn.State:
        return self._start

    @property
    def end_states(self) -> list[sfn.INextable]:
        return self._end.end_states

    def _read_manifest(
        self, context: PipelineContext, curated: s3.IBucket
    ) -> tuple[sfn.State, sfn.State]:
        """Read manifest.json, keep what the load needs (not the file lists), validate it."""
        get = tasks.CallAwsService(
            self,
            "ReadManifest",
            service="s3",
            action="getObject",
            iam_action="s3:GetObject",
            iam_resources=[curated.arn_for_objects(layout.manifest_key("*"))],
            parameters={
                "Bucket": curated.bucket_name,
                "Key": sfn.JsonPath.string_at("$.run.manifest_key"),
            },
            result_selector={"document.$": "States.StringToJson($.Body)"},
            result_path="$.manifest_file",
        )
        retry_transient(get)
        catch_all(get, context.on_failure)
        document = "$.manifest_file.document"
        required = [
            f"{document}.format_version",
            *(f"{document}.counts.{count}" for count in COUNT_FIELDS),
            f"{document}.quarantine.by_reason",
            f"{document}.high_water_mark",
            f"{document}.window.full_refresh",
            *(
                f"{document}.tables.{table}.{field_name}"
                for table in TABLE_NAMES
                for field_name in ("rows", "copy_manifest")
            ),
        ]
        invalid = error_pass(
            self,
            "ManifestInvalid",
            error="Liberta.ManifestInvalid",
            cause=f"manifest.json lacks a field of docs/run-manifest.md (format_version "
            f"{FORMAT_VERSION}, counts, window, and rows + copy_manifest for every table)",
            handler=context.on_failure,
        )
        valid = sfn.Condition.and_(
            sfn.Condition.number_equals(f"{document}.format_version", FORMAT_VERSION),
            *(sfn.Condition.is_present(path) for path in required),
        )
        keep = sfn.Pass(
            self,
            "KeepManifestSummary",
            parameters={
                "input.$": "$.input",
                "run_id.$": "$.run_id",
                "client_token.$": "$.client_token",
                "started_at.$": "$.started_at",
                "step.$": "$.step",
                "run.$": "$.run",
                "window.$": "$.window",
                "manifest": {
                    "run_id.$": f"{document}.run_id",
                    "high_water_mark.$": f"{document}.high_water_mark",
                    "window.$": f"{document}.window",
                    "counts.$": f"{document}.counts",
                    "quarantine": {"by_reason.$": f"{document}.quarantine.by_reason"},
                    "tables": {
                        table: {
                            "rows.$": f"{document}.tables.{table}.rows",
                            "copy_manifest.$": f"{document}.tables.{table}.copy_manifest",
                        }
                        for table in TABLE_NAMES
                    },
                },
            },
        )
        check = sfn.Choice(self, "ManifestValid?").when(valid, keep).otherwise(invalid)
        get.next(check)
        return get, keep
