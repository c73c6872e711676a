-- installs(d): players whose install date (earliest user_meta.install_ts seen) is d.
CREATE OR REPLACE VIEW analysis.v_installs AS
SELECT d.date_key, d.calendar_date, COUNT(u.user_key) AS installs
FROM analysis.d_date AS d
LEFT JOIN analysis.d_user AS u ON u.install_date = d.calendar_date
GROUP BY d.date_key, d.calendar_date;
