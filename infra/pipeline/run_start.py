"""The entrance: the run's identity and locations, the run-id rule, the input's types.

`Prepare` keeps the execution input under `$.input` and fixes the run id (the execution name),
the start time and a client token per execution. `ValidateRunId` enforces the one run-id rule
(liberta_core.run_id) on the execution name before the name reaches any S3 key or SQL text:
JSONPath has no regular expressions, so the name is split on every allowed character
(`States.StringSplit` drops the empty pieces) and must leave nothing, and it must not start
with punctuation (Step Functions caps names at 80 characters, the rule's length).
`ValidateInput` refuses input fields of the wrong type (the window rule itself is SQL).
"""

from __future__ import annotations

from aws_cdk import aws_stepfunctions as sfn
from constructs import Construct

from infra.pipeline.building_blocks import PipelineContext, error_pass
from infra.pipeline.statements import escape_intrinsic
from liberta_core import layout
from liberta_core.run_id import RULE_TEXT, RUN_ID_ALPHABET, RUN_ID_PUNCTUATION

INVALID_INPUT_CAUSE = (
    "The execution input must be an object with optional string fields since and until "
    '(ISO-8601) and a boolean full_refresh, e.g. {"since": "2026-11-01T00:00:00Z", '
    '"until": "2026-11-02T00:00:00Z"}'
)


class RunStart(sfn.StateMachineFragment):
    def __init__(
        self, scope: Construct, construct_id: str, *, context: PipelineContext, curated_uri: str
    ) -> None:
        super().__init__(scope, construct_id)
        self._prepare = sfn.Pass(
            self,
            "Prepare",
            comment="Run identity and locations; the execution input is kept under $.input",
            parameters={
                "input.$": "$",
                "run_id.$": "$$.Execution.Name",
                "execution_arn.$": "$$.Execution.Id",
                "client_token.$": "States.UUID()",
                "started_at.$": "$$.Execution.StartTime",
                "step": {"name": "start"},
                "run": {
                    "uri.$": "States.Format('"
                    + escape_intrinsic(f"{curated_uri}/{layout.RUNS_PREFIX}")
                    + "{}', $$.Execution.Name)",
                },
            },
        )
        run_id_refused = error_pass(
            self,
            "InvalidRunId",
            error="Liberta.InvalidRunId",
            cause=f"The execution name is the run id: use {RULE_TEXT}",
            handler=context.on_failure,
        )
        split = sfn.Pass(
            self,
            "ValidateRunId",
            parameters={"rest.$": f"States.StringSplit($.run_id, '{RUN_ID_ALPHABET}')"},
            result_path="$.run_id_check",
        )
        run_id_ok = sfn.Choice(self, "RunIdValid?").when(
            sfn.Condition.or_(
                sfn.Condition.is_present("$.run_id_check.rest[0]"),
                *(sfn.Condition.string_matches("$.run_id", f"{p}*") for p in RUN_ID_PUNCTUATION),
            ),
            run_id_refused,
        )
        invalid_input = error_pass(
            self,
            "InvalidInput",
            error="Liberta.InvalidInput",
            cause=INVALID_INPUT_CAUSE,
            handler=context.on_failure,
        )

        def wrong_type(path: str, is_wrong: sfn.Condition) -> sfn.Condition:
            return sfn.Condition.and_(sfn.Condition.is_present(path), is_wrong)

        self._validate = sfn.Choice(self, "ValidateInput").when(
            sfn.Condition.or_(
                wrong_type("$.input.since", sfn.Condition.is_not_string("$.input.since")),
                wrong_type("$.input.until", sfn.Condition.is_not_string("$.input.until")),
                wrong_type(
                    "$.input.full_refresh", sfn.Condition.is_not_boolean("$.input.full_refresh")
                ),
            ),
            invalid_input,
        )
        self._valid = sfn.Pass(self, "InputValid", result_path=sfn.JsonPath.DISCARD)
        self.worst_case_seconds = 0
        self._prepare.next(split)
        split.next(run_id_ok)
        run_id_ok.otherwise(self._validate)
        self._validate.otherwise(self._valid)

    @property
    def start_state(self) -> sfn.State:
        return self._prepare

    @property
    def end_states(self) -> list[sfn.INextable]:
        return [self._valid]
