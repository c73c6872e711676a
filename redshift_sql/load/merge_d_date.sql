-- Calendar days: insert when new (a date never changes).
INSERT INTO analysis.d_date (
    date_key, calendar_date, year, quarter, month, day_of_month, day_of_week, iso_week,
    is_weekend, month_name, day_name
)
SELECT DISTINCT
    s.date_key, s.calendar_date, s.year, s.quarter, s.month, s.day_of_month, s.day_of_week,
    s.iso_week, s.is_weekend, s.month_name, s.day_name
FROM staging.d_date AS s
LEFT JOIN analysis.d_date AS a ON a.date_key = s.date_key
WHERE a.date_key IS NULL;
