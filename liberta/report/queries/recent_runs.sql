-- The latest load attempts with their quarantine counts per reason.
SELECT l.run_id, l.status, l.finished_at, l.rows_read, l.rows_valid, l.rows_quarantined,
       l.rows_duplicates, q.reason, q.records
FROM (
    SELECT * FROM etl.load_log ORDER BY started_at DESC LIMIT %(limit)s
) AS l
LEFT JOIN etl.quarantine_summary AS q
    ON q.run_id = l.run_id AND q.started_at = l.started_at
ORDER BY l.started_at DESC, q.records DESC
