#!/usr/bin/env bash
# Configures and builds one CMake preset (default: dev). Usage: scripts/build.sh [preset] [targets…]
set -euo pipefail
cd "$(dirname "$0")/.."
preset=${1:-dev}; shift || true
# ccache keeps its cache in ~/.cache/ccache; with paths made relative to the checkout, fresh
# clones on one machine (CI) reuse each other's objects.
export CCACHE_BASEDIR="$PWD" CCACHE_NOHASHDIR=true
cmake --preset "$preset" >/dev/null
if (($#)); then cmake --build --preset "$preset" --target "$@"; else cmake --build --preset "$preset"; fi
