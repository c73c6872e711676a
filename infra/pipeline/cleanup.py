"""After an aborted or timed-out execution: cancel its SQL, so nothing commits after it ended.

A stopped execution runs no more states, but a Data API statement it submitted runs on in
Redshift, and the load could still commit. An EventBridge rule sends every ABORTED or
TIMED_OUT pipeline execution to this small state machine, which lists the run's statements
(their names start with `<prefix>/<run id>/`), and cancels those still running. It runs as the
pipeline's role: the Data API lists and cancels only statements of the caller's own role.

(The Spark step needs no such help: stopping an execution stops its `.sync` EMR integration's
job run or step; a transient cluster then terminates after its idle timeout.)
"""

from __future__ import annotations

from aws_cdk import Duration, Stack
from aws_cdk import aws_events as events
from aws_cdk import aws_events_targets as targets
from aws_cdk import aws_iam as iam
from aws_cdk import aws_stepfunctions as sfn
from constructs import Construct

from infra.config import StageConfig
from infra.keys import StageKeys
from infra.log_groups import encrypted_log_group
from infra.pipeline.building_blocks import retry_transient, statement_name_prefix
from infra.pipeline.data_api import statement_task

RUNNING = ("SUBMITTED", "PICKED", "STARTED")


class AbortCleanup(Construct):
    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        config: StageConfig,
        pipeline: sfn.IStateMachine,
        role: iam.IRole,
        keys: StageKeys,
    ) -> None:
        super().__init__(scope, construct_id)
        listing = sfn.CustomState(
            self,
            "ListRunStatements",
            state_json={
                "Type": "Task",
                "Resource": "arn:aws:states:::aws-sdk:redshiftdata:listStatements",
                "Parameters": {
                    "StatementName.$": f"States.Format('{statement_name_prefix(config)}{{}}/',"
                    " $.name)",
                    "RoleLevel": True,
                    "Status": "ALL",
                    "MaxResults": 100,
                },
                "ResultSelector": {"statements.$": "$.Statements"},
                "ResultPath": "$.run",
            },
        )
        retry_transient(listing)
        # Each item of the Map is one listed statement: its id is at $.Id.
        cancel = statement_task(self, "CancelStatement", action="cancelStatement", id_path="$.Id")
        ended = sfn.Pass(self, "StatementEnded")
        # It may have finished between the listing and now: nothing left to cancel.
        cancel.add_catch(ended, errors=["States.ALL"], result_path="$.cancel_error")
        cancel.next(ended)
        still_running = (
            sfn.Choice(self, "StillRunning?")
            .when(
                sfn.Condition.or_(
                    *(sfn.Condition.string_equals("$.Status", status) for status in RUNNING)
                ),
                cancel,
            )
            .otherwise(ended)
        )
        each = sfn.Map(self, "CancelRunning", items_path="$.run.statements", max_concurrency=5)
        each.item_processor(still_running)
        listing.next(each).next(sfn.Succeed(self, "CleanedUp"))

        log_group = encrypted_log_group(
            self,
            "Logs",
            config=config,
            key=keys.logs,
            log_group_name=f"/aws/vendedlogs/states/{config.prefix}-abort-cleanup",
        )
        self.state_machine = sfn.StateMachine(
            self,
            "StateMachine",
            state_machine_name=f"{config.prefix}-abort-cleanup",
            comment="Liberta: cancel the SQL of an aborted or timed-out pipeline execution",
            definition_body=sfn.DefinitionBody.from_chainable(listing),
            role=role,
            timeout=Duration.minutes(15),
            tracing_enabled=True,
            logs=sfn.LogOptions(
                destination=log_group, level=sfn.LogLevel.ALL, include_execution_data=True
            ),
            encryption_configuration=sfn.CustomerManagedEncryptionConfiguration(keys.pipeline),
        )
        self.rule = events.Rule(
            self,
            "OnAbortOrTimeout",
            description=f"Liberta {config.name}: cancel the SQL of a stopped pipeline execution",
            event_pattern=events.EventPattern(
                source=["aws.states"],
                detail_type=["Step Functions Execution Status Change"],
                detail={
                    "status": ["ABORTED", "TIMED_OUT"],
                    "stateMachineArn": [pipeline.state_machine_arn],
                },
            ),
        )
        # EventBridge starts the cleanup as this role; starting an execution of a state
        # machine encrypted with a customer key needs GenerateDataKey on that key.
        self.invoke_role = iam.Role(
            self,
            "InvokeRole",
            # aws:SourceAccount: only rules of this account (EventBridge condition keys,
            # https://docs.aws.amazon.com/eventbridge/latest/userguide/policy-keys-eventbridge.html)
            assumed_by=iam.ServicePrincipal(
                "events.amazonaws.com",
                conditions={"StringEquals": {"aws:SourceAccount": Stack.of(self).account}},
            ),
            description="EventBridge: starts the abort cleanup of the Liberta pipeline",
        )
        keys.allow_start_execution(self.invoke_role, self.state_machine.state_machine_arn)
        self.rule.add_target(
            targets.SfnStateMachine(
                self.state_machine,
                input=events.RuleTargetInput.from_event_path("$.detail"),
                role=self.invoke_role,
                retry_attempts=5,
                max_event_age=Duration.hours(2),
            )
        )
