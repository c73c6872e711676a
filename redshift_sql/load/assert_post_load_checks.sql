-- Aborts the load transaction when a post-load check fails (staging.v_post_load_violations).
CALL etl.assert_post_load_checks();
