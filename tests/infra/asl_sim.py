"""A strict interpreter for the JSONPath subset of ASL the Liberta state machine uses.

Runs a synthesized definition against fake AWS calls, so tests can follow what an execution
does (which tasks it calls with which parameters, where it ends) without an AWS account.
Strict where Step Functions is strict: a JSONPath that selects nothing in Parameters, a
Choice rule or a ResultPath parent is a `StatesRuntimeError` (Step Functions' States.Runtime,
which no Catch handles). Anything outside the subset raises `Unsupported`, so a definition
that outgrows the interpreter fails the tests loudly instead of being misread.
"""

from __future__ import annotations

import copy
import json
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

_MISSING = object()


class StatesRuntimeError(Exception):
    """States.Runtime: the execution fails at once, Catch does not apply."""


class Unsupported(Exception):
    """The definition uses ASL this interpreter does not implement."""


class TaskFailed(Exception):
    """What a fake AWS call raises: Step Functions' error name and (optional) cause."""

    def __init__(self, error: str, cause: str | None = None) -> None:
        super().__init__(f"{error}: {cause}")
        self.error = error
        self.cause = cause


@dataclass
class Call:
    state: str
    resource: str
    parameters: Any


@dataclass
class Execution:
    visited: list[str] = field(default_factory=list)
    calls: list[Call] = field(default_factory=list)
    end_state: str = ""
    status: str = ""  # SUCCEEDED | FAILED
    output: Any = None  # the output, or {Error, Cause} of a failed execution
    final_data: Any = None  # the state data when a Fail state was reached

    def calls_to(self, state: str) -> list[Call]:
        return [c for c in self.calls if c.state == state]


# -- JSONPath ------------------------------------------------------------------------------
_STEP = re.compile(r"\.([A-Za-z_][A-Za-z0-9_]*)|\[(\d+)\]")


def select(path: str, data: Any, context: Any) -> Any:
    """The value `path` selects (`$`, `$.a.b[0]`, `$..name`, `$$.Execution.Name`)."""
    root, rest = (context, path[2:]) if path.startswith("$$") else (data, path[1:])
    if not path.startswith("$"):
        raise Unsupported(f"not a path: {path!r}")
    if rest.startswith(".."):
        name = rest[2:]
        if not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", name):
            raise Unsupported(f"recursive descent beyond one name: {path!r}")
        return list(_descend(root, name))
    value = root
    pos = 0
    while pos < len(rest):
        match = _STEP.match(rest, pos)
        if not match:
            raise Unsupported(f"JSONPath syntax in {path!r}")
        key, index = match.group(1), match.group(2)
        if key is not None:
            if not isinstance(value, dict) or key not in value:
                raise StatesRuntimeError(f"{path} selects nothing")
            value = value[key]
        else:
            if not isinstance(value, list) or int(index) >= len(value):
                raise StatesRuntimeError(f"{path} selects nothing")
            value = value[int(index)]
        pos = match.end()
    return value


def _descend(value: Any, name: str) -> Any:
    if isinstance(value, dict):
        for key, item in value.items():
            if key == name:
                yield item
            yield from _descend(item, name)
    elif isinstance(value, list):
        for item in value:
            yield from _descend(item, name)


def is_present(path: str, data: Any, context: Any) -> bool:
    try:
        select(path, data, context)
    except StatesRuntimeError:
        return False
    return True


# -- intrinsic functions -------------------------------------------------------------------
def evaluate(expression: str, data: Any, context: Any) -> Any:
    """A `.$` value: a JSONPath or an intrinsic function call."""
    if expression.startswith("$"):
        return select(expression, data, context)
    value, end = _call(expression, 0, data, context)
    if expression[end:].strip():
        raise Unsupported(f"trailing text in {expression!r}")
    return value


