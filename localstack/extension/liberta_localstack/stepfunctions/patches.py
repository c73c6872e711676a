"""The Step Functions support LocalStack 2026.3.0 lacks, patched in at start-up.

These patch PRIVATE LocalStack internals, so they refuse (loudly: an error in the log and
LocalStack stops) to apply to any version but the pinned one:

1. `aws-sdk:redshiftdata:*` / `aws-sdk:emrserverless:*`: Step Functions' service ids are not
   boto's names ("Unknown service: 'redshiftdata'"): add them to
   `StateTaskService._SERVICE_NAME_SFN_TO_BOTO_OVERRIDES` and their error prefixes
   (`RedshiftData.ValidationException`, `EmrServerless.ValidationException`).
2. Response casing: AWS hands aws-sdk results to the state machine with every member name
   in PascalCase at every depth (`Records[0][0].StringValue`, `ColumnMetadata[0].TypeName`).
   LocalStack PascalCases members of structures and of lists of structures, but stops at
   lists of lists (GetStatementResult's `Records`), leaving `stringValue`: patched to recurse.
3. `arn:aws:states:::emr-serverless:startJobRun.sync` (the optimized integration; LocalStack
   routes it to an "unsupported" handler): see `emr_serverless_task.py`.
4. Escapes in `States.Format` templates: on AWS `\\'`, `\\{`, `\\}` and `\\\\` in an
   intrinsic's string literal are a quote, a brace and a backslash ("Reserved characters in
   intrinsic functions", https://docs.aws.amazon.com/step-functions/latest/dg/intrinsic-functions.html),
   and an escaped brace is never a `{}` placeholder. LocalStack gets this wrong twice: it
   hands the intrinsic's JSON string to its parser without decoding it (so the JSON `\\\\'`
   of a definition arrives as an escaped backslash followed by the closing quote, and the
   literal is cut there), and its `States.Format` keeps backslashes in the result. Both are
   read with AWS's rules here: the JSON string is decoded first, the template unescaped.
"""

from __future__ import annotations

import json
import logging
from importlib import metadata
from typing import Any

from liberta_localstack import PINNED_LOCALSTACK_VERSION

LOG = logging.getLogger("liberta_localstack.stepfunctions")
APPLIED = "liberta-localstack-ext: Step Functions patches applied"
REFUSED = "liberta-localstack-ext: REFUSING to patch Step Functions"

SERVICE_ALIASES = {"redshiftdata": "redshift-data", "emrserverless": "emr-serverless"}
ERROR_PREFIXES = {"redshiftdata": "RedshiftData", "emrserverless": "EmrServerless"}

_applied = False


class UnsupportedLocalStackVersion(RuntimeError):
    pass


def check_version() -> str:
    version = metadata.version("localstack-core")
    if version != PINNED_LOCALSTACK_VERSION:
        raise UnsupportedLocalStackVersion(
            f"{REFUSED}: they were written against the private internals of localstack-core "
            f"{PINNED_LOCALSTACK_VERSION}, this is {version}. Use the pinned venv "
            "(`liberta localstack up`) or port liberta_localstack/stepfunctions/ first."
        )
    return version


def _patch_service_names() -> None:
    from localstack.services.stepfunctions.asl.component.state.state_execution.state_task.service import (  # noqa: E501
        state_task_service,
        state_task_service_aws_sdk,
    )

    overrides = state_task_service.StateTaskService._SERVICE_NAME_SFN_TO_BOTO_OVERRIDES
    overrides.update(SERVICE_ALIASES)  # a dict marked Final, mutated in place on purpose
    state_task_service_aws_sdk._SERVICE_ERROR_NAMES.update(ERROR_PREFIXES)


