#!/usr/bin/env bash
# One command: installs what is missing (apt, npm), builds, and runs every test suite with
# CTest (unit, store conformance on SQLite and on a real PostgreSQL started by the tests,
# component tests on 127.0.0.1, end-to-end tests of the real binary, browser tests).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/deps.sh test browser
bash scripts/build.sh dev
mkdir -p tests/artifacts
cd build/dev
# A failing test is run once more and reported as such; flaky tests are bugs to fix, not to hide.
ctest --output-on-failure --timeout 900 -j "${AXON_TEST_JOBS:-2}" --repeat until-pass:2 "$@"
