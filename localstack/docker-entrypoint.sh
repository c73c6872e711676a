#!/usr/bin/env bash
# Entry point of the LocalStack container of docker-compose.yml: install the pinned
# localstack-core 2026.3.0 + Liberta's extension (once, into a volume), then start LocalStack
# the way `liberta localstack up` does on the host.
set -euo pipefail
src=/opt/liberta/localstack
venv=/opt/liberta-venv
key=$(cat "$src/requirements.txt" "$src/constraints.txt" "$src/extension/pyproject.toml" | sha256sum | cut -c1-12)
if [ ! -f "$venv/.complete-$key" ]; then
  rm -rf "$venv"/* "$venv"/.complete-* 2>/dev/null || true
  python3 -m venv "$venv"
  "$venv/bin/pip" install --quiet -r "$src/requirements.txt" -c "$src/constraints.txt"
  # The source is mounted read-only: install a copy of the extension.
  rm -rf /tmp/liberta-ext && cp -r "$src/extension" /tmp/liberta-ext
  "$venv/bin/pip" install --quiet --no-deps /tmp/liberta-ext
  touch "$venv/.complete-$key"
fi
export FILESYSTEM_ROOT=/var/lib/localstack/filesystem OVERRIDE_IN_DOCKER=1 SKIP_SSL_CERT_DOWNLOAD=1
mkdir -p "$FILESYSTEM_ROOT" "$LIBERTA_LS_STATE_DIR"
exec "$venv/bin/python" -m localstack.runtime.main
