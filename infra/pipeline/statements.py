"""SQL from `redshift_sql/` made ready for the state machine (pure functions, no CDK).

The load runs as ONE Redshift Data API `BatchExecuteStatement` (one transaction), which takes
no bind parameters: each statement's `${name}` placeholders are filled in by Step Functions'
`States.Format` at run time (values known per execution: run id, manifest locations) or here
at synth time (values known per deployment: the COPY role ARN).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass

PLACEHOLDER = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)\}")
# Characters `States.Format` and intrinsic string literals treat specially.
_INTRINSIC_SPECIAL = {"\\": "\\\\", "'": "\\'", "{": "\\{", "}": "\\}"}


def placeholders(sql: str) -> list[str]:
    """Placeholder names in order of first appearance."""
    seen: list[str] = []
    for name in PLACEHOLDER.findall(sql):
        if name not in seen:
            seen.append(name)
    return seen


# How CDK encodes a not-yet-resolved value (bucket name, role ARN) inside a string. These
# markers must pass through unescaped so CDK can still substitute them; what they resolve to
# (names and ARNs) holds none of the special characters.
CDK_TOKEN = re.compile(r"\$\{Token\[[^\]]*\]\}")


def escape_intrinsic(text: str) -> str:
    """`text` as the body of a single-quoted intrinsic-function string literal."""
    out: list[str] = []
    pos = 0
    for token in CDK_TOKEN.finditer(text):
        out.extend(_INTRINSIC_SPECIAL.get(ch, ch) for ch in text[pos : token.start()])
        out.append(token.group(0))
        pos = token.end()
    out.extend(_INTRINSIC_SPECIAL.get(ch, ch) for ch in text[pos:])
    return "".join(out)


def single_line(sql: str) -> str:
    """`sql` without comments and with runs of whitespace folded to one space.

    String literals ('...', with '' escapes) and quoted identifiers ("...") are kept verbatim,
    so only real comments and layout go. Intrinsic-function literals are safest on one line.
    """
    out: list[str] = []
    i, n = 0, len(sql)
    pending_space = False

    def emit(chunk: str) -> None:
        nonlocal pending_space
        if pending_space and out:
            out.append(" ")
        pending_space = False
        out.append(chunk)

    while i < n:
        ch = sql[i]
        if ch in "'\"":
            j = i + 1
            while j < n:
                if sql[j] == ch:
                    if j + 1 < n and sql[j + 1] == ch:
                        j += 2
                        continue
                    break
                j += 1
            if j >= n:
                raise ValueError(f"unterminated {ch}-quoted text in SQL: {sql[i : i + 60]!r}")
            emit(sql[i : j + 1])
            i = j + 1
        elif sql.startswith("--", i):
            end = sql.find("\n", i)
            i = n if end == -1 else end
            pending_space = True
        elif sql.startswith("/*", i):
            end = sql.find("*/", i + 2)
            if end == -1:
                raise ValueError(f"unterminated /* comment in SQL: {sql[i : i + 60]!r}")
            i = end + 2
            pending_space = True
        elif ch.isspace():
            pending_space = True
            i += 1
        else:
            j = i
            while (
                j < n
                and not sql[j].isspace()
                and sql[j] not in "'\""
                and not (sql.startswith("--", j) or sql.startswith("/*", j))
            ):
                j += 1
            emit(sql[i:j])
            i = j
    return "".join(out)


@dataclass(frozen=True)
class RenderedStatement:
    """One SQL statement as a state-machine value.

    `value` is either the plain SQL (no run-time values) or a `States.Format(...)` intrinsic
    to use under a `.$` key; `is_intrinsic` tells which.
    """

    value: str
    is_intrinsic: bool


def render(
    sql: str,
    *,
    static: Mapping[str, str],
    dynamic: Mapping[str, str],
    source: str = "SQL",
) -> RenderedStatement:
    """Fill `${name}` placeholders: `static` values now, `dynamic` ones (JSONPaths) at run time.

    Raises ValueError naming `source` and the placeholder when a name has no value.
    """
    names = placeholders(sql)
    missing = [name for name in names if name not in static and name not in dynamic]
    if missing:
        raise ValueError(
            f"{source}: no value for placeholder(s) {', '.join('${' + m + '}' for m in missing)}; "
            f"known: {', '.join(sorted({*static, *dynamic}))}"
        )
    flat = single_line(sql)
    if not any(name in dynamic for name in names):
        return RenderedStatement(
            value=PLACEHOLDER.sub(lambda m: static[m.group(1)], flat), is_intrinsic=False
        )
    template: list[str] = []
    args: list[str] = []
    pos = 0
    for match in PLACEHOLDER.finditer(flat):
        template.append(escape_intrinsic(flat[pos : match.start()]))
        name = match.group(1)
        if name in dynamic:
            template.append("{}")
            args.append(dynamic[name])
        else:
            template.append(escape_intrinsic(static[name]))
        pos = match.end()
    template.append(escape_intrinsic(flat[pos:]))
    return RenderedStatement(
        value=f"States.Format('{''.join(template)}', {', '.join(args)})", is_intrinsic=True
    )


@dataclass(frozen=True)
class Path:
    """A JSONPath argument of an intrinsic function (as opposed to a string literal)."""

    path: str


def intrinsic_string_array(items: list[str | Path]) -> str:
    """`States.Array('a', 'b', $.x)`: strings become escaped literals, `Path`s stay paths."""
    parts = [
        item.path if isinstance(item, Path) else f"'{escape_intrinsic(item)}'" for item in items
    ]
    return f"States.Array({', '.join(parts)})"


_DATA_API_PARAMETER = re.compile(r"(?<![:\w]):([A-Za-z_]\w*)")


def data_api_parameter_names(sql: str) -> list[str]:
    """The `:name` parameters of a Data API statement, in order of first appearance
    (ignoring `::type` casts and anything inside string literals)."""
    code = re.sub(r"'(?:[^']|'')*'", "''", single_line(sql))
    return list(dict.fromkeys(_DATA_API_PARAMETER.findall(code)))


def data_api_parameters(sql: str, values: Mapping[str, str], *, source: str) -> list[dict]:
    """`Parameters` for ExecuteStatement: exactly the statement's names, in its order, each
    with its value (a literal, or a CDK JsonPath token such as `JsonPath.string_at(...)`)."""
    names = data_api_parameter_names(sql)
    missing = [n for n in names if n not in values]
    unused = sorted(set(values) - set(names))
    if missing or unused:
        raise ValueError(
            f"{source}: the statement binds {names}; no value for {missing}, "
            f"values for unknown parameters {unused}"
        )
    return [{"Name": name, "Value": values[name]} for name in names]


def render_static(sql: str, values: Mapping[str, str]) -> str:
    """`sql` with every `${name}` replaced now (deployment settings); all must be given."""
    rendered = render(sql, static=values, dynamic={}, source="SQL")
    assert not rendered.is_intrinsic
    return rendered.value
