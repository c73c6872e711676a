"""Builds the CDK app: stage config from context, job package, warehouse SQL, stack, checks."""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from aws_cdk import App

from emr_jobs.packaging import build
from infra.config import StageConfig, stage_from_context
from infra.nag import acknowledge, add_checks
from infra.pipeline.state_machine import PipelineSql
from infra.stack import LibertaStack

REPO_ROOT = Path(__file__).resolve().parent.parent
# Context keys app.py reads (everything else in cdk.json is CDK feature flags).
CONTEXT_KEYS = ("stage", "emr_mode", "alarm_email", "account", "region", "schedule")


def cdk_json_context(path: Path = REPO_ROOT / "cdk.json") -> dict[str, Any]:
    """The `context` of cdk.json (the CLI loads it itself; tests and scripts call this)."""
    return dict(json.loads(path.read_text(encoding="utf-8")).get("context", {}))


def create_app(
    *,
    context: Mapping[str, Any] | None = None,
    environ: Mapping[str, str] | None = None,
    package_dir: Path | None = None,
    outdir: str | None = None,
) -> tuple[App, LibertaStack]:
    """The app with one stack for the stage the context names (`-c stage=dev|prod`).

    `context` is merged over what the CDK CLI passes; `package_dir` is where the Spark job
    package is built (default `dist/emr`).
    """
    app = App(context=dict(context) if context else None, outdir=outdir)
    config: StageConfig = stage_from_context(
        {key: app.node.try_get_context(key) for key in CONTEXT_KEYS},
        os.environ if environ is None else environ,
    )
    package = build(package_dir or REPO_ROOT / "dist" / "emr")
    stack = LibertaStack(
        app,
        config.stack_name,
        config=config,
        job_package=package,
        sql=PipelineSql.from_redshift_sql(),
    )
    add_checks(app)
    acknowledge(stack)
    return app, stack
