-- Aborts the load transaction when staging.v_gate_violations has any row.
CALL etl.assert_load_gate();
