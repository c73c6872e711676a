-- Staging holds exactly this run's rows.
CALL etl.clear_staging();
