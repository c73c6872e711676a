"""`liberta localstack deploy`: the CDK app's `local` stage, deployed into the host LocalStack.

The same `app.py` and constructs as `cdk deploy` on AWS, through `cdklocal` (aws-cdk-local:
the pinned CDK CLI with its AWS endpoints pointed at LocalStack). The `local` stage differs from
`dev` only in configuration (`infra/config.py`). Deploying needs a checkout of Liberta (the
CDK app and its `node_modules`), as a `cdk deploy` does.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from liberta.localstack.runtime import LocalStackConfig, LocalStackError, health

LOCAL_STAGE = "local"
STACK_NAME = "Liberta-local"
ACCOUNT = "000000000000"  # LocalStack's default account
REGION = "us-east-1"


class DeployError(RuntimeError):
    """The stack could not be deployed or read (the message says why and where to look)."""


@dataclass(frozen=True)
class StackState:
    name: str
    deployed: bool
    status: str | None
    outputs: dict[str, str]

    def output(self, key: str) -> str:
        try:
            return self.outputs[key]
        except KeyError:
            raise DeployError(
                f"stack {self.name} has no output {key}; deploy it with `liberta localstack deploy`"
            ) from None

    def as_json(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "deployed": self.deployed,
            "status": self.status,
            "outputs": self.outputs,
        }


def project_root() -> Path:
    """The checkout this Liberta runs from (app.py, cdk.json, node_modules)."""
    return Path(__file__).resolve().parents[2]


def aws_environment(endpoint: str) -> dict[str, str]:
    """AWS SDK settings for LocalStack (its fixed test credentials, never real ones)."""
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("AWS_", "CDK_DEFAULT_"))
    }
    env.update(
        {
            "AWS_ENDPOINT_URL": endpoint,
            # cdklocal wants the S3 endpoint named too (path-style on 127.0.0.1).
            "AWS_ENDPOINT_URL_S3": endpoint,
            "AWS_ENVAR_ALLOWLIST": "AWS_REGION,AWS_DEFAULT_REGION,AWS_S3_FORCE_PATH_STYLE",
            "AWS_ACCESS_KEY_ID": "test",
            "AWS_SECRET_ACCESS_KEY": "test",
            "AWS_DEFAULT_REGION": REGION,
            "AWS_REGION": REGION,
            "AWS_S3_FORCE_PATH_STYLE": "1",
            "AWS_EC2_METADATA_DISABLED": "true",
            "CDK_DISABLE_CLI_TELEMETRY": "true",
            "CDK_DISABLE_VERSION_CHECK": "true",
            "JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION": "20",
        }
    )
    return env


def client(service: str, endpoint: str) -> Any:
    import boto3

    return boto3.client(
        service,
        endpoint_url=endpoint,
        region_name=REGION,
        aws_access_key_id="test",
        aws_secret_access_key="test",
    )


def _require_running(config: LocalStackConfig) -> None:
    if health(config) is None:
        raise LocalStackError(
            f"LocalStack is not running on {config.endpoint}: start it with "
            "`liberta localstack up` (or `make localstack-up`)"
        )


def stack_state(config: LocalStackConfig) -> StackState:
    """Whether the local stage is deployed, and its outputs."""
    cloudformation = client("cloudformation", config.endpoint)
    try:
        (stack,) = cloudformation.describe_stacks(StackName=STACK_NAME)["Stacks"]
    except cloudformation.exceptions.ClientError as exc:
        if "does not exist" in str(exc):
            return StackState(STACK_NAME, False, None, {})
        raise DeployError(f"could not read stack {STACK_NAME}: {exc}") from None
    status = stack["StackStatus"]
    outputs = {o["OutputKey"]: o["OutputValue"] for o in stack.get("Outputs", [])}
    deployed = status in ("CREATE_COMPLETE", "UPDATE_COMPLETE")
    return StackState(STACK_NAME, deployed, status, outputs)


@dataclass(frozen=True)
class DeployResult:
    stack: StackState
    seconds: float
    log: Path


def deploy(config: LocalStackConfig, *, root: Path | None = None) -> DeployResult:
    """`cdklocal bootstrap` (once) and `cdklocal deploy` of the local stage; its outputs."""
    _require_running(config)
    root = root or project_root()
    cdklocal = root / "node_modules" / ".bin" / "cdklocal"
    if not (root / "app.py").is_file() or not cdklocal.exists():
        raise DeployError(
            f"deploying needs a Liberta checkout with its Node tools: {cdklocal} is missing "
            "(run `make node_modules/.installed-stamp` in the checkout)"
        )
    config.state_dir.mkdir(parents=True, exist_ok=True)
    log = config.state_dir / "deploy.log"
    outdir = config.state_dir / "cdk.out"
    env = aws_environment(config.endpoint)
    app = f"{sys.executable} app.py"
    context = ["-c", f"stage={LOCAL_STAGE}", "--app", app, "--output", str(outdir)]
    started = time.monotonic()
    with log.open("w", encoding="utf-8") as handle:
        for command in (
            [str(cdklocal), "bootstrap", f"aws://{ACCOUNT}/{REGION}", *context],
            [
                str(cdklocal),
                "deploy",
                STACK_NAME,
                *context,
                "--require-approval",
                "never",
                "--progress",
                "events",
            ],
        ):
            handle.write(f"$ {' '.join(command)}\n")
            handle.flush()
            result = subprocess.run(
                command,
                cwd=root,
                env=env,
                stdout=handle,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                check=False,
            )
            if result.returncode != 0:
                raise DeployError(
                    f"`cdklocal {command[1]}` failed (exit {result.returncode}); see {log}:\n"
                    + _tail(log)
                )
    state = stack_state(config)
    if not state.deployed:
        raise DeployError(f"stack {STACK_NAME} is {state.status} after the deploy; see {log}")
    return DeployResult(state, time.monotonic() - started, log)


def _tail(path: Path, lines: int = 25) -> str:
    text = path.read_text(encoding="utf-8", errors="replace")
    return "\n".join(text.splitlines()[-lines:])
