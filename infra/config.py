"""Stage configuration: every difference between dev and prod lives here, nowhere else.

`app.py` picks a stage with `-c stage=dev|prod` and may override the EMR mode
(`-c emr_mode=cluster|serverless`) and the alarm e-mail (`-c alarm_email=...`). Account and
region come from `-c account=... -c region=...` or from the CDK CLI's environment
(`CDK_DEFAULT_ACCOUNT` / `CDK_DEFAULT_REGION`); without them the stack is environment-agnostic.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal

EmrMode = Literal["cluster", "serverless"]
EMR_MODES: tuple[str, ...] = ("cluster", "serverless")

# EMR 7.12 ships Spark 3.5.6, the version the job is developed and tested against (pyproject).
EMR_RELEASE_LABEL = "emr-7.12.0"

_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
_ACCOUNT = re.compile(r"^\d{12}$")
_REGION = re.compile(r"^[a-z]{2}(-[a-z]+)+-\d$")


@dataclass(frozen=True, kw_only=True)
class StageConfig:
    """Everything that differs between stages. Frozen: derive variants with `with_overrides`."""

    name: str
    account: str | None = None
    region: str | None = None

    # Data lifecycle. `retain_data` keeps buckets, the KMS key and the warehouse on stack delete.
    retain_data: bool
    raw_infrequent_access_days: int = 30
    raw_glacier_ir_days: int = 180
    quarantine_expiry_days: int = 30
    noncurrent_version_expiry_days: int = 30
    access_log_expiry_days: int = 365
    log_retention_days: int = 30

    # Network: 0 NAT gateways = no internet path at all (EMR reaches AWS through endpoints).
    nat_gateways: int = 0
    vpc_cidr: str = "10.42.0.0/16"
    # CIDRs (VPN, peered BI tool networks) allowed to reach Redshift on 5439 besides the VPC.
    warehouse_client_cidrs: tuple[str, ...] = ()

    # Processing.
    emr_mode: EmrMode
    emr_release_label: str = EMR_RELEASE_LABEL
    emr_primary_instance_type: str = "m6i.xlarge"
    emr_core_instance_type: str = "m6i.xlarge"
    emr_core_instance_count: int = 2
    emr_use_spot: bool = False
    serverless_max_vcpu: int = 16
    serverless_max_memory_gb: int = 64
    serverless_idle_stop_minutes: int = 5

    # Warehouse.
    redshift_base_rpu: int = 8
    redshift_max_rpu: int = 64
    redshift_database: str = "liberta"
    redshift_admin_user: str = "liberta_admin"

    # Orchestration.
    schedule_enabled: bool
    schedule_expression: str = "cron(30 2 * * ? *)"
    schedule_timezone: str = "UTC"
    lookback_hours: int = 48
    # Data API polling: every `data_api_poll_seconds` for the first `data_api_fast_polls`
    # polls (short statements return quickly), then every `data_api_slow_poll_seconds`, which
    # keeps a long load's poll loop far below Step Functions' 25,000 history events.
    data_api_poll_seconds: int = 5
    data_api_fast_polls: int = 12
    data_api_slow_poll_seconds: int = 60
    notify_success: bool = False
    # Time budgets per step (minutes). Each bounds its own wait (a Data API statement still
    # running at the end of its budget is cancelled); the execution's timeout is the sum of the
    # budgets on the longest path plus the margin (infra.pipeline.state_machine), so no step is
    # ever cut off by the execution's own timeout, where nothing could cancel it. Sized for a
    # full refresh of a year of data (about 2 billion events, README "Deploy on AWS").
    budget_setup_minutes: int = 15  # roles and grants (the setup state machine)
    budget_bootstrap_minutes: int = 30  # per Data API batch of DDL
    budget_window_minutes: int = 10
    budget_cluster_start_minutes: int = 45  # EMR on EC2: create the cluster
    budget_spark_minutes: int = 240  # the Spark job
    budget_cluster_stop_minutes: int = 30
    budget_load_minutes: int = 180  # the load transaction
    budget_query_minutes: int = 10  # small queries: run counts, the failed-run row
    budget_margin_minutes: int = 30  # retries' back-off, notifications, state transitions

    # Features that need a Lambda-backed custom resource, on for AWS stages, off where Lambda
    # cannot run (LocalStack without Docker): CDK's restrictDefaultSecurityGroup, and the
    # emptying of buckets on stack delete (autoDeleteObjects, only for stages that do not
    # retain data).
    restrict_default_security_group: bool = True
    empty_buckets_on_delete: bool = True

    # Operations.
    alarm_email: str | None = None

    def __post_init__(self) -> None:
        problems: list[str] = []
        if self.emr_mode not in EMR_MODES:
            problems.append(f"emr_mode={self.emr_mode!r} (expected one of {', '.join(EMR_MODES)})")
        if self.alarm_email is not None and not _EMAIL.match(self.alarm_email):
            problems.append(f"alarm_email={self.alarm_email!r} is not an e-mail address")
        if self.account is not None and not _ACCOUNT.match(self.account):
            problems.append(f"account={self.account!r} (expected 12 digits)")
        if self.region is not None and not _REGION.match(self.region):
            problems.append(f"region={self.region!r} (expected a region name like eu-west-1)")
        if not 8 <= self.redshift_base_rpu <= self.redshift_max_rpu:
            problems.append(
                f"redshift_base_rpu={self.redshift_base_rpu} must be >= 8 and <= "
                f"redshift_max_rpu={self.redshift_max_rpu}"
            )
        lookback = self.lookback_hours
        if isinstance(lookback, bool) or not isinstance(lookback, int) or lookback < 0:
            problems.append(f"lookback_hours={self.lookback_hours!r} must be a whole number >= 0")
        if self.emr_core_instance_count < 1:
            problems.append(f"emr_core_instance_count={self.emr_core_instance_count} must be >= 1")
        if self.nat_gateways < 0:
            problems.append(f"nat_gateways={self.nat_gateways} must be >= 0")
        if self.raw_glacier_ir_days <= self.raw_infrequent_access_days:
            problems.append("raw_glacier_ir_days must be later than raw_infrequent_access_days")
        budgets = {k: v for k, v in dataclasses.asdict(self).items() if k.startswith("budget_")}
        for name, minutes in budgets.items():
            if isinstance(minutes, bool) or not isinstance(minutes, int) or minutes < 1:
                problems.append(f"{name}={minutes!r} must be a whole number of minutes >= 1")
        if not 1 <= self.data_api_poll_seconds <= self.data_api_slow_poll_seconds:
            problems.append("data_api_poll_seconds must be >= 1 and <= data_api_slow_poll_seconds")
        if self.name == "local" and self.emr_mode != "serverless":
            problems.append(
                "the local stage runs on LocalStack, which serves EMR Serverless only "
                "(Liberta's extension): use emr_mode=serverless"
            )
        if self.data_api_fast_polls < 1:
            problems.append("data_api_fast_polls must be >= 1")
        if problems:
            raise ValueError(f"invalid stage config {self.name!r}: " + "; ".join(problems))

    @property
    def prefix(self) -> str:
        """Name prefix of every named resource: `liberta-<stage>`."""
        return f"liberta-{self.name}"

    @property
    def stack_name(self) -> str:
        return f"Liberta-{self.name}"

    def polls(self, budget_minutes: int) -> int:
        """How many Data API status polls fit in a budget (fast ones first, then slow)."""
        budget = budget_minutes * 60
        fast_time = self.data_api_fast_polls * self.data_api_poll_seconds
        if budget <= fast_time:
            return max(1, budget // self.data_api_poll_seconds)
        return self.data_api_fast_polls + (budget - fast_time) // self.data_api_slow_poll_seconds

    def polling_seconds(self, polls: int) -> int:
        """How long `polls` status polls wait in total."""
        fast = min(polls, self.data_api_fast_polls)
        return fast * self.data_api_poll_seconds + (polls - fast) * self.data_api_slow_poll_seconds

    def with_overrides(self, **changes: Any) -> StageConfig:
        return dataclasses.replace(self, **changes)


# LocalStack's fixed account and default region (`liberta localstack deploy`).
LOCALSTACK_ACCOUNT = "000000000000"
LOCALSTACK_REGION = "us-east-1"

STAGES: dict[str, StageConfig] = {
    "dev": StageConfig(
        name="dev",
        retain_data=False,
        emr_mode="serverless",
        emr_core_instance_count=1,
        emr_use_spot=True,
        serverless_max_vcpu=8,
        serverless_max_memory_gb=32,
        redshift_base_rpu=8,
        redshift_max_rpu=16,
        schedule_enabled=False,
        log_retention_days=14,
        access_log_expiry_days=90,
    ),
    "prod": StageConfig(
        name="prod",
        retain_data=True,
        emr_mode="cluster",
        emr_core_instance_count=4,
        emr_use_spot=False,
        serverless_max_vcpu=64,
        serverless_max_memory_gb=256,
        redshift_base_rpu=16,
        redshift_max_rpu=128,
        schedule_enabled=True,
        log_retention_days=365,
        notify_success=True,
    ),
    # The CDK app deployed into LocalStack on this machine (`liberta localstack deploy`):
    # dev, minus what LocalStack cannot host (Lambda-backed custom resources), in LocalStack's
    # account, with a database of its own on the local Postgres (the embedded profile uses
    # `liberta`).
    "local": StageConfig(
        name="local",
        account=LOCALSTACK_ACCOUNT,
        region=LOCALSTACK_REGION,
        retain_data=False,
        emr_mode="serverless",
        serverless_max_vcpu=8,
        serverless_max_memory_gb=32,
        redshift_base_rpu=8,
        redshift_max_rpu=16,
        redshift_database="liberta_localstack",
        schedule_enabled=False,
        log_retention_days=7,
        access_log_expiry_days=7,
        restrict_default_security_group=False,
        empty_buckets_on_delete=False,
        # Local statements finish in a second or two: poll every second for the first 30.
        data_api_poll_seconds=1,
        data_api_fast_polls=30,
    ),
}


def _flag(value: Any, *, key: str) -> bool:
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in {"true", "1", "yes", "on"}:
        return True
    if text in {"false", "0", "no", "off"}:
        return False
    raise ValueError(f"context {key}={value!r} is not a boolean (use true or false)")


def stage_from_context(
    context: Mapping[str, Any], environ: Mapping[str, str] | None = None
) -> StageConfig:
    """The StageConfig for `-c stage=...` plus the overrides given in the CDK context.

    `context` maps context keys to values (`app.node.try_get_context`), `environ` supplies the
    CDK CLI's `CDK_DEFAULT_ACCOUNT` / `CDK_DEFAULT_REGION` when the context does not.
    """
    environ = environ or {}
    stage = str(context.get("stage") or "dev")
    if stage not in STAGES:
        raise ValueError(
            f"unknown stage {stage!r} in -c stage=...; expected one of {sorted(STAGES)}"
        )
    changes: dict[str, Any] = {}
    account = context.get("account") or environ.get("CDK_DEFAULT_ACCOUNT")
    region = context.get("region") or environ.get("CDK_DEFAULT_REGION")
    if account:
        changes["account"] = str(account)
    if region:
        changes["region"] = str(region)
    if context.get("emr_mode"):
        changes["emr_mode"] = str(context["emr_mode"])
    if context.get("alarm_email"):
        changes["alarm_email"] = str(context["alarm_email"])
    if context.get("schedule") is not None:
        changes["schedule_enabled"] = _flag(context["schedule"], key="schedule")
    return STAGES[stage].with_overrides(**changes)
