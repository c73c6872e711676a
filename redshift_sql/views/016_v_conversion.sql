-- conversion(d) = new payers(d) / DAU(d); null on a day without active players.
CREATE OR REPLACE VIEW analysis.v_conversion AS
SELECT
    a.date_key,
    a.calendar_date,
    n.new_payers,
    a.dau,
    CAST(n.new_payers AS double precision) / NULLIF(a.dau, 0) AS conversion
FROM analysis.v_dau AS a
JOIN analysis.v_new_payers AS n ON n.date_key = a.date_key;
