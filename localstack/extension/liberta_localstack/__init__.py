"""Liberta's LocalStack extension (runs inside LocalStack, Python 3.13).

Parts, each loaded by LocalStack through plux entry points (see pyproject.toml):

- `redshift_data`: the Redshift Data API, served by the local Postgres (SQL translated).
- `emr_serverless`: EMR Serverless applications and job runs, served by local Spark.
- `cloudformation`: resource providers for the Redshift Serverless and EMR Serverless types.
- `stepfunctions`: the Step Functions integrations LocalStack lacks (patches, version-pinned).
"""

PINNED_LOCALSTACK_VERSION = "2026.3.0"
