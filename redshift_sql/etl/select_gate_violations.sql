-- Inside the load transaction, before the merges: every quality-gate violation, for the error.
SELECT check_name, table_name, detail
FROM staging.v_gate_violations
ORDER BY check_name, table_name, detail;
