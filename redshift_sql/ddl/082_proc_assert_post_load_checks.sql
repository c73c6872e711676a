-- Fails the load (RAISE aborts the transaction: nothing of it is committed) when a post-load
-- check finds a violation. Works the same on Redshift (inside the Data API batch) and Postgres.
CREATE OR REPLACE PROCEDURE etl.assert_post_load_checks()
AS $$
DECLARE
    violation_count integer;
    first_violation varchar(1024);
BEGIN
    SELECT INTO violation_count COUNT(*) FROM staging.v_post_load_violations;
    IF violation_count > 0 THEN
        SELECT INTO first_violation check_name || ' ' || table_name || ': ' || detail
        FROM staging.v_post_load_violations
        ORDER BY check_name, table_name, detail
        LIMIT 1;
        RAISE EXCEPTION 'post-load checks failed with % violation(s); first: %',
            violation_count, first_violation;
    END IF;
END;
$$ LANGUAGE plpgsql;
