"""Helpers of the infra tests: one synthesized stage (`Synth`) and CloudFormation reading.

(A module with a unique name, not conftest: other test folders have conftest modules too.)
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[2]
COMBOS = [("dev", "serverless"), ("dev", "cluster"), ("prod", "cluster"), ("prod", "serverless")]
# Stand-ins for CloudFormation intrinsics, so the state machine definition can be read as ASL.
PSEUDO = {
    "AWS::Partition": "aws",
    "AWS::Region": "eu-west-1",
    "AWS::AccountId": "123456789012",
    "AWS::URLSuffix": "amazonaws.com",
}


@dataclass
class Synth:
    stage: str
    emr_mode: str
    outdir: Path
    template: dict[str, Any]
    template_path: Path
    metadata: dict[str, list[dict[str, Any]]]
    stack: Any  # the LibertaStack

    def resources(self, type_: str) -> dict[str, dict[str, Any]]:
        return {k: v for k, v in self.template["Resources"].items() if v["Type"] == type_}

    def logical_id(self, construct: Any) -> str:
        child = construct.node.default_child or construct
        return self.stack.resolve(child.logical_id)

    def state_machine(self, suffix: str) -> dict[str, Any]:
        """The state machine named `liberta-<stage>-<suffix>`."""
        name = f"liberta-{self.stage}-{suffix}"
        (machine,) = [
            m
            for m in self.resources("AWS::StepFunctions::StateMachine").values()
            if m["Properties"]["StateMachineName"] == name
        ]
        return machine

    def asl_of(self, suffix: str) -> dict[str, Any]:
        machine = self.state_machine(suffix)
        return json.loads(resolve_join(machine["Properties"]["DefinitionString"]))

    @property
    def asl(self) -> dict[str, Any]:
        """The pipeline's definition (the other state machines: `asl_of`)."""
        return self.asl_of("pipeline")


def _part(part: Any) -> str:
    if isinstance(part, str):
        return part
    if "Ref" in part:
        return PSEUDO.get(part["Ref"], f"ref-{part['Ref']}")
    if "Fn::GetAtt" in part:
        logical_id, attribute = part["Fn::GetAtt"]
        if attribute.endswith("Arn"):
            return f"arn:aws:svc:eu-west-1:123456789012:getatt/{logical_id}"
        return f"getatt-{logical_id}-{attribute}"
    if "Fn::Sub" in part:
        return re.sub(
            r"\$\{([^}]+)\}", lambda m: PSEUDO.get(m.group(1), f"sub-{m.group(1)}"), part["Fn::Sub"]
        )
    raise ValueError(f"unexpected intrinsic in state machine definition: {part}")


def resolve_join(value: Any) -> str:
    if isinstance(value, str):
        return value
    separator, parts = value["Fn::Join"]
    return separator.join(_part(p) for p in parts)


def metadata(outdir: Path, stack_name: str) -> dict[str, list[dict[str, Any]]]:
    manifest = json.loads((outdir / "manifest.json").read_text())
    artifact = manifest["artifacts"][stack_name]
    found: dict[str, list[dict[str, Any]]] = dict(artifact.get("metadata") or {})
    extra = artifact.get("additionalMetadataFile")
    if extra:
        found.update(json.loads((outdir / extra).read_text()))
    return found
