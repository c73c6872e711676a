-- The latest load attempts, newest first.
SELECT
    run_id, status, started_at, finished_at, window_since, window_until, full_refresh,
    high_water_mark, rows_read, rows_valid, rows_quarantined, rows_duplicates,
    rows_time_corrected, error, failed_step
FROM etl.load_log
ORDER BY started_at DESC, run_id
LIMIT ${limit};
