-- Every daily figure of metrics.md in one row per calendar day, plus the retention of the
-- cohort installed that day.
CREATE OR REPLACE VIEW analysis.v_daily_kpis AS
SELECT
    a.date_key,
    a.calendar_date,
    a.dau,
    s.sessions,
    p.playtime_s,
    r.revenue_usd,
    r.payments,
    r.payers,
    n.new_payers,
    pp.paying_players,
    c.conversion,
    ar.arpdau,
    i.installs,
    rt.d1_retention,
    rt.d7_retention,
    rt.d30_retention
FROM analysis.v_dau AS a
JOIN analysis.v_sessions AS s ON s.date_key = a.date_key
JOIN analysis.v_playtime AS p ON p.date_key = a.date_key
JOIN analysis.v_revenue AS r ON r.date_key = a.date_key
JOIN analysis.v_new_payers AS n ON n.date_key = a.date_key
JOIN analysis.v_paying_players AS pp ON pp.date_key = a.date_key
JOIN analysis.v_conversion AS c ON c.date_key = a.date_key
JOIN analysis.v_arpdau AS ar ON ar.date_key = a.date_key
JOIN analysis.v_installs AS i ON i.date_key = a.date_key
LEFT JOIN analysis.v_retention AS rt ON rt.cohort_date_key = a.date_key;
