-- The load's quality gate: every row is one violation (empty = the load may merge).
-- Checked inside the load transaction, after staging is deduplicated and before any MERGE:
-- the load summary (one row, this run, format 1, counts reconcile), row counts equal the
-- summary's, no null keys, one natural key per key in the upsert tables, no
-- conflicting rows in the insert-only tables (a key with two different rows is a conflict, exact
-- duplicates are harmless; for the facts only keys seen twice are compared row by row, which
-- spares a sort of every row), no fact whose dimension key is in neither staging nor analysis.
CREATE OR REPLACE VIEW staging.v_gate_violations AS
-- the load summary: exactly one, of this run, in this format, whose counts reconcile
SELECT
    'run_summary' AS check_name,
    'run_summary' AS table_name,
    'staging.run_summary has ' || CAST(COUNT(*) AS varchar(20))
    || ' rows; a load needs the one load/summary.json of its run' AS detail
FROM staging.run_summary
HAVING COUNT(*) <> 1
UNION ALL
SELECT 'run_summary', 'run_summary',
    'the load summary is of run ' || COALESCE(s.run_id, '(none)') || ', the load is for run '
    || e.run_id
FROM staging.expected_run AS e
LEFT JOIN staging.run_summary AS s ON s.run_id = e.run_id
WHERE s.run_id IS NULL
UNION ALL
SELECT 'run_summary', 'run_summary',
    'format_version ' || COALESCE(CAST(format_version AS varchar(20)), 'null')
    || ', this release loads format_version 1'
FROM staging.run_summary
WHERE format_version IS NULL OR format_version <> 1
UNION ALL
SELECT 'run_summary', 'run_summary',
    'counts do not reconcile: read ' || CAST(counts_read AS varchar(20)) || ' <> valid '
    || CAST(counts_valid AS varchar(20)) || ' + quarantined '
    || CAST(counts_quarantined AS varchar(20)) || ' + duplicates '
    || CAST(counts_duplicates AS varchar(20))
FROM staging.run_summary
WHERE counts_read <> counts_valid + counts_quarantined + counts_duplicates
UNION ALL
SELECT 'run_summary', 'run_summary',
    'counts_valid ' || CAST(counts_valid AS varchar(20)) || ' <> rows_f_event '
    || CAST(rows_f_event AS varchar(20))
FROM staging.run_summary
WHERE counts_valid <> rows_f_event

-- row counts
UNION ALL
SELECT
    'row_count',
    c.table_name,
    'staging has ' || CAST(c.staged_rows AS varchar(20))
    || ' rows, the run manifest says '
    || COALESCE(CAST(c.expected_rows AS varchar(20)), 'nothing')
FROM (
    SELECT
        'd_user' AS table_name,
        (SELECT COUNT(*) FROM staging.d_user) AS staged_rows,
        MAX(rows_d_user) AS expected_rows
    FROM staging.run_summary
    UNION ALL
    SELECT
        'd_date' AS table_name,
        (SELECT COUNT(*) FROM staging.d_date) AS staged_rows,
        MAX(rows_d_date) AS expected_rows
    FROM staging.run_summary
    UNION ALL
    SELECT
        'd_device' AS table_name,
        (SELECT COUNT(*) FROM staging.d_device) AS staged_rows,
        MAX(rows_d_device) AS expected_rows
    FROM staging.run_summary
    UNION ALL
    SELECT
        'd_item' AS table_name,
        (SELECT COUNT(*) FROM staging.d_item) AS staged_rows,
        MAX(rows_d_item) AS expected_rows
    FROM staging.run_summary
    UNION ALL
    SELECT
        'f_session' AS table_name,
        (SELECT COUNT(*) FROM staging.f_session) AS staged_rows,
        MAX(rows_f_session) AS expected_rows
    FROM staging.run_summary
    UNION ALL
    SELECT
        'f_event' AS table_name,
        (SELECT COUNT(*) FROM staging.f_event) AS staged_rows,
        MAX(rows_f_event) AS expected_rows
    FROM staging.run_summary
    UNION ALL
    SELECT
        'f_revenue' AS table_name,
        (SELECT COUNT(*) FROM staging.f_revenue) AS staged_rows,
        MAX(rows_f_revenue) AS expected_rows
    FROM staging.run_summary
) AS c
WHERE c.expected_rows IS NULL OR c.staged_rows <> c.expected_rows

