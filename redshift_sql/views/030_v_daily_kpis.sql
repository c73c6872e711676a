-- Every daily figure of docs/metrics.md in one row per calendar day, plus the retention of the
-- cohort installed that day. Computed from the facts in one pass each (same definitions as the
-- per-figure views, which the tests hold to the same hand-computed values): joining the
-- per-figure views instead made Postgres spend seconds planning.
CREATE OR REPLACE VIEW analysis.v_daily_kpis AS
SELECT
    d.date_key,
    d.calendar_date,
    COALESCE(e.dau, 0) AS dau,
    COALESCE(e.sessions, 0) AS sessions,
    COALESCE(e.playtime_s, 0) AS playtime_s,
    CAST(COALESCE(r.revenue_usd, 0) AS decimal(18, 6)) AS revenue_usd,
    COALESCE(r.payments, 0) AS payments,
    COALESCE(r.payers, 0) AS payers,
    COALESCE(n.new_payers, 0) AS new_payers,
    SUM(COALESCE(n.new_payers, 0)) OVER (
        ORDER BY d.date_key ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW
    ) AS paying_players,
    CAST(COALESCE(n.new_payers, 0) AS double precision) / NULLIF(e.dau, 0) AS conversion,
    CAST(COALESCE(r.revenue_usd, 0) AS double precision) / NULLIF(e.dau, 0) AS arpdau,
    COALESCE(i.installs, 0) AS installs,
    rt.d1_retention,
    rt.d7_retention,
    rt.d30_retention
FROM analysis.d_date AS d
LEFT JOIN (
    SELECT
        date_key,
        COUNT(DISTINCT user_key) AS dau,
        COUNT(DISTINCT session_key) AS sessions,
        SUM(CASE WHEN category = 'session_end' THEN length_s END) AS playtime_s
    FROM analysis.f_event
    GROUP BY date_key
) AS e ON e.date_key = d.date_key
LEFT JOIN (
    SELECT
        date_key,
        SUM(amount_usd) AS revenue_usd,
        COUNT(*) AS payments,
        COUNT(DISTINCT user_key) AS payers
    FROM analysis.f_revenue
    GROUP BY date_key
) AS r ON r.date_key = d.date_key
LEFT JOIN (
    SELECT first_payment_date_key, COUNT(*) AS new_payers
    FROM (
        SELECT user_key, MIN(date_key) AS first_payment_date_key
        FROM analysis.f_revenue
        GROUP BY user_key
    ) AS p
    GROUP BY first_payment_date_key
) AS n ON n.first_payment_date_key = d.date_key
LEFT JOIN (
    SELECT install_date, COUNT(*) AS installs
    FROM analysis.d_user
    GROUP BY install_date
) AS i ON i.install_date = d.calendar_date
LEFT JOIN analysis.v_retention AS rt ON rt.cohort_date_key = d.date_key;
