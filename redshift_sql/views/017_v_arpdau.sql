-- ARPDAU(d) = revenue_usd(d) / DAU(d); null on a day without active players.
CREATE OR REPLACE VIEW analysis.v_arpdau AS
SELECT
    a.date_key,
    a.calendar_date,
    r.revenue_usd,
    a.dau,
    CAST(r.revenue_usd AS double precision) / NULLIF(a.dau, 0) AS arpdau
FROM analysis.v_dau AS a
JOIN analysis.v_revenue AS r ON r.date_key = a.date_key;
