-- sessions(d): distinct session_id with a valid event on d (a session crossing midnight counts
-- on both days).
CREATE OR REPLACE VIEW analysis.v_sessions AS
SELECT d.date_key, d.calendar_date, COUNT(DISTINCT e.session_key) AS sessions
FROM analysis.d_date AS d
LEFT JOIN analysis.f_event AS e ON e.date_key = d.date_key
GROUP BY d.date_key, d.calendar_date;
