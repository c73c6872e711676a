#!/usr/bin/env bash
# An S3-compatible endpoint on 127.0.0.1 without Docker, for the `s3` profile (the local runner
# on an S3 lake; the `localstack` profile runs the deployed state machine in LocalStack instead).
# Uses moto's server (installed with Liberta's dev extra). Stop it with Ctrl-C.
#
#   localstack/s3-endpoint.sh &            # listens on 127.0.0.1:4566 (LIBERTA_S3_PORT)
#   export AWS_ENDPOINT_URL=http://127.0.0.1:4566 AWS_ACCESS_KEY_ID=test \
#          AWS_SECRET_ACCESS_KEY=test AWS_DEFAULT_REGION=us-east-1
#   liberta run --profile s3
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
port=${LIBERTA_S3_PORT:-4566}
bin="$here/.venv/bin/moto_server"
if [ ! -x "$bin" ]; then
  echo "moto_server not found: run 'make setup' first" >&2
  exit 1
fi
exec "$bin" -H 127.0.0.1 -p "$port"
