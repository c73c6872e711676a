-- The high-water mark: the greatest high_water_mark of any succeeded load. Derived from the log,
-- so it never moves backwards and always agrees with what was loaded.
CREATE OR REPLACE VIEW etl.watermark AS
SELECT
    MAX(high_water_mark) AS high_water_mark,
    COUNT(*) AS loads_succeeded,
    MAX(finished_at) AS last_loaded_at
FROM etl.load_log
WHERE status = 'succeeded';