def _call(text: str, pos: int, data: Any, context: Any) -> tuple[Any, int]:
    match = re.compile(r"States\.([A-Za-z]+)\(").match(text, pos)
    if not match:
        raise Unsupported(f"intrinsic syntax at {text[pos : pos + 40]!r}")
    name, pos = match.group(1), match.end()
    args: list[Any] = []
    while True:
        pos = _skip_space(text, pos)
        if text[pos] == ")":
            pos += 1
            break
        if text[pos] == "'":
            value, pos = _string(text, pos)
            args.append(("literal", value))
        elif text.startswith("States.", pos):
            value, pos = _call(text, pos, data, context)
            args.append(("value", value))
        elif text[pos] == "$":
            end = pos
            while end < len(text) and text[end] not in ",)" and not text[end].isspace():
                end += 1
            args.append(("value", select(text[pos:end], data, context)))
            pos = end
        elif (word := re.compile(r"(true|false|null)\b").match(text, pos)) is not None:
            args.append(("value", json.loads(word.group(0))))
            pos = word.end()
        else:
            number = re.compile(r"-?\d+(\.\d+)?").match(text, pos)
            if not number:
                raise Unsupported(f"intrinsic argument at {text[pos : pos + 40]!r}")
            args.append(("value", json.loads(number.group(0))))
            pos = number.end()
        pos = _skip_space(text, pos)
        if text[pos] == ",":
            pos += 1
    return _apply(name, args), pos


def _skip_space(text: str, pos: int) -> int:
    while pos < len(text) and text[pos].isspace():
        pos += 1
    return pos


def _string(text: str, pos: int) -> tuple[str, int]:
    """A single-quoted literal; returns it with escapes kept (Format needs to see `\\{`)."""
    out: list[str] = []
    pos += 1
    while text[pos] != "'":
        if text[pos] == "\\":
            out.append(text[pos : pos + 2])
            pos += 2
        else:
            out.append(text[pos])
            pos += 1
    return "".join(out), pos + 1


def _unescape(literal: str) -> str:
    return re.sub(r"\\(.)", r"\1", literal)


def _plain(arg: tuple[str, Any]) -> Any:
    kind, value = arg
    return _unescape(value) if kind == "literal" else value


def _apply(name: str, args: list[tuple[str, Any]]) -> Any:
    if name == "Format":
        (kind, template), values = args[0], [_plain(a) for a in args[1:]]
        if kind != "literal":
            raise Unsupported("States.Format with a non-literal template")
        out: list[str] = []
        pos = 0
        used = 0
        while pos < len(template):
            if template.startswith("\\", pos):
                out.append(template[pos + 1])
                pos += 2
            elif template.startswith("{}", pos):
                value = values[used]
                used += 1
                if isinstance(value, dict | list):
                    raise StatesRuntimeError("States.Format argument is not a scalar")
                out.append(value if isinstance(value, str) else json.dumps(value))
                pos += 2
            else:
                out.append(template[pos])
                pos += 1
        if used != len(values):
            raise StatesRuntimeError("States.Format: argument count does not match {}")
        return "".join(out)
    values = [_plain(a) for a in args]
    if name == "JsonToString":
        return json.dumps(values[0], separators=(",", ":"))
    if name == "StringToJson":
        return json.loads(values[0])
    if name == "Array":
        return values
    if name == "JsonMerge":
        if values[2] is not False:
            raise Unsupported("States.JsonMerge deep merge")
        if not isinstance(values[0], dict) or not isinstance(values[1], dict):
            raise StatesRuntimeError("States.JsonMerge arguments must be objects")
        return {**values[0], **values[1]}
    if name == "MathAdd":
        return values[0] + values[1]
    if name == "StringSplit":
        # Every character of the second argument delimits; empty pieces are dropped
        # (AWS's documented example; LocalStack's implementation does the same).
        text, delimiters = values
        if not isinstance(text, str) or not isinstance(delimiters, str):
            raise StatesRuntimeError("States.StringSplit arguments must be strings")
        pattern = "|".join(re.escape(c) for c in delimiters)
        return [piece for piece in re.split(pattern, text) if piece]
    if name == "ArrayLength":
        if not isinstance(values[0], list):
            raise StatesRuntimeError("States.ArrayLength of a non-array")
        return len(values[0])
    if name == "ArrayGetItem":
        array, index = values
        if not isinstance(array, list) or not 0 <= index < len(array):
            raise StatesRuntimeError("States.ArrayGetItem index out of range")
        return array[index]
    if name == "UUID":
        return "00000000-0000-4000-8000-000000000000"
    raise Unsupported(f"States.{name}")


# -- payload templates, ResultPath ---------------------------------------------------------
def resolve(template: Any, data: Any, context: Any) -> Any:
    if isinstance(template, dict):
        out = {}
        for key, value in template.items():
            if key.endswith(".$"):
                out[key[:-2]] = evaluate(value, data, context)
            else:
                out[key] = resolve(value, data, context)
        return out
    if isinstance(template, list):
        return [resolve(item, data, context) for item in template]
    return template


