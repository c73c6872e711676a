"""The pipeline state machine, one module per part (see state_machine.py for the order)."""
