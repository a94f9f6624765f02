#!/usr/bin/env bash
# Installs the npm packages of the interop tests (tests/e2e/interop: standardwebhooks, svix,
# stripe, pinned by package-lock.json) with `npm ci`, only when node_modules is missing or
# older than the lock file. Needs node and npm; the e2e test runs this itself.
set -euo pipefail
cd "$(dirname "$0")/../tests/e2e/interop"
if [[ -f node_modules/.package-lock.json && ! package-lock.json -nt node_modules/.package-lock.json ]]; then
  exit 0
fi
if ! command -v npm >/dev/null; then
  echo "npm-deps.sh: npm is not installed (scripts/deps.sh browser installs node and npm)" >&2
  exit 1
fi
echo "npm-deps.sh: npm ci in tests/e2e/interop" >&2
npm ci --no-audit --no-fund --loglevel=error >&2
