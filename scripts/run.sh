#!/usr/bin/env bash
# One command: installs what is missing, builds, and runs the service on the embedded SQLite
# store (data in ./var/). Extra arguments go to `axon-webhooks serve`.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/deps.sh
bash scripts/build.sh dev axon-webhooks
exec build/dev/axon-webhooks serve "$@"
