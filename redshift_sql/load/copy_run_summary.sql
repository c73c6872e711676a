-- The run's load summary into staging.run_summary: the only way the manifest's values reach the
-- load SQL (as data, never as SQL text). Redshift COPYs the JSON document the job wrote; the
-- local loader binds the same document's values as parameters (summary_<column>).
/*redshift:
COPY staging.run_summary
FROM '${run_uri}/load/summary.json'
IAM_ROLE '${iam_role}'
FORMAT AS JSON 'auto';
*/
/*postgres:
INSERT INTO staging.run_summary (
    format_version, run_id, full_refresh, window_since, window_until, high_water_mark,
    counts_read, counts_valid, counts_quarantined, counts_duplicates, counts_time_corrected,
    rows_d_user, rows_d_date, rows_d_device, rows_d_item, rows_f_event, rows_f_session,
    rows_f_revenue, quarantine_by_reason
) VALUES (
    ${summary_format_version}, '${summary_run_id}', ${summary_full_refresh}, '${summary_window_since}', '${summary_window_until}',
    '${summary_high_water_mark}', ${summary_counts_read}, ${summary_counts_valid}, ${summary_counts_quarantined},
    ${summary_counts_duplicates}, ${summary_counts_time_corrected}, ${summary_rows_d_user}, ${summary_rows_d_date},
    ${summary_rows_d_device}, ${summary_rows_d_item}, ${summary_rows_f_event}, ${summary_rows_f_session}, ${summary_rows_f_revenue},
    '${summary_quarantine_by_reason}'
);
*/