-- null keys
UNION ALL
SELECT 'null_key', 'd_user', CAST(COUNT(*) AS varchar(20)) || ' rows with a null user_key'
FROM staging.d_user WHERE user_key IS NULL HAVING COUNT(*) > 0
UNION ALL
SELECT 'null_key', 'd_date', CAST(COUNT(*) AS varchar(20)) || ' rows with a null date_key'
FROM staging.d_date WHERE date_key IS NULL HAVING COUNT(*) > 0
UNION ALL
SELECT 'null_key', 'd_device', CAST(COUNT(*) AS varchar(20)) || ' rows with a null device_key'
FROM staging.d_device WHERE device_key IS NULL HAVING COUNT(*) > 0
UNION ALL
SELECT 'null_key', 'd_item', CAST(COUNT(*) AS varchar(20)) || ' rows with a null item_key'
FROM staging.d_item WHERE item_key IS NULL HAVING COUNT(*) > 0
UNION ALL
SELECT 'null_key', 'f_session', CAST(COUNT(*) AS varchar(20))
    || ' rows with a null session_key, user_key, device_key or date_key'
FROM staging.f_session
WHERE session_key IS NULL OR user_key IS NULL OR device_key IS NULL OR date_key IS NULL
HAVING COUNT(*) > 0
UNION ALL
SELECT 'null_key', 'f_event', CAST(COUNT(*) AS varchar(20))
    || ' rows with a null event_key, user_key, session_key, date_key or device_key'
FROM staging.f_event
WHERE event_key IS NULL OR user_key IS NULL OR session_key IS NULL OR date_key IS NULL
    OR device_key IS NULL
HAVING COUNT(*) > 0
UNION ALL
SELECT 'null_key', 'f_revenue', CAST(COUNT(*) AS varchar(20))
    || ' rows with a null event_key, user_key, session_key, date_key, device_key or item_key'
FROM staging.f_revenue
WHERE event_key IS NULL OR user_key IS NULL OR session_key IS NULL OR date_key IS NULL
    OR device_key IS NULL OR item_key IS NULL
HAVING COUNT(*) > 0

-- keys: rows of an upsert table's key may repeat in a run (they merge by the rules), but a
-- key stands for one natural key (user_key = hash(user_id), session_key = hash(session_id)):
-- two natural keys under one key are a hash collision or a corrupted run, and never merge
UNION ALL
SELECT 'keys_unique', 'd_user', CAST(COUNT(*) AS varchar(20))
    || ' user_key value(s) with more than one user_id, e.g. ' || CAST(MIN(k) AS varchar(20))
FROM (
    SELECT user_key AS k FROM staging.d_user
    GROUP BY user_key HAVING COUNT(DISTINCT user_id) > 1
) AS d
HAVING COUNT(*) > 0
UNION ALL
SELECT 'keys_unique', 'f_session', CAST(COUNT(*) AS varchar(20))
    || ' session_key value(s) with more than one session_id, e.g. '
    || CAST(MIN(k) AS varchar(20))
FROM (
    SELECT session_key AS k FROM staging.f_session
    GROUP BY session_key HAVING COUNT(DISTINCT session_id) > 1
) AS d
HAVING COUNT(*) > 0
UNION ALL
SELECT 'keys_unique', 'd_date', CAST(COUNT(*) AS varchar(20))
    || ' date_key value(s) with conflicting rows, e.g. ' || CAST(MIN(k) AS varchar(20))
FROM (
    SELECT date_key AS k FROM (SELECT DISTINCT * FROM staging.d_date) AS r
    GROUP BY date_key HAVING COUNT(*) > 1
) AS d
HAVING COUNT(*) > 0
UNION ALL
SELECT 'keys_unique', 'd_device', CAST(COUNT(*) AS varchar(20))
    || ' device_key value(s) with conflicting rows, e.g. ' || CAST(MIN(k) AS varchar(20))
FROM (
    SELECT device_key AS k FROM (SELECT DISTINCT * FROM staging.d_device) AS r
    GROUP BY device_key HAVING COUNT(*) > 1
) AS d
HAVING COUNT(*) > 0
UNION ALL
SELECT 'keys_unique', 'd_item', CAST(COUNT(*) AS varchar(20))
    || ' item_key value(s) with conflicting rows, e.g. ' || CAST(MIN(k) AS varchar(20))
FROM (
    SELECT item_key AS k FROM (SELECT DISTINCT * FROM staging.d_item) AS r
    GROUP BY item_key HAVING COUNT(*) > 1
) AS d
HAVING COUNT(*) > 0
UNION ALL
SELECT 'keys_unique', 'f_event', CAST(COUNT(*) AS varchar(20))
    || ' event_key value(s) with conflicting rows, e.g. ' || CAST(MIN(k) AS varchar(20))
