"""The warehouse setup state machine: the administrator's SQL (redshift_sql/admin/), nothing else.

It is the only thing besides a person's break-glass access that uses the admin secret: it runs
one fixed batch (create the roles `liberta_etl` and `liberta_analyst`, grant the ETL role what
it needs to own Liberta's schemas), takes no input, and returns no data. The pipeline starts it
at the top of every run (idempotent, a few seconds), so a new deployment needs no manual SQL;
the pipeline's own role can neither read the secret nor choose what the setup runs.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence

from aws_cdk import Duration
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_secretsmanager as secretsmanager
from aws_cdk import aws_stepfunctions as sfn
from constructs import Construct

from infra.config import StageConfig
from infra.log_groups import encrypted_log_group
from infra.pipeline.building_blocks import PipelineContext, Warehouse
from infra.pipeline.data_api import DataApiStatement
from infra.pipeline.statements import RenderedStatement, single_line

# Between the setup's own budget running out (its batch cancelled) and its execution's timeout.
SETUP_MARGIN_SECONDS = 5 * 60


class WarehouseSetup(Construct):
    """`state_machine` runs `statements` as the admin; `role` is its identity. An execution
    uses at most `worst_case_seconds` of its own budget and is stopped at `timeout`."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        config: StageConfig,
        warehouse: Warehouse,
        admin_secret: secretsmanager.ISecret,
        statements: Sequence[str],
        state_key: kms.IKey,
        logs_key: kms.IKey,
    ) -> None:
        super().__init__(scope, construct_id)
        failed = sfn.Fail(
            self,
            "SetupFailed",
            error="Liberta.WarehouseSetupFailed",
            cause="The warehouse setup (redshift_sql/admin/) failed: see RunAdminSql",
        )
        admin = dataclasses.replace(warehouse, secret_arn=admin_secret.secret_arn)
        context = PipelineContext(config=config, warehouse=admin, on_failure=failed)
        # Each setup execution is its own run: statement names and tokens use its name.
        prepare = sfn.Pass(
            self,
            "PrepareSetup",
            parameters={"run_id.$": "$$.Execution.Name", "client_token.$": "States.UUID()"},
        )
        batch = DataApiStatement(
            self,
            "RunAdminSql",
            context=context,
            key="setup",
            sql=[RenderedStatement(single_line(s), False) for s in statements],
            budget_minutes=config.budget_setup_minutes,
        )
        prepare.next(batch)
        batch.next(sfn.Succeed(self, "SetupDone"))
        # The setup's own budget: its batch's polls (then it is cancelled), the submit's
        # retries. The execution's timeout comes a margin later, so the batch's own cancel
        # always comes first; whoever waits for the setup waits longer than `timeout`.
        self.worst_case_seconds: int = batch.worst_case_seconds
        self.timeout = Duration.seconds(self.worst_case_seconds + SETUP_MARGIN_SECONDS)
        log_group = encrypted_log_group(
            self,
            "Logs",
            config=config,
            key=logs_key,
            log_group_name=f"/aws/vendedlogs/states/{config.prefix}-warehouse-setup",
        )
        self.state_machine = sfn.StateMachine(
            self,
            "StateMachine",
            state_machine_name=f"{config.prefix}-warehouse-setup",
            comment="Liberta: the warehouse's roles and grants (redshift_sql/admin), as the admin",
            definition_body=sfn.DefinitionBody.from_chainable(prepare),
            timeout=self.timeout,
            tracing_enabled=True,
            logs=sfn.LogOptions(
                destination=log_group, level=sfn.LogLevel.ALL, include_execution_data=True
            ),
            encryption_configuration=sfn.CustomerManagedEncryptionConfiguration(state_key),
        )
        self.role: iam.IRole = self.state_machine.role
        admin_secret.grant_read(self.role)
