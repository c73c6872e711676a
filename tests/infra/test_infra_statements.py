"""SQL -> state-machine values: comments, quoting, States.Format escaping, placeholders."""

from __future__ import annotations

import pytest

from infra.pipeline.statements import (
    Path,
    escape_intrinsic,
    intrinsic_string_array,
    placeholders,
    render,
    single_line,
)


def test_single_line_drops_comments_and_layout_but_not_quoted_text() -> None:
    sql = (
        "-- header comment with 'quote' and {brace}\n"
        "SELECT 'a  --  b' AS \"odd  name\", /* block\n comment */ x\n"
        "FROM   t -- trailing\n"
        "WHERE  y = 'it''s'"
    )
    assert single_line(sql) == ("SELECT 'a  --  b' AS \"odd  name\", x FROM t WHERE y = 'it''s'")


def test_single_line_rejects_unterminated_literals() -> None:
    with pytest.raises(ValueError, match="unterminated '-quoted"):
        single_line("SELECT 'oops")


def test_escape_intrinsic_escapes_the_four_special_characters() -> None:
    assert escape_intrinsic("a'b{c}d\\e") == "a\\'b\\{c\\}d\\\\e"


def test_escape_intrinsic_keeps_cdk_token_markers_intact() -> None:
    text = "s3://${Token[TOKEN.54]}/runs/{x}"
    assert escape_intrinsic(text) == "s3://${Token[TOKEN.54]}/runs/\\{x\\}"


def test_render_without_run_time_values_gives_plain_sql() -> None:
    rendered = render(
        "COPY t FROM 'x' IAM_ROLE '${iam_role}'",
        static={"iam_role": "arn:aws:iam::1:role/r"},
        dynamic={"run_id": "$.run_id"},
    )
    assert not rendered.is_intrinsic
    assert rendered.value == "COPY t FROM 'x' IAM_ROLE 'arn:aws:iam::1:role/r'"


def test_render_with_run_time_values_gives_states_format() -> None:
    rendered = render(
        "INSERT INTO log VALUES ('${run_id}', ${rows}, '${iam_role}', '{\"k\": 1}')",
        static={"iam_role": "arn:r"},
        dynamic={"run_id": "$.run_id", "rows": "$.manifest.rows"},
    )
    assert rendered.is_intrinsic
    assert rendered.value == (
        "States.Format('INSERT INTO log VALUES (\\'{}\\', {}, \\'arn:r\\', "
        "\\'\\{\"k\": 1\\}\\')', $.run_id, $.manifest.rows)"
    )


def test_render_names_the_missing_placeholder_and_the_source() -> None:
    with pytest.raises(ValueError, match=r"load/x.sql: no value for placeholder\(s\) \$\{nope\}"):
        render("SELECT ${nope}", static={}, dynamic={}, source="load/x.sql")


def test_placeholders_are_listed_once_in_order() -> None:
    assert placeholders("${b} ${a} ${b}") == ["b", "a"]


def test_intrinsic_string_array_quotes_literals_and_keeps_paths() -> None:
    assert intrinsic_string_array(["--conf", "a={b}", Path("$.run_id")]) == (
        "States.Array('--conf', 'a=\\{b\\}', $.run_id)"
    )
