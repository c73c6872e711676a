-- Fails the load (RAISE aborts the transaction: nothing is merged) when the quality gate finds a
-- violation. Works the same on Redshift (inside the Data API batch) and on Postgres.
CREATE OR REPLACE PROCEDURE etl.assert_load_gate()
AS $$
DECLARE
    violation_count integer;
    first_violation varchar(1024);
BEGIN
    SELECT INTO violation_count COUNT(*) FROM staging.v_gate_violations;
    IF violation_count > 0 THEN
        SELECT INTO first_violation check_name || ' ' || table_name || ': ' || detail
        FROM staging.v_gate_violations
        ORDER BY check_name, table_name, detail
        LIMIT 1;
        RAISE EXCEPTION 'load quality gate failed with % violation(s); first: %',
            violation_count, first_violation;
    END IF;
END;
$$ LANGUAGE plpgsql;
