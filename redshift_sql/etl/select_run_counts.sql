-- After a committed load: the run's counts and rows staged per table, for the state machine's
-- metrics and notification (one small row, instead of carrying the manifest through its state).
-- Parameter run_id (text): the run that was just loaded.
SELECT
    l.rows_read,
    l.rows_valid,
    l.rows_quarantined,
    l.rows_duplicates,
    CAST(SUM(CASE WHEN s.table_name = 'd_user' THEN s.rows_staged ELSE 0 END) AS bigint) AS rows_d_user,
    CAST(SUM(CASE WHEN s.table_name = 'd_date' THEN s.rows_staged ELSE 0 END) AS bigint) AS rows_d_date,
    CAST(SUM(CASE WHEN s.table_name = 'd_device' THEN s.rows_staged ELSE 0 END) AS bigint) AS rows_d_device,
    CAST(SUM(CASE WHEN s.table_name = 'd_item' THEN s.rows_staged ELSE 0 END) AS bigint) AS rows_d_item,
    CAST(SUM(CASE WHEN s.table_name = 'f_event' THEN s.rows_staged ELSE 0 END) AS bigint) AS rows_f_event,
    CAST(SUM(CASE WHEN s.table_name = 'f_session' THEN s.rows_staged ELSE 0 END) AS bigint) AS rows_f_session,
    CAST(SUM(CASE WHEN s.table_name = 'f_revenue' THEN s.rows_staged ELSE 0 END) AS bigint) AS rows_f_revenue
FROM etl.load_log AS l
JOIN etl.load_table_stats AS s ON s.run_id = l.run_id AND s.started_at = l.started_at
WHERE l.run_id = '${run_id}' AND l.status = 'succeeded'
GROUP BY l.started_at, l.rows_read, l.rows_valid, l.rows_quarantined, l.rows_duplicates
ORDER BY l.started_at DESC
LIMIT 1;
