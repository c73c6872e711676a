"""Offline checks on every synthesized stage: cdk-nag, cfn-lint."""

from __future__ import annotations

import csv
import subprocess
import sys
from pathlib import Path

from infra_synth import Synth

NAG_PREFIXES = ("AwsSolutions-", "CdkNagValidationFailure")


def test_cdk_nag_reports_no_unacknowledged_finding(synth: Synth) -> None:
    findings = [
        f"{path}: {entry['data']}"
        for path, entries in synth.metadata.items()
        for entry in entries
        if entry["type"] in ("aws:cdk:error", "aws:cdk:warning")
        and any(p in str(entry["data"]) for p in NAG_PREFIXES)
    ]
    assert findings == []


def test_cdk_nag_did_run_and_every_acknowledgement_has_a_reason(synth: Synth) -> None:
    reports = list(synth.outdir.glob(f"AwsSolutions-*{synth.stack.stack_name}-NagReport.csv"))
    assert reports, "cdk-nag did not run"
    with reports[0].open(newline="") as handle:
        compliance = [row["Compliance"] for row in csv.DictReader(handle)]
    assert "Non-Compliant" not in compliance
    assert compliance.count("Compliant") >= 30
    suppressed = 0
    for resource in synth.template["Resources"].values():
        for suppression in (
            resource.get("Metadata", {}).get("cdk_nag", {}).get("rules_to_suppress", [])
        ):
            suppressed += 1
            assert len(suppression["reason"]) >= 60, suppression
            if suppression["id"] in ("AwsSolutions-IAM4", "AwsSolutions-IAM5"):
                assert suppression.get("applies_to"), f"blanket {suppression['id']}: {suppression}"
    assert suppressed >= 3


def test_cfn_lint_finds_no_errors(synth: Synth) -> None:
    result = subprocess.run(
        [str(Path(sys.executable).with_name("cfn-lint")), str(synth.template_path)],
        capture_output=True,
        text=True,
        check=False,
    )
    # cfn-lint's exit code is a bit mask: 2 = errors, 4 = warnings, 8 = informational.
    assert result.returncode & 2 == 0 and result.returncode & 1 == 0, result.stdout + result.stderr
