"""The documents the code points to exist, and the pipeline doc shows the rules as they are."""

from __future__ import annotations

import re
from pathlib import Path

from liberta_core.tables import TABLES
from tests.contracts.window_cases import CASES

REPO = Path(__file__).resolve().parents[2]
SOURCES = ("emr_jobs", "liberta", "liberta_core", "infra", "redshift_sql", "localstack")


def test_every_doc_the_code_cites_is_in_the_repo() -> None:
    cited: set[str] = set()
    for folder in SOURCES:
        for path in (REPO / folder).rglob("*"):
            if path.suffix in (".py", ".sql", ".md") and "__pycache__" not in path.parts:
                cited |= set(re.findall(r"docs/[a-z-]+\.md", path.read_text(encoding="utf-8")))
    assert cited, "no doc citations found"
    assert sorted(c for c in cited if not (REPO / c).is_file()) == []


def test_the_window_table_of_the_docs_has_every_case() -> None:
    text = (REPO / "docs" / "pipeline.md").read_text(encoding="utf-8")
    for case in CASES:
        assert f"| {case.name} |" in text, case.name


def test_the_merge_rule_table_of_the_docs_matches_the_contract() -> None:
    text = (REPO / "docs" / "pipeline.md").read_text(encoding="utf-8")
    documented: dict[tuple[str, str], str] = {}
    for table, columns, rule in re.findall(
        r"^\| (d_\w+|f_\w+) \| ([\w, ]+) \| ([\w()]+) \|$", text, re.M
    ):
        for column in columns.split(", "):
            documented[(table, column)] = rule
    expected = {}
    for table in TABLES:
        for column in table.columns if table.upsert else ():
            rule = column.merge
            if rule.rule == "key":
                continue
            expected[(table.name, column.name)] = (
                f"{rule.rule}({rule.by})" if rule.by else rule.rule
            )
    assert documented == expected
