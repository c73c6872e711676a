-- paying players: players with at least one valid business event, ever; per day, as of the end
-- of that day (the last day's value is the all-time figure).
CREATE OR REPLACE VIEW analysis.v_paying_players AS
SELECT
    date_key,
    calendar_date,
    SUM(new_payers) OVER (ORDER BY date_key ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW)
        AS paying_players
FROM analysis.v_new_payers;
