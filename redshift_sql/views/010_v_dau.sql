-- DAU(d): distinct players with at least one valid event on event date d (docs/metrics.md).
-- One row per calendar day of analysis.d_date (0 on a day without events).
CREATE OR REPLACE VIEW analysis.v_dau AS
SELECT d.date_key, d.calendar_date, COUNT(DISTINCT e.user_key) AS dau
FROM analysis.d_date AS d
LEFT JOIN analysis.f_event AS e ON e.date_key = d.date_key
GROUP BY d.date_key, d.calendar_date;
