-- The run this load is for (the orchestrator's run id, checked against the rule at its
-- entrance); the quality gate refuses a load summary of another run.
INSERT INTO staging.expected_run (run_id) VALUES ('${run_id}');
