"""The pipeline state machine: bootstrap -> watermark -> Spark job -> load -> checks -> notify.

JSONPath ASL throughout (statelint and asl-validator both check it). State data:

    $.input           the execution input ({"since", "until", "full_refresh"}, all optional)
    $.run_id          the execution name: names the run's S3 prefix and the EMR job
    $.client_token    States.UUID(), per execution (idempotent EMR Serverless submission)
    $.run             S3 locations of this run (manifest, COPY manifests)
    $.window          {"since", "until", "full_refresh"} handed to the Spark job
    $.job_args        the Spark job's command line (cluster: the whole spark-submit)
    $.manifest        the run manifest without its file lists (docs/run-manifest.md)
    $.<step>          Data API statement ids and poll counters
    $.error           {"Error", "Cause"} of the first failure (every Catch writes it)
    $.failed_run      the failed-run log row's values and whether it was recorded

Every Task has a Retry and a Catch. Every failure takes the failure path: (in cluster mode,
while the cluster is up, TerminateClusterAfterFailure first) RecordFailedRun writes a `failed`
row to etl.load_log (redshift_sql/etl/insert_failed_load_log.sql, Data API parameters), then
NotifyFailure, then Fail. Recording is best effort: when it fails too (e.g. the bootstrap was
what failed), the notification says so and the original error is still the one reported.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from aws_cdk import Duration, Stack, TimeZone
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_s3 as s3
from aws_cdk import aws_scheduler as scheduler
from aws_cdk import aws_scheduler_targets as scheduler_targets
from aws_cdk import aws_sns as sns
from aws_cdk import aws_stepfunctions as sfn
from aws_cdk import aws_stepfunctions_tasks as tasks
from constructs import Construct

from infra.config import StageConfig
from infra.log_groups import encrypted_log_group
from infra.monitoring import EVENTS_METRICS, METRICS_NAMESPACE, ROWS_LOADED_METRIC
from infra.processing import Processing, SparkJob
from infra.statements import (
    Path,
    RenderedStatement,
    escape_intrinsic,
    intrinsic_string_array,
    single_line,
)
from infra.statements import render as render_sql
from infra.warehouse import Warehouse

# Redshift Data API: BatchExecuteStatement takes at most 40 statements.
MAX_BATCH_STATEMENTS = 40
# Full-refresh runs read every partition; the job still wants a syntactically valid window.
MANIFEST_KEY_TEMPLATE = "runs/{}/manifest.json"
# Integration ARNs (also the dimension of the Step Functions service-integration metrics).
EMR_ADD_STEP_SYNC_ARN = "arn:aws:states:::elasticmapreduce:addStep.sync"
EMR_SERVERLESS_START_SYNC_ARN = "arn:aws:states:::emr-serverless:startJobRun.sync"

# Manifest counts (docs/run-manifest.md) and the metric each is published as.
_COUNT_METRICS = dict(
    zip(("read", "valid", "quarantined", "duplicates"), EVENTS_METRICS, strict=True)
)
_MANIFEST_COUNTS = ("read", "valid", "quarantined", "duplicates", "time_corrected")
_ERROR = "$.error"


@dataclass(frozen=True, kw_only=True)
class PipelineSql:
    """The warehouse SQL the state machine runs, all rendered from `redshift_sql/`."""

    bootstrap: Sequence[str]
    window_start: str
    load_batch: Sequence[str]
    checks: Mapping[str, str]
    failed_run: str

    @classmethod
    def from_redshift_sql(cls) -> PipelineSql:
        from liberta.warehouse import sql as warehouse_sql

        dialect = warehouse_sql.Dialect.REDSHIFT
        return cls(
            bootstrap=tuple(warehouse_sql.bootstrap_statements(dialect)),
            window_start=warehouse_sql.window_start_query(dialect),
            load_batch=tuple(warehouse_sql.redshift_load_batch()),
            checks=dict(warehouse_sql.check_queries(dialect)),
            failed_run=warehouse_sql.redshift_failed_run_statement(),
        )


class Orchestration(Construct):
    """The state machine, its log group and role, and the EventBridge Scheduler schedule."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        config: StageConfig,
        key: kms.IKey,
        sql: PipelineSql,
        spark_job: SparkJob,
        processing: Processing,
        warehouse: Warehouse,
        raw_bucket: s3.IBucket,
        raw_prefix: str,
        curated_bucket: s3.IBucket,
        logs_bucket: s3.IBucket,
        logs_prefix: str,
        topic: sns.ITopic,
        table_names: Sequence[str],
    ) -> None:
        super().__init__(scope, construct_id)
        self._config = config
        self._warehouse = warehouse
        self._processing = processing
        self._tables = list(table_names)
        self._topic = topic
        self._curated = curated_bucket
        self._poll = Duration.seconds(config.data_api_poll_seconds)
        self._static_sql_values = {"iam_role": warehouse.copy_role.role_arn}
        self._raw_uri = f"s3://{raw_bucket.bucket_name}/{raw_prefix.strip('/')}"
        self._curated_uri = f"s3://{curated_bucket.bucket_name}"
        self._logs_uri = f"s3://{logs_bucket.bucket_name}/{logs_prefix.strip('/')}/"
        self._spark_job = spark_job

        if len(sql.load_batch) > MAX_BATCH_STATEMENTS:
            raise ValueError(
                f"the load batch has {len(sql.load_batch)} statements; the Redshift Data API "
                f"runs at most {MAX_BATCH_STATEMENTS} in one BatchExecuteStatement"
            )
        if config.emr_mode == "cluster":
            self.processing_integration_arn = EMR_ADD_STEP_SYNC_ARN
        else:
            self.processing_integration_arn = EMR_SERVERLESS_START_SYNC_ARN

        # -- failure path ------------------------------------------------------------------
        self._failed = sfn.Fail(
            self,
            "PipelineFailed",
            error="Liberta.PipelineFailed",
            cause="A step failed: NotifyFailure's message and the execution history say which",
        )
        self._notify_failure = tasks.SnsPublish(
            self,
            "NotifyFailure",
            topic=topic,
            subject=f"Liberta {config.name}: pipeline run failed",
            message=sfn.TaskInput.from_json_path_at(
                sfn.JsonPath.format(
                    f"Liberta {config.name} run {{}} failed. Error: {{}}. Cause: {{}}. "
                    "The failed run {}.",
                    sfn.JsonPath.string_at("$.run_id"),
                    sfn.JsonPath.string_at("$.error.Error"),
                    sfn.JsonPath.string_at("$.error.Cause"),
                    sfn.JsonPath.string_at("$.failed_run.logged"),
                )
            ),
            result_path=sfn.JsonPath.DISCARD,
        )
        self._retry(self._notify_failure)
        self._notify_failure.add_catch(self._failed, result_path="$.notify_error")
        self._notify_failure.next(self._failed)
        self._on_failure = self._record_failed_run(sql.failed_run)

        # -- the run -----------------------------------------------------------------------
        prepare = sfn.Pass(
            self,
            "Prepare",
            comment="Run identity and locations; the execution input is kept under $.input",
            parameters={
                "input.$": "$",
                "run_id.$": "$$.Execution.Name",
                "client_token.$": "States.UUID()",
                "started_at.$": "$$.Execution.StartTime",
                "run": {
                    "manifest_key.$": f"States.Format('{MANIFEST_KEY_TEMPLATE}', "
                    "$$.Execution.Name)",
                    "copy_prefix.$": f"States.Format('{escape_intrinsic(self._curated_uri)}"
                    "/runs/{}/copy', $$.Execution.Name)",
                },
            },
        )
        invalid_input = self._error_pass(
            "InvalidInput",
            "Liberta.InvalidInput",
            "The execution input must be an object with optional string fields since and "
            'until (ISO-8601) and a boolean full_refresh, e.g. {"since": '
            '"2026-11-01T00:00:00Z", "until": "2026-11-02T00:00:00Z"}',
        )
        validate_input = sfn.Choice(self, "ValidateInput").when(
            sfn.Condition.or_(
                sfn.Condition.and_(
                    sfn.Condition.is_present("$.input.since"),
                    sfn.Condition.is_not_string("$.input.since"),
                ),
                sfn.Condition.and_(
                    sfn.Condition.is_present("$.input.until"),
                    sfn.Condition.is_not_string("$.input.until"),
                ),
                sfn.Condition.and_(
                    sfn.Condition.is_present("$.input.full_refresh"),
                    sfn.Condition.is_not_boolean("$.input.full_refresh"),
                ),
            ),
            invalid_input,
        )

        bootstrap_start, bootstrap_done = self._bootstrap(sql.bootstrap)
        window_start = self._window(sql.window_start)
        process_start, process_done = self._process()
        read_manifest_start, read_manifest_done = self._read_manifest()
        load_start, load_done = self._batch_sql(
            "LoadWarehouse",
            "load",
            [
                render_sql(
                    statement,
                    static=self._static_sql_values,
                    dynamic=self._load_values(),
                    source=f"load statement {i + 1}",
                )
                for i, statement in enumerate(sql.load_batch)
            ],
        )
        checks_start, checks_done = self._checks(sql.checks)
        metrics, metrics_skipped = self._publish_metrics()
        done = sfn.Succeed(self, "Done")
        if config.notify_success:
            notify_success = tasks.SnsPublish(
                self,
                "NotifySuccess",
                topic=topic,
                subject=f"Liberta {config.name}: pipeline run succeeded",
                message=sfn.TaskInput.from_json_path_at(
                    sfn.JsonPath.format(
                        f"Liberta {config.name} run {{}} loaded: {{}} events read, {{}} valid, "
                        "{} quarantined, {} duplicates.",
                        sfn.JsonPath.string_at("$.run_id"),
                        *(
                            sfn.JsonPath.string_at(f"$.manifest.counts.{name}")
                            for name in _COUNT_METRICS
                        ),
                    )
                ),
                result_path=sfn.JsonPath.DISCARD,
            )
            self._retry(notify_success)
            self._catch(notify_success)
            finish: sfn.IChainable = notify_success.next(done)
        else:
            finish = done

        prepare.next(validate_input)
        validate_input.otherwise(bootstrap_start)
        bootstrap_done.next(window_start)
        self._window_done.next(process_start)
        process_done.next(read_manifest_start)
        read_manifest_done.next(load_start)
        load_done.next(checks_start)
        checks_done.next(metrics)
        metrics.next(finish)
        metrics_skipped.next(finish)

        log_group = encrypted_log_group(
            self,
            "Logs",
            config=config,
            key=key,
            log_group_name=f"/aws/vendedlogs/states/{config.prefix}-pipeline",
        )
        self.state_machine = sfn.StateMachine(
            self,
            "StateMachine",
            state_machine_name=f"{config.prefix}-pipeline",
            comment="Liberta: raw events -> Spark star schema -> Redshift, with quality checks",
            definition_body=sfn.DefinitionBody.from_chainable(prepare),
            timeout=Duration.hours(config.execution_timeout_hours),
            tracing_enabled=True,
            logs=sfn.LogOptions(
                destination=log_group, level=sfn.LogLevel.ALL, include_execution_data=True
            ),
            encryption_configuration=sfn.CustomerManagedEncryptionConfiguration(key),
        )
        self._grant_runtime(self.state_machine.role)

        self.schedule = scheduler.Schedule(
            self,
            "Schedule",
            description=f"Starts the Liberta {config.name} pipeline (incremental window)",
            schedule=scheduler.ScheduleExpression.expression(
                config.schedule_expression, time_zone=TimeZone.of(config.schedule_timezone)
            ),
            target=scheduler_targets.StepFunctionsStartExecution(
                self.state_machine,
                input=scheduler.ScheduleTargetInput.from_object({}),
                retry_attempts=3,
                max_event_age=Duration.hours(1),
            ),
            enabled=config.schedule_enabled,
        )

    # ------------------------------------------------------------------------------------
    # Building blocks
    # ------------------------------------------------------------------------------------
    def _retry(self, task: sfn.TaskStateBase | sfn.CustomState, *, attempts: int = 3) -> None:
        task.add_retry(
            errors=["States.TaskFailed"],
            interval=Duration.seconds(5),
            max_attempts=attempts,
            backoff_rate=2,
        )

    def _catch(
        self, task: sfn.TaskStateBase | sfn.CustomState, handler: sfn.IChainable | None = None
    ) -> None:
        task.add_catch(handler or self._on_failure, errors=["States.ALL"], result_path=_ERROR)

    def _error_pass(
        self,
        state_id: str,
        error: str,
        cause: str,
        *,
        handler: sfn.IChainable | None = None,
        error_path: str = _ERROR,
    ) -> sfn.Pass:
        """A Pass that records an error the way a Catch does, then takes the failure path."""
        state = sfn.Pass(
            self,
            state_id,
            parameters={"Error": error, "Cause": cause},
            result_path=error_path,
        )
        state.next(handler or self._on_failure)
        return state

    def _data_api(
        self, state_id: str, action: str, parameters: Mapping[str, object], **kwargs: object
    ) -> tasks.CallAwsService:
        api_action = action[0].upper() + action[1:]
        task = tasks.CallAwsService(
            self,
            state_id,
            service="redshiftdata",
            action=action,
            iam_action=f"redshift-data:{api_action}",
            # Access is granted once, precisely, in _grant_runtime.
            iam_resources=[self._warehouse.workgroup_arn],
            parameters=dict(parameters),
            **kwargs,
        )
        self._retry(task)
        return task

    def _connection(self) -> dict[str, str]:
        return {
            "WorkgroupName": self._warehouse.workgroup_name,
            "Database": self._warehouse.database_name,
            "SecretArn": self._warehouse.admin_secret.secret_arn,
        }

    def _await_statement(
        self,
        name: str,
        key: str,
        *,
        handler: sfn.IChainable | None = None,
        error_path: str = _ERROR,
    ) -> tuple[sfn.State, sfn.Pass]:
        """Poll DescribeStatement every few seconds, at most `data_api_max_polls` times.

        Returns (first state of the loop, the state reached once the statement FINISHED).
        Failed and aborted statements go to `handler` (default: the failure path) with
        Redshift's error at `error_path`; a statement still running after the last poll is
        cancelled and reported as timed out.
        """
        handler = handler or self._on_failure
        wait = sfn.Wait(self, f"{name}Wait", time=sfn.WaitTime.duration(self._poll))
        describe = self._data_api(
            f"{name}Status",
            "describeStatement",
            {"Id": sfn.JsonPath.string_at(f"$.{key}.Id")},
            result_selector={"Status.$": "$.Status", "Errors.$": "$..Error"},
            result_path=f"$.{key}.status",
        )
        describe.add_catch(handler, errors=["States.ALL"], result_path=error_path)
        count = sfn.Pass(
            self,
            f"{name}CountPoll",
            parameters={
                "Id.$": f"$.{key}.Id",
                "polls.$": f"States.MathAdd($.{key}.polls, 1)",
            },
            result_path=f"$.{key}",
        )
        failed = sfn.Pass(
            self,
            f"{name}Failed",
            parameters={
                "Error": "Liberta.SqlFailed",
                "Cause.$": f"States.Format('{name} failed in Redshift: {{}}', "
                f"States.JsonToString($.{key}.status.Errors))",
            },
            result_path=error_path,
        )
        failed.next(handler)
        timeout_seconds = self._config.data_api_max_polls * self._config.data_api_poll_seconds
        cancel = self._data_api(
            f"{name}Cancel",
            "cancelStatement",
            {"Id": sfn.JsonPath.string_at(f"$.{key}.Id")},
            result_path=sfn.JsonPath.DISCARD,
        )
        cancel.add_catch(handler, errors=["States.ALL"], result_path=error_path)
        cancel.next(
            self._error_pass(
                f"{name}TimedOut",
                "Liberta.SqlTimeout",
                f"{name} was still running after {timeout_seconds} s and was cancelled",
                handler=handler,
                error_path=error_path,
            )
        )
        finished = sfn.Pass(self, f"{name}Finished", result_path=sfn.JsonPath.DISCARD)
        choice = sfn.Choice(self, f"{name}Done?")
        choice.when(sfn.Condition.string_equals(f"$.{key}.status.Status", "FINISHED"), finished)
        choice.when(
            sfn.Condition.or_(
                sfn.Condition.string_equals(f"$.{key}.status.Status", "FAILED"),
                sfn.Condition.string_equals(f"$.{key}.status.Status", "ABORTED"),
            ),
            failed,
        )
        choice.when(
            sfn.Condition.number_greater_than_equals(
                f"$.{key}.polls", self._config.data_api_max_polls
            ),
            cancel,
        )
        choice.otherwise(count)
        count.next(wait)
        wait.next(describe)
        describe.next(choice)
        return wait, finished

    def _bootstrap(self, statements: Sequence[str]) -> tuple[sfn.State, sfn.State]:
        """The idempotent schema bootstrap, in as few Data API batches as the limit allows.

        Each batch is its own transaction; every statement is idempotent, so a bootstrap
        interrupted between batches completes on the next execution.
        """
        chunks = [
            list(statements[i : i + MAX_BATCH_STATEMENTS])
            for i in range(0, len(statements), MAX_BATCH_STATEMENTS)
        ]
        first: sfn.State | None = None
        last: sfn.State | None = None
        for number, chunk in enumerate(chunks, start=1):
            suffix = "" if len(chunks) == 1 else str(number)
            start, done = self._batch_sql(
                f"BootstrapSchema{suffix}",
                f"bootstrap{suffix}",
                [RenderedStatement(single_line(statement), False) for statement in chunk],
            )
            if last is None:
                first = start
            else:
                last.next(start)
            last = done
        if first is None or last is None:
            raise ValueError("bootstrap_statements() returned no SQL")
        return first, last

    def _batch_sql(
        self, name: str, key: str, statements: Sequence[RenderedStatement]
    ) -> tuple[sfn.State, sfn.State]:
        """One BatchExecuteStatement (one transaction) and its bounded poll loop."""
        if not statements:
            raise ValueError(f"{name}: no SQL statements to run")
        if len(statements) > MAX_BATCH_STATEMENTS:
            raise ValueError(
                f"{name}: {len(statements)} statements, the Data API batch limit is "
                f"{MAX_BATCH_STATEMENTS}"
            )
        parameters: dict[str, object] = dict(self._connection())
        first: sfn.State
        if any(s.is_intrinsic for s in statements):
            # Render every statement into $.<key>.sql, then pass them as one array.
            render = sfn.Pass(
                self,
                f"{name}RenderSql",
                parameters={
                    (f"s{i:02d}.$" if s.is_intrinsic else f"s{i:02d}"): s.value
                    for i, s in enumerate(statements)
                },
                result_path=f"$.{key}_sql",
            )
            parameters["Sqls.$"] = (
                "States.Array("
                + ", ".join(f"$.{key}_sql.s{i:02d}" for i in range(len(statements)))
                + ")"
            )
            first = render
        else:
            parameters["Sqls"] = [s.value for s in statements]
        parameters["StatementName"] = sfn.JsonPath.format(
            f"{self._config.prefix}-{key}-{{}}", sfn.JsonPath.string_at("$.run_id")
        )
        submit = self._data_api(
            name,
            "batchExecuteStatement",
            parameters,
            result_selector={"Id.$": "$.Id", "polls": 0},
            result_path=f"$.{key}",
        )
        self._catch(submit)
        wait, finished = self._await_statement(name, key)
        submit.next(wait)
        if any(s.is_intrinsic for s in statements):
            render.next(submit)
        else:
            first = submit
        return first, finished

    def _query(self, name: str, key: str, sql: RenderedStatement) -> tuple[sfn.State, sfn.State]:
        """ExecuteStatement, poll, then GetStatementResult into $.<key>.result."""
        submit = self._data_api(
            name,
            "executeStatement",
            {
                **self._connection(),
                ("Sql.$" if sql.is_intrinsic else "Sql"): sql.value,
                "StatementName": sfn.JsonPath.format(
                    f"{self._config.prefix}-{key}-{{}}", sfn.JsonPath.string_at("$.run_id")
                ),
            },
            result_selector={"Id.$": "$.Id", "polls": 0},
            result_path=f"$.{key}",
        )
        self._catch(submit)
        wait, finished = self._await_statement(name, key)
        submit.next(wait)
        fetch = self._data_api(
            f"{name}Result",
            "getStatementResult",
            {"Id": sfn.JsonPath.string_at(f"$.{key}.Id")},
            result_selector={"Records.$": "$.Records", "TotalNumRows.$": "$.TotalNumRows"},
            result_path=f"$.{key}.result",
        )
        self._catch(fetch)
        finished.next(fetch)
        return submit, fetch

    def _record_failed_run(self, statement: str) -> sfn.State:
        """The failure path's start: write the `failed` etl.load_log row, then NotifyFailure.

        Entered with $.error = {Error, Cause} (every Catch and error Pass writes it) after
        Prepare, so $.run_id and $.started_at are known; $.window only once the window was
        chosen (before that, full_refresh is recorded as unknown). `statement` binds Data API
        named parameters (:run_id, :started_at, :full_refresh, :error), so arbitrary error text
        cannot break the SQL. The row's started_at is the execution's start time.

        Whatever happens to the recording (API error, SQL error, timeout: e.g. the bootstrap
        was what failed and etl.load_log does not exist), the run continues to NotifyFailure
        with $.error untouched; $.failed_run.logged says whether the row was written and is
        part of the notification.
        """
        code = re.sub(r"'(?:[^']|'')*'", "''", single_line(statement))
        names = set(re.findall(r"(?<![:\w]):([A-Za-z_]\w*)", code))
        expected = {"run_id", "started_at", "full_refresh", "error"}
        if names != expected:
            raise ValueError(
                "the failed-run statement must bind exactly :"
                + ", :".join(sorted(expected))
                + f"; it binds {', '.join(sorted(names)) or 'nothing'}"
            )
        key = "failed_run_log"
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
        recorded.next(self._notify_failure)
        not_recorded.next(self._notify_failure)

        # Step Functions' error output SHOULD (not must) carry a Cause; a missing field would
        # be a States.Runtime error that no Catch handles, so supply one.
        no_cause = sfn.Pass(
            self,
            "FailureWithoutCause",
            parameters={"Error.$": "$.error.Error", "Cause": "no cause was reported"},
            result_path=_ERROR,
        )
        error_text = "States.Format('{}: {}', $.error.Error, $.error.Cause)"
        in_window = sfn.Pass(
            self,
            "FailedRunInWindow",
            parameters={
                "full_refresh.$": "States.JsonToString($.window.full_refresh)",
                "error.$": error_text,
            },
            result_path="$.failed_run",
        )
        before_window = sfn.Pass(
            self,
            "FailedRunBeforeWindow",
            parameters={"full_refresh": "null", "error.$": error_text},
            result_path="$.failed_run",
        )
        window_known = (
            sfn.Choice(self, "FailedRunWindowKnown?")
            .when(sfn.Condition.is_present("$.window.full_refresh"), in_window)
            .otherwise(before_window)
        )
        no_cause.next(window_known)
        entry = (
            sfn.Choice(self, "FailureHasCause?")
            .when(sfn.Condition.is_present("$.error.Cause"), window_known)
            .otherwise(no_cause)
        )

        submit = self._data_api(
            "RecordFailedRun",
            "executeStatement",
            {
                **self._connection(),
                "Sql": single_line(statement),
                "Parameters": [
                    {"Name": "run_id", "Value": sfn.JsonPath.string_at("$.run_id")},
                    {"Name": "started_at", "Value": sfn.JsonPath.string_at("$.started_at")},
                    {
                        "Name": "full_refresh",
                        "Value": sfn.JsonPath.string_at("$.failed_run.full_refresh"),
                    },
                    {"Name": "error", "Value": sfn.JsonPath.string_at("$.failed_run.error")},
                ],
                "StatementName": sfn.JsonPath.format(
                    f"{self._config.prefix}-{key}-{{}}", sfn.JsonPath.string_at("$.run_id")
                ),
            },
            result_selector={"Id.$": "$.Id", "polls": 0},
            result_path=f"$.{key}",
        )
        submit.add_catch(not_recorded, errors=["States.ALL"], result_path=log_error)
        wait, finished = self._await_statement(
            "RecordFailedRun", key, handler=not_recorded, error_path=log_error
        )
        in_window.next(submit)
        before_window.next(submit)
        submit.next(wait)
        finished.next(recorded)
        return entry

    # ------------------------------------------------------------------------------------
    # Stages of the run
    # ------------------------------------------------------------------------------------
    def _window(self, window_start_sql: str) -> sfn.State:
        """Pick the window: the input's, a full refresh, or the watermark minus lookback.

        `window_start_sql` is redshift_sql/etl/select_window_start.sql; the stage's lookback
        is written into it here (a deployment setting, a whole number of hours).
        """
        until_given = sfn.Pass(
            self,
            "UntilFromInput",
            parameters={"value.$": "$.input.until"},
            result_path="$.until",
        )
        until_now = sfn.Pass(
            self,
            "UntilExecutionStart",
            parameters={"value.$": "$.started_at"},
            result_path="$.until",
        )
        choose_until = (
            sfn.Choice(self, "UntilGiven?")
            .when(sfn.Condition.is_present("$.input.until"), until_given)
            .otherwise(until_now)
        )

        full_refresh = sfn.Pass(
            self,
            "FullRefreshWindow",
            parameters={"full_refresh": True},
            result_path="$.window",
        )
        explicit = sfn.Pass(
            self,
            "ExplicitWindow",
            parameters={
                "full_refresh": False,
                "since.$": "$.input.since",
                "until.$": "$.until.value",
            },
            result_path="$.window",
        )
        read_start, read_done = self._query(
            "ReadWatermark",
            "watermark",
            render_sql(
                window_start_sql,
                static={"lookback_hours": str(self._config.lookback_hours)},
                dynamic={},
                source="redshift_sql/etl/select_window_start.sql",
            ),
        )
        from_watermark = sfn.Pass(
            self,
            "WatermarkWindow",
            parameters={
                "full_refresh": False,
                "since.$": "$.watermark.result.Records[0][0].stringValue",
                "until.$": "$.until.value",
            },
            result_path="$.window",
        )
        no_watermark = sfn.Pass(
            self,
            "FirstRunFullRefresh",
            comment="Nothing loaded yet: the first run reads every partition",
            parameters={"full_refresh": True},
            result_path="$.window",
        )
        watermark_known = (
            sfn.Choice(self, "WatermarkKnown?")
            .when(
                sfn.Condition.and_(
                    sfn.Condition.is_present("$.watermark.result.Records[0][0].stringValue"),
                    sfn.Condition.is_string("$.watermark.result.Records[0][0].stringValue"),
                ),
                from_watermark,
            )
            .otherwise(no_watermark)
        )
        read_done.next(watermark_known)

        choose_window = (
            sfn.Choice(self, "ChooseWindow")
            .when(
                sfn.Condition.and_(
                    sfn.Condition.is_present("$.input.full_refresh"),
                    sfn.Condition.boolean_equals("$.input.full_refresh", True),
                ),
                full_refresh,
            )
            .when(sfn.Condition.is_present("$.input.since"), explicit)
            .otherwise(read_start)
        )
        until_given.next(choose_window)
        until_now.next(choose_window)

        # The Spark job's arguments, with or without --full-refresh.
        common: list[str | Path] = [
            "--raw",
            self._raw_uri,
            "--curated",
            self._curated_uri,
            "--run-id",
            Path("$.run_id"),
        ]
        prefix: list[str | Path] = []
        if self._config.emr_mode == "cluster":
            prefix = [
                "spark-submit",
                *self._spark_job.submit_options,
                self._spark_job.entry_point_uri,
            ]
        full_args = sfn.Pass(
            self,
            "JobArgsFullRefresh",
            parameters={"args.$": intrinsic_string_array([*prefix, *common, "--full-refresh"])},
            result_path="$.job",
        )
        window_args = sfn.Pass(
            self,
            "JobArgsWindow",
            parameters={
                "args.$": intrinsic_string_array(
                    [
                        *prefix,
                        *common,
                        "--since",
                        Path("$.window.since"),
                        "--until",
                        Path("$.window.until"),
                    ]
                )
            },
            result_path="$.job",
        )
        choose_args = (
            sfn.Choice(self, "FullRefresh?")
            .when(sfn.Condition.boolean_equals("$.window.full_refresh", True), full_args)
            .otherwise(window_args)
        )
        for state in (full_refresh, explicit, from_watermark, no_watermark):
            state.next(choose_args)
        self._window_done = sfn.Pass(self, "WindowChosen", result_path=sfn.JsonPath.DISCARD)
        full_args.next(self._window_done)
        window_args.next(self._window_done)
        return choose_until

    def _process(self) -> tuple[sfn.State, sfn.State]:
        if self._config.emr_mode == "cluster":
            return self._process_on_cluster()
        return self._process_serverless()

    def _process_on_cluster(self) -> tuple[sfn.State, sfn.State]:
        config, processing = self._config, self._processing
        market = (
            tasks.EmrCreateCluster.InstanceMarket.SPOT
            if config.emr_use_spot
            else tasks.EmrCreateCluster.InstanceMarket.ON_DEMAND
        )
        create = tasks.EmrCreateCluster(
            self,
            "CreateCluster",
            name=sfn.JsonPath.format(f"{config.prefix}-{{}}", sfn.JsonPath.string_at("$.run_id")),
            release_label=config.emr_release_label,
            applications=[tasks.EmrCreateCluster.ApplicationConfigProperty(name="Spark")],
            cluster_role=processing.job_role,
            service_role=processing.service_role,
            security_configuration=processing.security_configuration.ref,
            log_uri=self._logs_uri,
            visible_to_all_users=True,
            # A safety net: a cluster whose execution died without terminating it stops
            # after an idle hour.
            auto_termination_policy_idle_timeout=Duration.hours(1),
            instances=tasks.EmrCreateCluster.InstancesConfigProperty(
                ec2_subnet_ids=list(processing.subnet_ids),
                emr_managed_master_security_group=processing.primary_security_group.security_group_id,
                emr_managed_slave_security_group=processing.core_security_group.security_group_id,
                service_access_security_group=processing.service_access_security_group.security_group_id,
                instance_fleets=None,
                instance_groups=[
                    tasks.EmrCreateCluster.InstanceGroupConfigProperty(
                        name="primary",
                        instance_role=tasks.EmrCreateCluster.InstanceRoleType.MASTER,
                        instance_type=config.emr_primary_instance_type,
                        instance_count=1,
                        market=tasks.EmrCreateCluster.InstanceMarket.ON_DEMAND,
                    ),
                    tasks.EmrCreateCluster.InstanceGroupConfigProperty(
                        name="core",
                        instance_role=tasks.EmrCreateCluster.InstanceRoleType.CORE,
                        instance_type=config.emr_core_instance_type,
                        instance_count=config.emr_core_instance_count,
                        market=market,
                    ),
                ],
                termination_protected=False,
            ),
            tags={"liberta:stage": config.name, "for-use-with-amazon-emr-managed-policies": "true"},
            integration_pattern=sfn.IntegrationPattern.RUN_JOB,
            result_selector={"ClusterId.$": "$.ClusterId"},
            result_path="$.cluster",
        )
        create.add_retry(errors=["States.TaskFailed"], interval=Duration.minutes(1), max_attempts=2)
        self._catch(create)

        step = tasks.EmrAddStep(
            self,
            "RunSparkJob",
            cluster_id=sfn.JsonPath.string_at("$.cluster.ClusterId"),
            name=sfn.JsonPath.format("liberta-job-{}", sfn.JsonPath.string_at("$.run_id")),
            jar="command-runner.jar",
            args=sfn.JsonPath.list_at("$.job.args"),
            action_on_failure=tasks.ActionOnFailure.CONTINUE,
            integration_pattern=sfn.IntegrationPattern.RUN_JOB,
            task_timeout=sfn.Timeout.duration(Duration.hours(config.emr_step_timeout_hours)),
            result_selector={"StepId.$": "$.Step.Id"},
            result_path="$.step",
        )
        step.add_retry(
            errors=["ElasticMapReduce.AmazonElasticMapReduceException"],
            interval=Duration.seconds(30),
            max_attempts=2,
            backoff_rate=2,
        )
        terminate_after_failure = tasks.EmrTerminateCluster(
            self,
            "TerminateClusterAfterFailure",
            cluster_id=sfn.JsonPath.string_at("$.cluster.ClusterId"),
            integration_pattern=sfn.IntegrationPattern.RUN_JOB,
            result_path=sfn.JsonPath.DISCARD,
        )
        self._retry(terminate_after_failure, attempts=5)
        terminate_after_failure.add_catch(
            self._on_failure, errors=["States.ALL"], result_path="$.terminate_error"
        )
        terminate_after_failure.next(self._on_failure)
        self._catch(step, terminate_after_failure)

        terminate = tasks.EmrTerminateCluster(
            self,
            "TerminateCluster",
            cluster_id=sfn.JsonPath.string_at("$.cluster.ClusterId"),
            integration_pattern=sfn.IntegrationPattern.RUN_JOB,
            result_path=sfn.JsonPath.DISCARD,
        )
        self._retry(terminate, attempts=5)
        self._catch(terminate)
        create.next(step)
        step.next(terminate)
        return create, terminate

    def _process_serverless(self) -> tuple[sfn.State, sfn.State]:
        config, processing = self._config, self._processing
        start = sfn.CustomState(
            self,
            "RunSparkJob",
            state_json={
                "Type": "Task",
                "Resource": EMR_SERVERLESS_START_SYNC_ARN,
                "Parameters": {
                    "ApplicationId": processing.application_id,
                    "ExecutionRoleArn": processing.job_role.role_arn,
                    "Name.$": "States.Format('liberta-job-{}', $.run_id)",
                    "ClientToken.$": "$.client_token",
                    "ExecutionTimeoutMinutes": config.emr_step_timeout_hours * 60,
                    "JobDriver": {
                        "SparkSubmit": {
                            "EntryPoint": self._spark_job.entry_point_uri,
                            "EntryPointArguments.$": "$.job.args",
                            "SparkSubmitParameters": " ".join(self._spark_job.submit_options),
                        }
                    },
                    "ConfigurationOverrides": {
                        "MonitoringConfiguration": {
                            "S3MonitoringConfiguration": {"LogUri": self._logs_uri}
                        }
                    },
                },
                "ResultSelector": {"JobRunId.$": "$.JobRunId"},
                "ResultPath": "$.job_run",
            },
        )
        start.add_retry(
            errors=["EMRServerless.InternalServerException", "EMRServerless.ThrottlingException"],
            interval=Duration.seconds(30),
            max_attempts=3,
            backoff_rate=2,
        )
        self._catch(start)
        return start, start

    def _read_manifest(self) -> tuple[sfn.State, sfn.State]:
        """Read manifest.json, keep what the load needs (not the file lists), validate it."""
        get = tasks.CallAwsService(
            self,
            "ReadManifest",
            service="s3",
            action="getObject",
            iam_action="s3:GetObject",
            iam_resources=[self._curated.arn_for_objects("runs/*/manifest.json")],
            parameters={
                "Bucket": self._curated.bucket_name,
                "Key": sfn.JsonPath.string_at("$.run.manifest_key"),
            },
            result_selector={"document.$": "States.StringToJson($.Body)"},
            result_path="$.manifest_file",
        )
        self._retry(get)
        self._catch(get)
        required = [
            "$.manifest_file.document.format_version",
            *(f"$.manifest_file.document.counts.{count}" for count in _MANIFEST_COUNTS),
            "$.manifest_file.document.quarantine.by_reason",
            "$.manifest_file.document.high_water_mark",
            "$.manifest_file.document.window.full_refresh",
            *(
                f"$.manifest_file.document.tables.{table}.{field_name}"
                for table in self._tables
                for field_name in ("rows", "copy_manifest")
            ),
        ]
        invalid = self._error_pass(
            "ManifestInvalid",
            "Liberta.ManifestInvalid",
            "manifest.json lacks a field of docs/run-manifest.md (format_version 1, counts, "
            "window, and rows + copy_manifest for every table)",
        )
        valid = sfn.Condition.and_(
            sfn.Condition.number_equals("$.manifest_file.document.format_version", 1),
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
                "run.$": "$.run",
                "window.$": "$.window",
                "manifest": {
                    "run_id.$": "$.manifest_file.document.run_id",
                    "high_water_mark.$": "$.manifest_file.document.high_water_mark",
                    "window.$": "$.manifest_file.document.window",
                    "counts.$": "$.manifest_file.document.counts",
                    "quarantine": {
                        "by_reason.$": "$.manifest_file.document.quarantine.by_reason",
                    },
                    "tables": {
                        table: {
                            "rows.$": f"$.manifest_file.document.tables.{table}.rows",
                            "copy_manifest.$": (
                                f"$.manifest_file.document.tables.{table}.copy_manifest"
                            ),
                        }
                        for table in self._tables
                    },
                },
            },
        )
        check = sfn.Choice(self, "ManifestValid?").when(valid, keep).otherwise(invalid)
        get.next(check)
        return get, keep

    def _load_values(self) -> dict[str, str]:
        """Run-time values the load SQL's placeholders may name (JSONPaths or intrinsics).

        Timestamps are the manifest's ISO-8601 text; a JSON null renders as `null`, which the
        SQL treats as "none".
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
        for count in _MANIFEST_COUNTS:
            values[f"counts_{count}"] = f"$.manifest.counts.{count}"
        for table in self._tables:
            values[f"rows_{table}"] = f"$.manifest.tables.{table}.rows"
        return values

    def _checks(self, checks: Mapping[str, str]) -> tuple[sfn.State, sfn.State]:
        """Each check query returns violation rows: any row fails the execution."""
        if not checks:
            raise ValueError("no quality checks: check_queries() returned nothing")
        first: sfn.State | None = None
        previous: sfn.State | None = None
        for index, (check_name, query) in enumerate(checks.items()):
            state_name = "Check" + "".join(part.title() for part in check_name.split("_"))
            key = f"check_{index:02d}"
            rendered = render_sql(
                query,
                static=self._static_sql_values,
                dynamic=self._load_values(),
                source=f"check {check_name}",
            )
            start, fetched = self._query(state_name, key, rendered)
            violations = self._error_pass(
                f"{state_name}Violated",
                "Liberta.QualityCheckFailed",
                f"quality check {check_name} returned violation rows: see the "
                f"{state_name}Result output in the execution history",
            )
            passed = sfn.Pass(self, f"{state_name}Passed", result_path=sfn.JsonPath.DISCARD)
            fetched.next(
                sfn.Choice(self, f"{state_name}Clean?")
                .when(sfn.Condition.number_equals(f"$.{key}.result.TotalNumRows", 0), passed)
                .otherwise(violations)
            )
            if previous is None:
                first = start
            else:
                previous.next(start)
            previous = passed
        assert first is not None and previous is not None
        return first, previous

    def _publish_metrics(self) -> tuple[tasks.CallAwsService, sfn.Pass]:
        dims = [{"Name": "Stage", "Value": self._config.name}]
        metric_data: list[dict[str, object]] = [
            {
                "MetricName": metric,
                "Dimensions": dims,
                "Unit": "Count",
                "Value": sfn.JsonPath.number_at(f"$.manifest.counts.{count}"),
            }
            for count, metric in _COUNT_METRICS.items()
        ]
        metric_data += [
            {
                "MetricName": ROWS_LOADED_METRIC,
                "Dimensions": [*dims, {"Name": "Table", "Value": table}],
                "Unit": "Count",
                "Value": sfn.JsonPath.number_at(f"$.manifest.tables.{table}.rows"),
            }
            for table in self._tables
        ]
        task = tasks.CallAwsService(
            self,
            "PublishRunMetrics",
            service="cloudwatch",
            action="putMetricData",
            iam_action="cloudwatch:PutMetricData",
            # PutMetricData supports no resource-level permissions.
            iam_resources=["*"],
            parameters={"Namespace": METRICS_NAMESPACE, "MetricData": metric_data},
            result_path=sfn.JsonPath.DISCARD,
        )
        self._retry(task)
        # Metrics are observability, not data: a failure is reported but the run succeeded.
        skipped = sfn.Pass(self, "MetricsNotPublished", result_path=sfn.JsonPath.DISCARD)
        task.add_catch(skipped, errors=["States.ALL"], result_path="$.metrics_error")
        return task, skipped

    def _grant_runtime(self, role: iam.IRole) -> None:
        """What the state machine needs beyond what the task classes grant themselves."""
        self._warehouse.admin_secret.grant_read(role)
        role.add_to_principal_policy(
            iam.PolicyStatement(
                sid="DataApiOnOwnStatements",
                # These actions have no resource type: the Data API limits them to statements
                # the same identity submitted.
                actions=[
                    "redshift-data:DescribeStatement",
                    "redshift-data:GetStatementResult",
                    "redshift-data:CancelStatement",
                ],
                resources=["*"],
            )
        )
        if self._config.emr_mode == "serverless":
            processing = self._processing
            stack = Stack.of(self)
            role.add_to_principal_policy(
                iam.PolicyStatement(
                    sid="StartSparkJobRun",
                    actions=["emr-serverless:StartJobRun"],
                    resources=[processing.application_arn],
                )
            )
            role.add_to_principal_policy(
                iam.PolicyStatement(
                    sid="FollowSparkJobRun",
                    actions=["emr-serverless:GetJobRun", "emr-serverless:CancelJobRun"],
                    resources=[f"{processing.application_arn}/jobruns/*"],
                )
            )
            role.add_to_principal_policy(
                iam.PolicyStatement(
                    sid="PassJobExecutionRole",
                    actions=["iam:PassRole"],
                    resources=[processing.job_role.role_arn],
                    conditions={
                        "StringEquals": {"iam:PassedToService": "emr-serverless.amazonaws.com"}
                    },
                )
            )
            role.add_to_principal_policy(
                iam.PolicyStatement(
                    sid="SyncEmrServerlessJobRunEvents",
                    actions=["events:PutTargets", "events:PutRule", "events:DescribeRule"],
                    resources=[
                        stack.format_arn(
                            service="events",
                            resource="rule",
                            resource_name="StepFunctionsGetEventsForEMRServerlessJobRule",
                        )
                    ],
                )
            )