def apply_result_path(state: dict[str, Any], data: Any, result: Any) -> Any:
    path = state.get("ResultPath", "$")
    if path is None:
        return data
    if path == "$":
        return result
    steps = path[2:].split(".") if path.startswith("$.") else None
    if not steps or not all(re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", s) for s in steps):
        raise Unsupported(f"ResultPath {path!r}")
    data = copy.deepcopy(data)
    target = data
    for step in steps[:-1]:
        if not isinstance(target, dict) or not isinstance(target.get(step), dict):
            raise StatesRuntimeError(f"ResultPath {path}: {step} is not an object")
        target = target[step]
    if not isinstance(target, dict):
        raise StatesRuntimeError(f"ResultPath {path}: the parent is not an object")
    target[steps[-1]] = result
    return data


# -- Choice rules --------------------------------------------------------------------------
_COMPARISONS: dict[str, Callable[[Any, Any], bool]] = {
    "StringEquals": lambda v, x: isinstance(v, str) and v == x,
    "NumericEquals": lambda v, x: _is_number(v) and v == x,
    "NumericGreaterThanEquals": lambda v, x: _is_number(v) and v >= x,
    "NumericLessThan": lambda v, x: _is_number(v) and v < x,
    "BooleanEquals": lambda v, x: isinstance(v, bool) and v == x,
    "IsString": lambda v, x: isinstance(v, str) == x,
    "IsBoolean": lambda v, x: isinstance(v, bool) == x,
    "StringMatches": lambda v, x: isinstance(v, str) and _wildcard(x).fullmatch(v) is not None,
}


def _wildcard(pattern: str) -> re.Pattern[str]:
    """StringMatches: `*` matches any run of characters, `\\*` is a literal star."""
    parts = re.split(r"(\\\\|\\\*|\*)", pattern)
    regex = "".join(
        ".*" if p == "*" else re.escape(p[1]) if p in ("\\\\", "\\*") else re.escape(p)
        for p in parts
    )
    return re.compile(regex, re.DOTALL)


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def rule_matches(rule: dict[str, Any], data: Any, context: Any) -> bool:
    if "And" in rule:
        return all(rule_matches(r, data, context) for r in rule["And"])
    if "Or" in rule:
        return any(rule_matches(r, data, context) for r in rule["Or"])
    if "Not" in rule:
        return not rule_matches(rule["Not"], data, context)
    variable = rule["Variable"]
    if "IsPresent" in rule:
        return is_present(variable, data, context) == rule["IsPresent"]
    (operator,) = [k for k in rule if k not in ("Variable", "Next")]
    if operator.endswith("Path") and operator[:-4] in _COMPARISONS:
        expected = select(rule[operator], data, context)
        return _COMPARISONS[operator[:-4]](select(variable, data, context), expected)
    if operator not in _COMPARISONS:
        raise Unsupported(f"Choice operator {operator}")
    return _COMPARISONS[operator](select(variable, data, context), rule[operator])


# -- the run -------------------------------------------------------------------------------
def _catcher(state: dict[str, Any], error: str) -> dict[str, Any] | None:
    for catcher in state.get("Catch", []):
        names = catcher["ErrorEquals"]
        if "States.ALL" in names or error in names:
            return catcher
        if "States.TaskFailed" in names and not error.startswith("States."):
            return catcher
    return None


STATE_MACHINE_ARN = "arn:aws:states:eu-west-1:123456789012:stateMachine:liberta-test"


def execution_arn(state_machine_arn: str, name: str) -> str:
    return state_machine_arn.replace(":stateMachine:", ":execution:") + f":{name}"


def run(
    definition: dict[str, Any],
    execution_input: Any,
    aws: Callable[[str, str, Any], Any],
    *,
    execution_name: str = "run-1",
    start_time: str = "2026-11-02T02:30:00.123Z",
    state_machine_arn: str = STATE_MACHINE_ARN,
    start_at: str | None = None,
    max_transitions: int = 5000,
) -> Execution:
    """Execute `definition`; `aws(state_name, resource, parameters)` returns a Task's result
    or raises `TaskFailed`. Retries are not simulated: the fake decides the final outcome."""
    execution = Execution()
    context = {
        "Execution": {
            "Id": execution_arn(state_machine_arn, execution_name),
            "Name": execution_name,
            "StartTime": start_time,
            "Input": execution_input,
        },
        "StateMachine": {"Id": state_machine_arn},
    }
    _run_states(
        definition,
        start_at or definition["StartAt"],
        copy.deepcopy(execution_input),
        aws,
        context=context,
        execution=execution,
        max_transitions=max_transitions,
    )
    return execution


def _run_states(
    definition: dict[str, Any],
    name: str,
    data: Any,
    aws: Callable[[str, str, Any], Any],
    *,
    context: dict[str, Any],
    execution: Execution,
    max_transitions: int,
) -> None:
    """Run from state `name` until an end; the outcome is written into `execution`."""
    states = definition["States"]
    for _ in range(max_transitions):
        state = states[name]
        execution.visited.append(name)
        context = {
            **context,
            "State": {"Name": name, "EnteredTime": context["Execution"]["StartTime"]},
        }
        kind = state["Type"]
        if "InputPath" in state or "OutputPath" in state:
            raise Unsupported(f"{name}: InputPath/OutputPath")
        if kind == "Succeed" or kind == "Fail":
            execution.end_state, execution.output = name, data
            execution.status = "SUCCEEDED" if kind == "Succeed" else "FAILED"
            if kind == "Fail":
                execution.output = {"Error": state.get("Error"), "Cause": state.get("Cause")}
                execution.final_data = data
            return
        if kind == "Wait":
            name = state["Next"]
            continue
        if kind == "Choice":
            name = next(
                (r["Next"] for r in state["Choices"] if rule_matches(r, data, context)),
                state.get("Default"),
            )
            if name is None:
                raise StatesRuntimeError(f"{execution.visited[-1]}: no Choice rule matched")
            continue
        if kind == "Pass":
            if "Parameters" in state:
                result = resolve(state["Parameters"], data, context)
            else:
                result = state.get("Result", data)
            data = apply_result_path(state, data, result)
            if state.get("End"):
                execution.end_state, execution.output, execution.status = name, data, "SUCCEEDED"
                return
            name = state["Next"]
            continue
        try:
            if kind == "Task":
                parameters = resolve(state.get("Parameters", {}), data, context)
                execution.calls.append(Call(name, state["Resource"], parameters))
                result = aws(name, state["Resource"], parameters)
            elif kind == "Map":
                result = _run_map(state, data, aws, context=context, execution=execution)
            else:
                raise Unsupported(f"{name}: state type {kind}")
        except TaskFailed as failure:
            catcher = _catcher(state, failure.error)
            if catcher is None:
                execution.end_state, execution.status = name, "FAILED"
                execution.output = {"Error": failure.error, "Cause": failure.cause}
                return
            error_output: dict[str, Any] = {"Error": failure.error}
            if failure.cause is not None:
                error_output["Cause"] = failure.cause
            data = apply_result_path(catcher, data, error_output)
            name = catcher["Next"]
            continue
        if "ResultSelector" in state:
            result = resolve(state["ResultSelector"], result, context)
        data = apply_result_path(state, data, result)
        if state.get("End"):
            execution.end_state, execution.output, execution.status = name, data, "SUCCEEDED"
            return
        name = state["Next"]
    raise AssertionError(f"no end after {max_transitions} transitions: {execution.visited[-20:]}")


def _run_map(
    state: dict[str, Any],
    data: Any,
    aws: Callable[[str, str, Any], Any],
    *,
    context: dict[str, Any],
    execution: Execution,
) -> list[Any]:
    """An INLINE Map: the item processor runs once per item; the first failure fails the
    Map (a `TaskFailed` the Map's own Catch sees)."""
    processor = state["ItemProcessor"]
    if processor.get("ProcessorConfig", {}).get("Mode", "INLINE") != "INLINE":
        raise Unsupported("Map modes other than INLINE")
    if "ItemSelector" in state or "ItemReader" in state:
        raise Unsupported("Map ItemSelector / ItemReader")
    items = select(state.get("ItemsPath", "$"), data, context)
    if not isinstance(items, list):
        raise StatesRuntimeError("Map ItemsPath does not select an array")
    outputs = []
    for item in items:
        inner = Execution()
        _run_states(
            processor,
            processor["StartAt"],
            copy.deepcopy(item),
            aws,
            context=context,
            execution=inner,
            max_transitions=1000,
        )
        execution.visited += inner.visited
        execution.calls += inner.calls
        if inner.status != "SUCCEEDED":
            raise TaskFailed(
                inner.output.get("Error") or "States.TaskFailed", inner.output.get("Cause")
            )
        outputs.append(inner.output)
    return outputs
