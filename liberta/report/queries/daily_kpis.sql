-- One row per event date with every daily figure of docs/metrics.md.
SELECT calendar_date, dau, sessions, playtime_s, revenue_usd, new_payers, conversion, arpdau,
       installs
FROM analysis.v_daily_kpis
ORDER BY calendar_date
