"""The pipeline's steps, in order: what the state machine chains and `liberta run` executes.

`infra.pipeline.state_machine` builds one part per step and names its first state
`state`; the local runner reports progress and durations under `name`. A test checks that the
state machine's main path enters the steps in this order and that the local runner reports
exactly these steps.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Step:
    name: str  # the local runner's key (`liberta run --json` step_seconds)
    state: str  # the first state of the step's part of the state machine
    title: str  # what a person reads


BOOTSTRAP = Step("bootstrap", "Bootstrap", "Bootstrap warehouse schema")
WINDOW = Step("window", "ChooseWindow", "Choose the window")
PROCESS = Step("process", "ProcessEvents", "Process events")
# One transaction: COPY, quality gate, merges, post-load checks, load log. A failed check
# rolls the load back, so a committed load has always passed them.
LOAD = Step("load", "LoadWarehouse", "Load warehouse (one transaction, checks included)")

PIPELINE_STEPS: tuple[Step, ...] = (BOOTSTRAP, WINDOW, PROCESS, LOAD)
