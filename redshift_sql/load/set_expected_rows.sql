-- The row counts the run manifest promises, checked by the quality gate.
INSERT INTO staging.expected_rows (table_name, expected_rows) VALUES
    ('d_user', ${rows_d_user}),
    ('d_date', ${rows_d_date}),
    ('d_device', ${rows_d_device}),
    ('d_item', ${rows_d_item}),
    ('f_session', ${rows_f_session}),
    ('f_event', ${rows_f_event}),
    ('f_revenue', ${rows_f_revenue});
