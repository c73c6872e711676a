-- Post-load check: every fact's dimension keys exist (Redshift does not enforce foreign keys).
SELECT 'no_orphan_facts' AS check_name, table_name,
    CAST(COUNT(*) AS varchar(20)) || ' rows whose ' || key_name || ' has no row in '
    || dimension || ', e.g. ' || CAST(MIN(key_value) AS varchar(20)) AS detail
FROM (
    SELECT 'f_session' AS table_name, 'user_key' AS key_name, 'd_user' AS dimension,
        f.user_key AS key_value
    FROM analysis.f_session AS f LEFT JOIN analysis.d_user AS d ON d.user_key = f.user_key
    WHERE d.user_key IS NULL
    UNION ALL
    SELECT 'f_session', 'device_key', 'd_device', f.device_key
    FROM analysis.f_session AS f LEFT JOIN analysis.d_device AS d ON d.device_key = f.device_key
    WHERE d.device_key IS NULL
    UNION ALL
    SELECT 'f_session', 'date_key', 'd_date', f.date_key
    FROM analysis.f_session AS f LEFT JOIN analysis.d_date AS d ON d.date_key = f.date_key
    WHERE d.date_key IS NULL
    UNION ALL
    SELECT 'f_event', 'user_key', 'd_user', f.user_key
    FROM analysis.f_event AS f LEFT JOIN analysis.d_user AS d ON d.user_key = f.user_key
    WHERE d.user_key IS NULL
    UNION ALL
    SELECT 'f_event', 'session_key', 'f_session', f.session_key
    FROM analysis.f_event AS f
    LEFT JOIN analysis.f_session AS d ON d.session_key = f.session_key
    WHERE d.session_key IS NULL
    UNION ALL
    SELECT 'f_event', 'date_key', 'd_date', f.date_key
    FROM analysis.f_event AS f LEFT JOIN analysis.d_date AS d ON d.date_key = f.date_key
    WHERE d.date_key IS NULL
    UNION ALL
    SELECT 'f_event', 'device_key', 'd_device', f.device_key
    FROM analysis.f_event AS f LEFT JOIN analysis.d_device AS d ON d.device_key = f.device_key
    WHERE d.device_key IS NULL
    UNION ALL
    SELECT 'f_revenue', 'user_key', 'd_user', f.user_key
    FROM analysis.f_revenue AS f LEFT JOIN analysis.d_user AS d ON d.user_key = f.user_key
    WHERE d.user_key IS NULL
    UNION ALL
    SELECT 'f_revenue', 'session_key', 'f_session', f.session_key
    FROM analysis.f_revenue AS f
    LEFT JOIN analysis.f_session AS d ON d.session_key = f.session_key
    WHERE d.session_key IS NULL
    UNION ALL
    SELECT 'f_revenue', 'date_key', 'd_date', f.date_key
    FROM analysis.f_revenue AS f LEFT JOIN analysis.d_date AS d ON d.date_key = f.date_key
    WHERE d.date_key IS NULL
    UNION ALL
    SELECT 'f_revenue', 'device_key', 'd_device', f.device_key
    FROM analysis.f_revenue AS f
    LEFT JOIN analysis.d_device AS d ON d.device_key = f.device_key
    WHERE d.device_key IS NULL
    UNION ALL
    SELECT 'f_revenue', 'item_key', 'd_item', f.item_key
    FROM analysis.f_revenue AS f LEFT JOIN analysis.d_item AS d ON d.item_key = f.item_key
    WHERE d.item_key IS NULL
) AS orphans
GROUP BY table_name, key_name, dimension;
