-- Inside the load transaction, after the merges: every post-load check violation, for the error.
SELECT check_name, table_name, detail
FROM staging.v_post_load_violations
ORDER BY check_name, table_name, detail;
