#!/usr/bin/env bash
# Configures and builds one CMake preset (default: dev). Usage: scripts/build.sh [preset] [targets…]
set -euo pipefail
cd "$(dirname "$0")/.."
preset=${1:-dev}; shift || true
export CCACHE_DIR=${CCACHE_DIR:-$PWD/build/.ccache}
cmake --preset "$preset" >/dev/null
if (($#)); then cmake --build --preset "$preset" --target "$@"; else cmake --build --preset "$preset"; fi
