-- Purchases: insert when the event_key is new.
INSERT INTO analysis.f_revenue (
    event_key, user_key, session_key, date_key, device_key, item_key, event_ts, currency,
    amount_minor, amount_usd, transaction_num, is_first_purchase, country_code
)
SELECT DISTINCT
    s.event_key, s.user_key, s.session_key, s.date_key, s.device_key, s.item_key, s.event_ts,
    s.currency, s.amount_minor, s.amount_usd, s.transaction_num, s.is_first_purchase,
    s.country_code
FROM staging.f_revenue AS s
LEFT JOIN analysis.f_revenue AS a ON a.event_key = s.event_key
WHERE a.event_key IS NULL
/*postgres: ORDER BY s.event_key */;
