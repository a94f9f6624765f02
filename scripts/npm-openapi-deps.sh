#!/usr/bin/env bash
# Installs @redocly/cli (pinned by tools/openapi-lint/package-lock.json) with `npm ci`, only
# when node_modules is missing or older than the lock file. Then, with arguments, runs
# `redocly lint` on them (the CTest entry openapi.lint does exactly that).
set -euo pipefail
cd "$(dirname "$0")/../tools/openapi-lint"
if [[ ! -f node_modules/.package-lock.json || package-lock.json -nt node_modules/.package-lock.json ]]; then
  if ! command -v npm >/dev/null; then
    echo "npm-openapi-deps.sh: npm is not installed (scripts/deps.sh test installs node and npm)" >&2
    exit 1
  fi
  echo "npm-openapi-deps.sh: npm ci in tools/openapi-lint" >&2
  npm ci --no-audit --no-fund --loglevel=error >&2
fi
if [[ $# -gt 0 ]]; then
  exec node_modules/.bin/redocly lint --config redocly.yaml "$@"
fi