FROM (
    SELECT event_key AS k FROM (
        SELECT DISTINCT * FROM staging.f_event
        WHERE event_key IN (
            SELECT event_key FROM staging.f_event GROUP BY event_key HAVING COUNT(*) > 1
        )
    ) AS r
    GROUP BY event_key HAVING COUNT(*) > 1
) AS d
HAVING COUNT(*) > 0
UNION ALL
SELECT 'keys_unique', 'f_revenue', CAST(COUNT(*) AS varchar(20))
    || ' event_key value(s) with conflicting rows, e.g. ' || CAST(MIN(k) AS varchar(20))
FROM (
    SELECT event_key AS k FROM (
        SELECT DISTINCT * FROM staging.f_revenue
        WHERE event_key IN (
            SELECT event_key FROM staging.f_revenue GROUP BY event_key HAVING COUNT(*) > 1
        )
    ) AS r
    GROUP BY event_key HAVING COUNT(*) > 1
) AS d
HAVING COUNT(*) > 0

-- no orphan facts: every dimension key is in staging (this run) or in analysis (earlier runs)
UNION ALL
SELECT 'orphan_fact', 'f_session', CAST(COUNT(*) AS varchar(20))
    || ' rows whose user_key is in neither staging nor analysis.d_user, e.g. '
    || CAST(MIN(f.user_key) AS varchar(20))
FROM staging.f_session AS f
LEFT JOIN (SELECT DISTINCT user_key FROM staging.d_user) AS s ON s.user_key = f.user_key
LEFT JOIN analysis.d_user AS a ON a.user_key = f.user_key
WHERE f.user_key IS NOT NULL AND s.user_key IS NULL AND a.user_key IS NULL
HAVING COUNT(*) > 0
UNION ALL
SELECT 'orphan_fact', 'f_session', CAST(COUNT(*) AS varchar(20))
    || ' rows whose device_key is in neither staging nor analysis.d_device, e.g. '
    || CAST(MIN(f.device_key) AS varchar(20))
FROM staging.f_session AS f
LEFT JOIN (SELECT DISTINCT device_key FROM staging.d_device) AS s ON s.device_key = f.device_key
LEFT JOIN analysis.d_device AS a ON a.device_key = f.device_key
WHERE f.device_key IS NOT NULL AND s.device_key IS NULL AND a.device_key IS NULL
HAVING COUNT(*) > 0
UNION ALL
SELECT 'orphan_fact', 'f_session', CAST(COUNT(*) AS varchar(20))
    || ' rows whose date_key is in neither staging nor analysis.d_date, e.g. '
    || CAST(MIN(f.date_key) AS varchar(20))
FROM staging.f_session AS f
LEFT JOIN (SELECT DISTINCT date_key FROM staging.d_date) AS s ON s.date_key = f.date_key
LEFT JOIN analysis.d_date AS a ON a.date_key = f.date_key
WHERE f.date_key IS NOT NULL AND s.date_key IS NULL AND a.date_key IS NULL
HAVING COUNT(*) > 0
UNION ALL
SELECT 'orphan_fact', 'f_event', CAST(COUNT(*) AS varchar(20))
    || ' rows whose user_key is in neither staging nor analysis.d_user, e.g. '
    || CAST(MIN(f.user_key) AS varchar(20))
FROM staging.f_event AS f
LEFT JOIN (SELECT DISTINCT user_key FROM staging.d_user) AS s ON s.user_key = f.user_key
LEFT JOIN analysis.d_user AS a ON a.user_key = f.user_key
WHERE f.user_key IS NOT NULL AND s.user_key IS NULL AND a.user_key IS NULL
HAVING COUNT(*) > 0
UNION ALL
SELECT 'orphan_fact', 'f_event', CAST(COUNT(*) AS varchar(20))
    || ' rows whose session_key is in neither staging nor analysis.f_session, e.g. '
    || CAST(MIN(f.session_key) AS varchar(20))
FROM staging.f_event AS f
LEFT JOIN (SELECT DISTINCT session_key FROM staging.f_session) AS s
    ON s.session_key = f.session_key
LEFT JOIN analysis.f_session AS a ON a.session_key = f.session_key
WHERE f.session_key IS NOT NULL AND s.session_key IS NULL AND a.session_key IS NULL
HAVING COUNT(*) > 0
UNION ALL
SELECT 'orphan_fact', 'f_event', CAST(COUNT(*) AS varchar(20))
    || ' rows whose date_key is in neither staging nor analysis.d_date, e.g. '
    || CAST(MIN(f.date_key) AS varchar(20))
