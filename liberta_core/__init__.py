"""What the Spark job, the `liberta` CLI and the CDK app share, defined once.

- `tables`: the star schema (columns, types, limits, merge rules);
- `manifest`: the run manifest the job writes and the load reads;
- `layout`: where a run's files live in the curated bucket, and the raw partitions;
- `run_id`: the one rule for run identifiers;
- `timestamps`: the ISO-8601 UTC text used on every interface;
- `job_args`: the Spark job's command line (built by the CLI and the state machine, parsed by
  the job);
- `sql`: `redshift_sql/` rendered for Redshift or Postgres; `merge_sql` generates the merges;
- `steps`: the pipeline's steps, in the order both orchestrators run them.

Standard library only: the package ships inside the EMR job package, where only PySpark and
the standard library exist.
"""