def _patch_response_casing() -> None:
    from botocore.model import ListShape
    from localstack.services.stepfunctions.asl.component.state.state_execution.state_task.service.state_task_service import (  # noqa: E501
        StateTaskService,
    )

    original = StateTaskService._from_boto_response

    def _from_boto_response(self: Any, response: Any, structure_shape: Any) -> None:
        if isinstance(response, list) and isinstance(structure_shape, ListShape):
            # A list nested in a list (e.g. Records: list of rows, each a list of Fields).
            for item in response:
                _from_boto_response(self, item, structure_shape.member)
            return
        original(self, response, structure_shape)

    StateTaskService._from_boto_response = _from_boto_response


def _patch_optimized_emr_serverless() -> None:
    from localstack.services.stepfunctions.asl.component.state.state_execution.state_task import (
        state_task_factory,
    )
    from localstack.services.stepfunctions.asl.component.state.state_execution.state_task.service import (  # noqa: E501
        state_task_service_factory,
    )

    from liberta_localstack.stepfunctions.emr_serverless_task import StateTaskServiceEmrServerless

    original = state_task_service_factory.state_task_service_for

    def state_task_service_for(service_name: str):
        if service_name == "emr-serverless":
            return StateTaskServiceEmrServerless()
        return original(service_name)

    state_task_service_factory.state_task_service_for = state_task_service_for
    # state_task_factory imported the function by name: replace that reference too.
    state_task_factory.state_task_service_for = state_task_service_for


def format_template(template: str, values: list[Any]) -> str:
    """`States.Format` on AWS: `{}` takes the next value (text as is, anything else as JSON),
    a backslash makes the next character literal."""
    out: list[str] = []
    pos = used = 0
    while pos < len(template):
        if template[pos] == "\\" and pos + 1 < len(template):
            out.append(template[pos + 1])
            pos += 2
        elif template.startswith("{}", pos):
            if used == len(values):
                raise ValueError("States.Format has more {} than arguments")
            value = values[used]
            used += 1
            out.append(value if isinstance(value, str) else json.dumps(value))
            pos += 2
        else:
            out.append(template[pos])
            pos += 1
    if used != len(values):
        raise ValueError("States.Format has more arguments than {}")
    return "".join(out)


def _patch_intrinsic_json_strings() -> None:
    from localstack.services.stepfunctions.asl.parse import preprocessor
    from localstack.services.stepfunctions.asl.parse.intrinsic.intrinsic_parser import (
        IntrinsicParser,
    )

    def visitString_intrinsic_function(self: Any, ctx: Any) -> Any:
        # The token is a JSON string: decode it as JSON (LocalStack only strips the quotes).
        derivation = json.loads(ctx.STRINGINTRINSICFUNC().getText())
        function, _ = IntrinsicParser.parse(derivation)
        return preprocessor.StringIntrinsicFunction(
            intrinsic_function_derivation=derivation, function=function
        )

    preprocessor.Preprocessor.visitString_intrinsic_function = visitString_intrinsic_function


def _patch_format_escapes() -> None:
    from localstack.services.stepfunctions.asl.component.intrinsic.function.statesfunction.generic import (  # noqa: E501
        string_format,
    )

    def _eval_body(self: Any, env: Any) -> None:
        self.argument_list.eval(env=env)
        template, *values = env.stack.pop()
        # LocalStack's own text form of each value (objects as {k=v}), AWS's escapes.
        env.stack.append(format_template(template, [self._to_str_repr(v) for v in values]))

    string_format.StringFormat._eval_body = _eval_body


def apply() -> None:
    global _applied
    if _applied:
        return
    try:
        version = check_version()
    except UnsupportedLocalStackVersion as exc:
        LOG.error("%s", exc)
        print(exc, flush=True)  # the marker `liberta localstack up` watches for
        raise
    _patch_service_names()
    _patch_response_casing()
    _patch_optimized_emr_serverless()
    _patch_intrinsic_json_strings()
    _patch_format_escapes()
    _applied = True
    LOG.warning("%s (localstack-core %s)", APPLIED, version)
    print(f"{APPLIED} (localstack-core {version})", flush=True)
