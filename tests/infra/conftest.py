"""Synthesize every stage x EMR mode once per test session (validation off, cdk.json context).

Each synthesis is real: the CDK app of `app.py` (infra.app.create_app) builds the Spark job
package, renders the warehouse SQL, runs cdk-nag and writes a cloud assembly.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator

import pytest
from infra_synth import COMBOS, Synth, metadata

os.environ.setdefault("CDK_VALIDATION", "false")
os.environ.setdefault("JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION", "20")
ENVIRONMENT = {"CDK_DEFAULT_ACCOUNT": "123456789012", "CDK_DEFAULT_REGION": "eu-west-1"}


@pytest.fixture(scope="session")
def synths(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[tuple[str, str], Synth]]:
    from infra.app import cdk_json_context, create_app

    package_dir = tmp_path_factory.mktemp("emr-package")
    result: dict[tuple[str, str], Synth] = {}
    for stage, mode in COMBOS:
        outdir = tmp_path_factory.mktemp(f"cdk-{stage}-{mode}")
        context = {**cdk_json_context(), "stage": stage, "emr_mode": mode}
        # prod-cluster synthesizes for a concrete environment (literal region and account in
        # ARNs, as `cdk synth` with credentials does); the others are environment-agnostic.
        environ = ENVIRONMENT if (stage, mode) == ("prod", "cluster") else {}
        app, stack = create_app(
            context=context, environ=environ, package_dir=package_dir, outdir=str(outdir)
        )
        app.synth()
        template_path = outdir / f"{stack.stack_name}.template.json"
        result[(stage, mode)] = Synth(
            stage=stage,
            emr_mode=mode,
            outdir=outdir,
            template=json.loads(template_path.read_text()),
            template_path=template_path,
            metadata=metadata(outdir, stack.artifact_id),
            stack=stack,
        )
    yield result


@pytest.fixture(params=COMBOS, ids=[f"{s}-{m}" for s, m in COMBOS])
def synth(request: pytest.FixtureRequest, synths: dict[tuple[str, str], Synth]) -> Synth:
    return synths[request.param]


@pytest.fixture
def cluster_synth(synths: dict[tuple[str, str], Synth]) -> Synth:
    return synths[("prod", "cluster")]


@pytest.fixture
def serverless_synth(synths: dict[tuple[str, str], Synth]) -> Synth:
    return synths[("dev", "serverless")]
