-- Retention by install cohort; a share is null until the day it measures has data.
SELECT cohort_date, cohort_size, d1_retention, d7_retention, d30_retention
FROM analysis.v_retention
ORDER BY cohort_date
