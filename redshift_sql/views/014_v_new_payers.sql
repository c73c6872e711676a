-- new payers(d): players whose first valid business event is on d.
CREATE OR REPLACE VIEW analysis.v_new_payers AS
SELECT d.date_key, d.calendar_date, COUNT(p.user_key) AS new_payers
FROM analysis.d_date AS d
LEFT JOIN (
    SELECT user_key, MIN(date_key) AS first_payment_date_key
    FROM analysis.f_revenue
    GROUP BY user_key
) AS p ON p.first_payment_date_key = d.date_key
GROUP BY d.date_key, d.calendar_date;
