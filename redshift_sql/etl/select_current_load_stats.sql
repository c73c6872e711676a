-- Inside the load transaction: the per-table stats this load recorded.
SELECT table_name, rows_staged, rows_inserted, rows_updated
FROM etl.load_table_stats
WHERE run_id = '${run_id}'
    AND started_at = /*redshift: SYSDATE *//*postgres: CAST(now() AT TIME ZONE 'UTC' AS timestamp) */
ORDER BY table_name;
