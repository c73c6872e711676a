-- Post-load check: every analysis table's key is unique (Redshift does not enforce primary keys).
SELECT 'keys_unique' AS check_name, table_name,
    CAST(COUNT(*) AS varchar(20)) || ' duplicated key value(s), e.g. '
    || CAST(MIN(key_value) AS varchar(20)) AS detail
FROM (
    SELECT 'd_user' AS table_name, user_key AS key_value
    FROM analysis.d_user GROUP BY user_key HAVING COUNT(*) > 1
    UNION ALL
    SELECT 'd_date', date_key FROM analysis.d_date GROUP BY date_key HAVING COUNT(*) > 1
    UNION ALL
    SELECT 'd_device', device_key FROM analysis.d_device GROUP BY device_key HAVING COUNT(*) > 1
    UNION ALL
    SELECT 'd_item', item_key FROM analysis.d_item GROUP BY item_key HAVING COUNT(*) > 1
    UNION ALL
    SELECT 'f_session', session_key
    FROM analysis.f_session GROUP BY session_key HAVING COUNT(*) > 1
    UNION ALL
    SELECT 'f_event', event_key FROM analysis.f_event GROUP BY event_key HAVING COUNT(*) > 1
    UNION ALL
    SELECT 'f_revenue', event_key FROM analysis.f_revenue GROUP BY event_key HAVING COUNT(*) > 1
) AS duplicates
GROUP BY table_name;
