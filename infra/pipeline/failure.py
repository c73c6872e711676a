"""The failure path: record the failed run in etl.load_log, notify, fail the execution.

Entered with `$.error` = {Error, Cause} (every Catch and error Pass writes it). The `failed`
row is written with redshift_sql/etl/insert_failed_load_log.sql and Data API parameters, so the
error text can never act as SQL. Recording is best effort: when it fails too (e.g. the
bootstrap was what failed and etl.load_log does not exist), the run continues to NotifyFailure
with `$.error` untouched; `$.failed_run.logged` says whether the row was written and is part
of the notification.
"""

from __future__ import annotations

from aws_cdk import aws_sns as sns
from aws_cdk import aws_stepfunctions as sfn
from aws_cdk import aws_stepfunctions_tasks as tasks
from constructs import Construct

from infra.config import StageConfig
from infra.pipeline.building_blocks import (
    ERROR_PATH,
    PipelineContext,
    Warehouse,
    retry_transient,
)
from infra.pipeline.data_api import DataApiStatement
from infra.pipeline.statements import RenderedStatement, data_api_parameters, single_line


class FailurePath(Construct):
    """`entry` is where every failure goes; the path ends in the `PipelineFailed` Fail state."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        config: StageConfig,
        warehouse: Warehouse,
        topic: sns.ITopic,
        failed_run_sql: str,
    ) -> None:
        super().__init__(scope, construct_id)
        failed = sfn.Fail(
            self,
            "PipelineFailed",
            error="Liberta.PipelineFailed",
            cause="A step failed: NotifyFailure's message and the execution history say which",
        )
        notify = tasks.SnsPublish(
            self,
            "NotifyFailure",
            topic=topic,
            subject=f"Liberta {config.name}: pipeline run failed",
            message=sfn.TaskInput.from_json_path_at(
                sfn.JsonPath.format(
                    f"Liberta {config.name} run {{}} failed in step {{}}. Error: {{}}. {{}} "
                    "The failed run {}.",
                    sfn.JsonPath.string_at("$.run_id"),
                    sfn.JsonPath.string_at("$.step.name"),
                    sfn.JsonPath.string_at("$.error.Error"),
                    sfn.JsonPath.string_at("$.failed_run.detail.text"),
                    sfn.JsonPath.string_at("$.failed_run.logged"),
                )
            ),
            result_path=sfn.JsonPath.DISCARD,
        )
        retry_transient(notify)
        notify.add_catch(failed, result_path="$.notify_error")
        notify.next(failed)

        log_error = "$.failed_run_log_error"
        recorded = sfn.Pass(
            self,
            "FailedRunRecorded",
            result=sfn.Result.from_string("was recorded in etl.load_log"),
            result_path="$.failed_run.logged",
        )
        not_recorded = sfn.Pass(
            self,
            "FailedRunNotRecorded",
            comment=f"The recording's own error is under {log_error}; $.error is unchanged",
            result=sfn.Result.from_string(
                "could NOT be recorded in etl.load_log (see RecordFailedRun in the execution "
                "history)"
            ),
            result_path="$.failed_run.logged",
        )
        # The message carries a short error: Liberta's own errors have short causes written for
        # people; any other cause (an AWS API's, or a Spark step's whole description) stays in
        # the execution history and the etl.load_log row.
        own_cause = sfn.Pass(
            self,
            "FailureDetailOwn",
            parameters={"text.$": "States.Format('Cause: {}.', $.error.Cause)"},
            result_path="$.failed_run.detail",
        )
        other_cause = sfn.Pass(
            self,
            "FailureDetailElsewhere",
            parameters={"text": "The cause is in the execution history and the etl.load_log row."},
            result_path="$.failed_run.detail",
        )
        compose = (
            sfn.Choice(self, "FailureCauseIsShort?")
            .when(sfn.Condition.string_matches("$.error.Error", "Liberta.*"), own_cause)
            .otherwise(other_cause)
        )
        own_cause.next(notify)
        other_cause.next(notify)
        recorded.next(compose)
        not_recorded.next(compose)

        # Step Functions' error output SHOULD (not must) carry a Cause; a missing field would
        # be a States.Runtime error that no Catch handles, so supply one.
        no_cause = sfn.Pass(
            self,
            "FailureWithoutCause",
            parameters={"Error.$": "$.error.Error", "Cause": "no cause was reported"},
            result_path=ERROR_PATH,
        )
        error_text = "States.Format('{}: {}', $.error.Error, $.error.Cause)"
        in_window = sfn.Pass(
            self,
            "FailedRunInWindow",
            parameters={
                "full_refresh.$": "States.JsonToString($.window.full_refresh)",
                "error.$": error_text,
                "step.$": "$.step.name",
            },
            result_path="$.failed_run",
        )
        before_window = sfn.Pass(
            self,
            "FailedRunBeforeWindow",
            parameters={"full_refresh": "null", "error.$": error_text, "step.$": "$.step.name"},
            result_path="$.failed_run",
        )
        window_known = (
            sfn.Choice(self, "FailedRunWindowKnown?")
            .when(sfn.Condition.is_present("$.window.full_refresh"), in_window)
            .otherwise(before_window)
        )
        no_cause.next(window_known)
        self.entry = (
            sfn.Choice(self, "FailureHasCause?")
            .when(sfn.Condition.is_present("$.error.Cause"), window_known)
            .otherwise(no_cause)
        )

        # The recording's own failures go to not_recorded, never back to the failure path.
        recording_context = PipelineContext(
            config=config, warehouse=warehouse, on_failure=not_recorded
        )
        record = DataApiStatement(
            self,
            "RecordFailedRun",
            context=recording_context,
            key="failed_run_log",
            sql=RenderedStatement(single_line(failed_run_sql), False),
            parameters=data_api_parameters(
                failed_run_sql,
                {
                    "run_id": sfn.JsonPath.string_at("$.run_id"),
                    "started_at": sfn.JsonPath.string_at("$.started_at"),
                    "full_refresh": sfn.JsonPath.string_at("$.failed_run.full_refresh"),
                    "error": sfn.JsonPath.string_at("$.failed_run.error"),
                    "failed_step": sfn.JsonPath.string_at("$.failed_run.step"),
                },
                source="redshift_sql/etl/insert_failed_load_log.sql",
            ),
            budget_minutes=config.budget_query_minutes,
            error_path=log_error,
        )
        self.worst_case_seconds = record.worst_case_seconds + 120  # and the notification
        in_window.next(record)
        before_window.next(record)
        record.next(recorded)
