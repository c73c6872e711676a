-- Per-table row counts of the loads listed by list_runs.sql (same window of attempts).
SELECT s.run_id, s.started_at, s.table_name, s.rows_staged, s.rows_inserted, s.rows_updated
FROM etl.load_table_stats AS s
JOIN (
    SELECT run_id, started_at FROM etl.load_log ORDER BY started_at DESC, run_id LIMIT ${limit}
) AS l ON l.run_id = s.run_id AND l.started_at = s.started_at
ORDER BY s.started_at DESC, s.run_id, s.table_name;
