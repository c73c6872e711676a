-- The post-load checks, inside the load transaction after the merges and before the load log:
-- a violation rolls the whole load back (etl.assert_post_load_checks), so a load that breaks
-- them is never committed, and the watermark does not move. Every row is one violation.
-- The analysis rows of this run's keys are checked (Redshift enforces neither primary nor
-- foreign keys); every earlier load was checked the same way, so the tables stay sound.
CREATE OR REPLACE VIEW staging.v_post_load_violations AS
-- keys unique after the merges
SELECT 'keys_unique' AS check_name, table_name,
    CAST(COUNT(*) AS varchar(20)) || ' duplicated key value(s), e.g. '
    || CAST(MIN(key_value) AS varchar(20)) AS detail
FROM (
    SELECT 'd_user' AS table_name, a.user_key AS key_value
    FROM analysis.d_user AS a
    WHERE a.user_key IN (SELECT user_key FROM staging.d_user)
    GROUP BY a.user_key HAVING COUNT(*) > 1
    UNION ALL
    SELECT 'd_date' AS table_name, a.date_key AS key_value
    FROM analysis.d_date AS a
    WHERE a.date_key IN (SELECT date_key FROM staging.d_date)
    GROUP BY a.date_key HAVING COUNT(*) > 1
    UNION ALL
    SELECT 'd_device' AS table_name, a.device_key AS key_value
    FROM analysis.d_device AS a
    WHERE a.device_key IN (SELECT device_key FROM staging.d_device)
    GROUP BY a.device_key HAVING COUNT(*) > 1
    UNION ALL
    SELECT 'd_item' AS table_name, a.item_key AS key_value
    FROM analysis.d_item AS a
    WHERE a.item_key IN (SELECT item_key FROM staging.d_item)
    GROUP BY a.item_key HAVING COUNT(*) > 1
    UNION ALL
    SELECT 'f_session' AS table_name, a.session_key AS key_value
    FROM analysis.f_session AS a
    WHERE a.session_key IN (SELECT session_key FROM staging.f_session)
    GROUP BY a.session_key HAVING COUNT(*) > 1
    UNION ALL
    SELECT 'f_event' AS table_name, a.event_key AS key_value
    FROM analysis.f_event AS a
    WHERE a.event_key IN (SELECT event_key FROM staging.f_event)
    GROUP BY a.event_key HAVING COUNT(*) > 1
    UNION ALL
    SELECT 'f_revenue' AS table_name, a.event_key AS key_value
    FROM analysis.f_revenue AS a
    WHERE a.event_key IN (SELECT event_key FROM staging.f_revenue)
    GROUP BY a.event_key HAVING COUNT(*) > 1
) AS duplicates
GROUP BY table_name

-- no null keys (NOT NULL columns, also checked here for tables of older releases)
UNION ALL
SELECT 'no_null_keys', table_name,
    CAST(rows_with_null_key AS varchar(20)) || ' rows with a null key'
FROM (
    SELECT 'd_user' AS table_name, COUNT(*) AS rows_with_null_key
    FROM analysis.d_user
    WHERE user_key IS NULL
    UNION ALL
    SELECT 'd_date' AS table_name, COUNT(*) AS rows_with_null_key
    FROM analysis.d_date
    WHERE date_key IS NULL
    UNION ALL
    SELECT 'd_device' AS table_name, COUNT(*) AS rows_with_null_key
    FROM analysis.d_device
    WHERE device_key IS NULL
    UNION ALL
    SELECT 'd_item' AS table_name, COUNT(*) AS rows_with_null_key
    FROM analysis.d_item
    WHERE item_key IS NULL
    UNION ALL
    SELECT 'f_session' AS table_name, COUNT(*) AS rows_with_null_key
    FROM analysis.f_session
    WHERE session_key IS NULL OR user_key IS NULL OR device_key IS NULL OR date_key IS NULL
    UNION ALL
    SELECT 'f_event' AS table_name, COUNT(*) AS rows_with_null_key
    FROM analysis.f_event
    WHERE event_key IS NULL OR user_key IS NULL OR session_key IS NULL OR date_key IS NULL
        OR device_key IS NULL
    UNION ALL
    SELECT 'f_revenue' AS table_name, COUNT(*) AS rows_with_null_key
    FROM analysis.f_revenue
    WHERE event_key IS NULL OR user_key IS NULL OR session_key IS NULL OR date_key IS NULL
        OR device_key IS NULL OR item_key IS NULL
) AS counts
WHERE rows_with_null_key > 0

-- no orphan facts: every key of this run's facts has its dimension row
UNION ALL
SELECT 'no_orphan_facts', table_name,
    CAST(COUNT(*) AS varchar(20)) || ' rows whose ' || key_name || ' has no row in '
    || dimension || ', e.g. ' || CAST(MIN(key_value) AS varchar(20))
