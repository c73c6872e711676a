-- Post-load check: no analysis row has a null key or a null dimension key.
SELECT 'no_null_keys' AS check_name, table_name,
    CAST(rows_with_null_key AS varchar(20)) || ' rows with a null key' AS detail
FROM (
    SELECT 'd_user' AS table_name, COUNT(*) AS rows_with_null_key
    FROM analysis.d_user WHERE user_key IS NULL
    UNION ALL
    SELECT 'd_date', COUNT(*) FROM analysis.d_date WHERE date_key IS NULL
    UNION ALL
    SELECT 'd_device', COUNT(*) FROM analysis.d_device WHERE device_key IS NULL
    UNION ALL
    SELECT 'd_item', COUNT(*) FROM analysis.d_item WHERE item_key IS NULL
    UNION ALL
    SELECT 'f_session', COUNT(*) FROM analysis.f_session
    WHERE session_key IS NULL OR user_key IS NULL OR device_key IS NULL OR date_key IS NULL
    UNION ALL
    SELECT 'f_event', COUNT(*) FROM analysis.f_event
    WHERE event_key IS NULL OR user_key IS NULL OR session_key IS NULL OR date_key IS NULL
        OR device_key IS NULL
    UNION ALL
    SELECT 'f_revenue', COUNT(*) FROM analysis.f_revenue
    WHERE event_key IS NULL OR user_key IS NULL OR session_key IS NULL OR date_key IS NULL
        OR device_key IS NULL OR item_key IS NULL
) AS counts
WHERE rows_with_null_key > 0;
