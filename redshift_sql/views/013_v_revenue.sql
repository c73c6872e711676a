-- revenue_usd(d): sum of amount_usd of valid business events on d (amount / 10^minor digits x
-- USD rate, computed by the job from emr_jobs/data/currencies.csv); payments and payers that day.
CREATE OR REPLACE VIEW analysis.v_revenue AS
SELECT
    d.date_key,
    d.calendar_date,
    CAST(COALESCE(SUM(r.amount_usd), 0) AS decimal(18, 6)) AS revenue_usd,
    COUNT(r.event_key) AS payments,
    COUNT(DISTINCT r.user_key) AS payers
FROM analysis.d_date AS d
LEFT JOIN analysis.f_revenue AS r ON r.date_key = d.date_key
GROUP BY d.date_key, d.calendar_date;