FROM (
    SELECT 'f_session' AS table_name, 'user_key' AS key_name, 'd_user' AS dimension, f.user_key AS key_value
    FROM analysis.f_session AS f
    LEFT JOIN analysis.d_user AS d ON d.user_key = f.user_key
    WHERE d.user_key IS NULL AND f.session_key IN (SELECT session_key FROM staging.f_session)
    UNION ALL
    SELECT 'f_session' AS table_name, 'device_key' AS key_name, 'd_device' AS dimension, f.device_key AS key_value
    FROM analysis.f_session AS f
    LEFT JOIN analysis.d_device AS d ON d.device_key = f.device_key
    WHERE d.device_key IS NULL AND f.session_key IN (SELECT session_key FROM staging.f_session)
    UNION ALL
    SELECT 'f_session' AS table_name, 'date_key' AS key_name, 'd_date' AS dimension, f.date_key AS key_value
    FROM analysis.f_session AS f
    LEFT JOIN analysis.d_date AS d ON d.date_key = f.date_key
    WHERE d.date_key IS NULL AND f.session_key IN (SELECT session_key FROM staging.f_session)
    UNION ALL
    SELECT 'f_event' AS table_name, 'user_key' AS key_name, 'd_user' AS dimension, f.user_key AS key_value
    FROM analysis.f_event AS f
    LEFT JOIN analysis.d_user AS d ON d.user_key = f.user_key
    WHERE d.user_key IS NULL AND f.event_key IN (SELECT event_key FROM staging.f_event)
    UNION ALL
    SELECT 'f_event' AS table_name, 'session_key' AS key_name, 'f_session' AS dimension, f.session_key AS key_value
    FROM analysis.f_event AS f
    LEFT JOIN analysis.f_session AS d ON d.session_key = f.session_key
    WHERE d.session_key IS NULL AND f.event_key IN (SELECT event_key FROM staging.f_event)
    UNION ALL
    SELECT 'f_event' AS table_name, 'date_key' AS key_name, 'd_date' AS dimension, f.date_key AS key_value
    FROM analysis.f_event AS f
    LEFT JOIN analysis.d_date AS d ON d.date_key = f.date_key
    WHERE d.date_key IS NULL AND f.event_key IN (SELECT event_key FROM staging.f_event)
    UNION ALL
    SELECT 'f_event' AS table_name, 'device_key' AS key_name, 'd_device' AS dimension, f.device_key AS key_value
    FROM analysis.f_event AS f
    LEFT JOIN analysis.d_device AS d ON d.device_key = f.device_key
    WHERE d.device_key IS NULL AND f.event_key IN (SELECT event_key FROM staging.f_event)
    UNION ALL
    SELECT 'f_revenue' AS table_name, 'user_key' AS key_name, 'd_user' AS dimension, f.user_key AS key_value
    FROM analysis.f_revenue AS f
    LEFT JOIN analysis.d_user AS d ON d.user_key = f.user_key
    WHERE d.user_key IS NULL AND f.event_key IN (SELECT event_key FROM staging.f_revenue)
    UNION ALL
    SELECT 'f_revenue' AS table_name, 'session_key' AS key_name, 'f_session' AS dimension, f.session_key AS key_value
    FROM analysis.f_revenue AS f
    LEFT JOIN analysis.f_session AS d ON d.session_key = f.session_key
    WHERE d.session_key IS NULL AND f.event_key IN (SELECT event_key FROM staging.f_revenue)
    UNION ALL
    SELECT 'f_revenue' AS table_name, 'date_key' AS key_name, 'd_date' AS dimension, f.date_key AS key_value
    FROM analysis.f_revenue AS f
    LEFT JOIN analysis.d_date AS d ON d.date_key = f.date_key
    WHERE d.date_key IS NULL AND f.event_key IN (SELECT event_key FROM staging.f_revenue)
    UNION ALL
    SELECT 'f_revenue' AS table_name, 'device_key' AS key_name, 'd_device' AS dimension, f.device_key AS key_value
    FROM analysis.f_revenue AS f
    LEFT JOIN analysis.d_device AS d ON d.device_key = f.device_key
    WHERE d.device_key IS NULL AND f.event_key IN (SELECT event_key FROM staging.f_revenue)
    UNION ALL
    SELECT 'f_revenue' AS table_name, 'item_key' AS key_name, 'd_item' AS dimension, f.item_key AS key_value
    FROM analysis.f_revenue AS f
    LEFT JOIN analysis.d_item AS d ON d.item_key = f.item_key
    WHERE d.item_key IS NULL AND f.event_key IN (SELECT event_key FROM staging.f_revenue)
) AS orphans
GROUP BY table_name, key_name, dimension;
