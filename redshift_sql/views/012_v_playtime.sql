-- playtime(d): sum of `length` (seconds) of valid session_end events on d.
CREATE OR REPLACE VIEW analysis.v_playtime AS
SELECT
    d.date_key,
    d.calendar_date,
    COALESCE(SUM(CASE WHEN e.category = 'session_end' THEN e.length_s END), 0) AS playtime_s
FROM analysis.d_date AS d
LEFT JOIN analysis.f_event AS e ON e.date_key = d.date_key
GROUP BY d.date_key, d.calendar_date;
