-- Serialises loads: held until the load transaction ends, so a second load waits (Redshift) or
-- fails after lock_timeout (Postgres, set by the loader) and never interleaves.
LOCK etl.run_lock;