FROM staging.f_event AS f
LEFT JOIN (SELECT DISTINCT date_key FROM staging.d_date) AS s ON s.date_key = f.date_key
LEFT JOIN analysis.d_date AS a ON a.date_key = f.date_key
WHERE f.date_key IS NOT NULL AND s.date_key IS NULL AND a.date_key IS NULL
HAVING COUNT(*) > 0
UNION ALL
SELECT 'orphan_fact', 'f_event', CAST(COUNT(*) AS varchar(20))
    || ' rows whose device_key is in neither staging nor analysis.d_device, e.g. '
    || CAST(MIN(f.device_key) AS varchar(20))
FROM staging.f_event AS f
LEFT JOIN (SELECT DISTINCT device_key FROM staging.d_device) AS s ON s.device_key = f.device_key
LEFT JOIN analysis.d_device AS a ON a.device_key = f.device_key
WHERE f.device_key IS NOT NULL AND s.device_key IS NULL AND a.device_key IS NULL
HAVING COUNT(*) > 0
UNION ALL
SELECT 'orphan_fact', 'f_revenue', CAST(COUNT(*) AS varchar(20))
    || ' rows whose user_key is in neither staging nor analysis.d_user, e.g. '
    || CAST(MIN(f.user_key) AS varchar(20))
FROM staging.f_revenue AS f
LEFT JOIN (SELECT DISTINCT user_key FROM staging.d_user) AS s ON s.user_key = f.user_key
LEFT JOIN analysis.d_user AS a ON a.user_key = f.user_key
WHERE f.user_key IS NOT NULL AND s.user_key IS NULL AND a.user_key IS NULL
HAVING COUNT(*) > 0
UNION ALL
SELECT 'orphan_fact', 'f_revenue', CAST(COUNT(*) AS varchar(20))
    || ' rows whose session_key is in neither staging nor analysis.f_session, e.g. '
    || CAST(MIN(f.session_key) AS varchar(20))
FROM staging.f_revenue AS f
LEFT JOIN (SELECT DISTINCT session_key FROM staging.f_session) AS s
    ON s.session_key = f.session_key
LEFT JOIN analysis.f_session AS a ON a.session_key = f.session_key
WHERE f.session_key IS NOT NULL AND s.session_key IS NULL AND a.session_key IS NULL
HAVING COUNT(*) > 0
UNION ALL
SELECT 'orphan_fact', 'f_revenue', CAST(COUNT(*) AS varchar(20))
    || ' rows whose date_key is in neither staging nor analysis.d_date, e.g. '
    || CAST(MIN(f.date_key) AS varchar(20))
FROM staging.f_revenue AS f
LEFT JOIN (SELECT DISTINCT date_key FROM staging.d_date) AS s ON s.date_key = f.date_key
LEFT JOIN analysis.d_date AS a ON a.date_key = f.date_key
WHERE f.date_key IS NOT NULL AND s.date_key IS NULL AND a.date_key IS NULL
HAVING COUNT(*) > 0
UNION ALL
SELECT 'orphan_fact', 'f_revenue', CAST(COUNT(*) AS varchar(20))
    || ' rows whose device_key is in neither staging nor analysis.d_device, e.g. '
    || CAST(MIN(f.device_key) AS varchar(20))
FROM staging.f_revenue AS f
LEFT JOIN (SELECT DISTINCT device_key FROM staging.d_device) AS s ON s.device_key = f.device_key
LEFT JOIN analysis.d_device AS a ON a.device_key = f.device_key
WHERE f.device_key IS NOT NULL AND s.device_key IS NULL AND a.device_key IS NULL
HAVING COUNT(*) > 0
UNION ALL
SELECT 'orphan_fact', 'f_revenue', CAST(COUNT(*) AS varchar(20))
    || ' rows whose item_key is in neither staging nor analysis.d_item, e.g. '
    || CAST(MIN(f.item_key) AS varchar(20))
FROM staging.f_revenue AS f
LEFT JOIN (SELECT DISTINCT item_key FROM staging.d_item) AS s ON s.item_key = f.item_key
LEFT JOIN analysis.d_item AS a ON a.item_key = f.item_key
WHERE f.item_key IS NOT NULL AND s.item_key IS NULL AND a.item_key IS NULL
HAVING COUNT(*) > 0;
