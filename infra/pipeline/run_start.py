"""The entrance: the run's identity and locations, and the execution input's types.

`Prepare` keeps the execution input under `$.input` and fixes the run id (the execution name),
the start time and a client token per execution; `ValidateInput` refuses input whose fields
have the wrong types before anything runs (the window rule itself is SQL: window.py).
"""

from __future__ import annotations

from aws_cdk import aws_stepfunctions as sfn
from constructs import Construct

from infra.pipeline.building_blocks import PipelineContext, error_pass
from infra.pipeline.statements import escape_intrinsic
from liberta_core import layout

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
                "client_token.$": "States.UUID()",
                "started_at.$": "$$.Execution.StartTime",
                "run": {
                    # `{}` is the placeholder; the rest of the key has no special characters.
                    "manifest_key.$": f"States.Format('{layout.manifest_key('{}')}', "
                    "$$.Execution.Name)",
                    "copy_prefix.$": "States.Format('"
                    + escape_intrinsic(f"{curated_uri}/{layout.RUNS_PREFIX}")
                    + "{}/"
                    + layout.COPY_DIR
                    + "', $$.Execution.Name)",
                },
            },
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
        self._prepare.next(self._validate)
        self._validate.otherwise(self._valid)

    @property
    def start_state(self) -> sfn.State:
        return self._prepare

    @property
    def end_states(self) -> list[sfn.INextable]:
        return [self._valid]
