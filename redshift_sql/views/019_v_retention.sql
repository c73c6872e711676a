-- retention Dn(c): share of the players installed on c with a valid event on c + n (n = 1, 7,
-- 30). One row per install cohort. A share is null while c + n is after the last day with
-- events (not observable yet), so an immature cohort never shows a false 0.
CREATE OR REPLACE VIEW analysis.v_retention AS
SELECT
    cd.date_key AS cohort_date_key,
    k.cohort_date,
    k.cohort_size,
    k.d1_retained,
    k.d7_retained,
    k.d30_retained,
    CASE WHEN k.observed_days >= 1
        THEN CAST(k.d1_retained AS double precision) / k.cohort_size END AS d1_retention,
    CASE WHEN k.observed_days >= 7
        THEN CAST(k.d7_retained AS double precision) / k.cohort_size END AS d7_retention,
    CASE WHEN k.observed_days >= 30
        THEN CAST(k.d30_retained AS double precision) / k.cohort_size END AS d30_retention
FROM (
    SELECT
        c.install_date AS cohort_date,
        MAX(/*redshift: DATEDIFF(day, c.install_date, l.last_event_date) *//*postgres: l.last_event_date - c.install_date */)
            AS observed_days,
        COUNT(DISTINCT c.user_key) AS cohort_size,
        COUNT(DISTINCT CASE WHEN r.day_n = 1 THEN r.user_key END) AS d1_retained,
        COUNT(DISTINCT CASE WHEN r.day_n = 7 THEN r.user_key END) AS d7_retained,
        COUNT(DISTINCT CASE WHEN r.day_n = 30 THEN r.user_key END) AS d30_retained
    FROM analysis.d_user AS c
    LEFT JOIN (
        SELECT DISTINCT
            u.user_key,
            /*redshift: DATEDIFF(day, u.install_date, d.calendar_date) *//*postgres: d.calendar_date - u.install_date */
                AS day_n
        FROM analysis.d_user AS u
        JOIN analysis.f_event AS e ON e.user_key = u.user_key
        JOIN analysis.d_date AS d ON d.date_key = e.date_key
        WHERE u.install_date IS NOT NULL
    ) AS r ON r.user_key = c.user_key AND r.day_n IN (1, 7, 30)
    CROSS JOIN (
        SELECT MAX(d.calendar_date) AS last_event_date
        FROM analysis.f_event AS e
        JOIN analysis.d_date AS d ON d.date_key = e.date_key
    ) AS l
    WHERE c.install_date IS NOT NULL
    GROUP BY c.install_date
) AS k
LEFT JOIN analysis.d_date AS cd ON cd.calendar_date = k.cohort_date;
