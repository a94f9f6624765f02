#!/usr/bin/env bash
# The one place where Axon Webhooks' system dependencies are listed.
# Installs (via apt) whatever of them is missing on a Debian 12 machine; a no-op when all are present.
#
#   scripts/deps.sh            build + run dependencies
#   scripts/deps.sh test       + what the test suite needs (PostgreSQL server, python3)
#   scripts/deps.sh browser    + headless Chromium and Node for the dashboard tests
#
# Versions are Debian 12 (bookworm) packages; the comment gives the version we build and test with.
set -euo pipefail

BUILD_PACKAGES=(
  g++                     # 12.2  (C++23 as -std=c++2b: std::expected)
  cmake                   # 3.25
  ninja-build             # 1.11
  ccache                  # 4.8
  make
  pkg-config
  libboost1.74-dev        # 1.74  Beast/Asio (header-only)
  libcurl4-openssl-dev    # 7.88  libcurl multi
  libssl-dev              # 3.0   HMAC, SHA-256, AES-256-GCM, RAND_bytes
  libsqlite3-dev          # 3.40  embedded store
  libpq-dev               # 15    PostgreSQL client
  nlohmann-json3-dev      # 3.11
  libspdlog-dev           # 1.10
  libfmt-dev              # 9.1
  libcli11-dev            # 2.1
  libvalijson-dev         # 1.0   JSON Schema validation of event data (header-only)
  libre2-dev              # linear-time regex engine for JSON Schema `pattern` (no ReDoS)
  libjemalloc-dev         # 5.3   the server's allocator (CMakeLists.txt says why)
)
TEST_PACKAGES=(
  libgtest-dev libgmock-dev   # 1.12
  json-schema-test-suite      # 1.0   official JSON-Schema-Test-Suite cases for the validator
  libbenchmark-dev            # 1.7
  postgresql                  # 15   real server started by the tests (initdb/pg_ctl as an unprivileged user)
  pgbouncer                   # 1.18 transaction-mode pooler in front of it (test_pooler)
  python3                     # 3.11 end-to-end tests (stdlib only)
  prometheus                  # promtool: checks /metrics with a real parser (test_observability)
  curl                        # README walkthrough
  util-linux                  # runuser
  nodejs npm                  # interop tests with the npm verifiers (standardwebhooks, svix, stripe)
  php-cli ruby golang-go      # run docs/receiving.md's PHP, Ruby and Go verification snippets
  systemd                     # systemd-analyze verify of deploy/axon-webhooks.service (tests/docs)
  tinyproxy                   # 1.11  a real HTTP egress proxy started by the tests (--egress-proxy)
  clang-14 libclang-rt-14-dev # libFuzzer + ASan/UBSan runtimes for the fuzz targets (scripts/fuzz.sh)
)
BROWSER_PACKAGES=(
  chromium                    # headless browser for dashboard tests (driven by playwright-core)
)

want=("${BUILD_PACKAGES[@]}")
for extra in "$@"; do
  case "$extra" in
    test) want+=("${TEST_PACKAGES[@]}") ;;
    browser) want+=("${BROWSER_PACKAGES[@]}") ;;
    *) echo "deps.sh: unknown group '$extra'" >&2; exit 2 ;;
  esac
done

missing=()
for pkg in "${want[@]}"; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "ok installed" || missing+=("$pkg")
done
# node/npm may come from outside apt on some images; accept what is on PATH.
if [[ " ${missing[*]-} " == *" nodejs "* ]] && command -v node >/dev/null; then missing=("${missing[@]/nodejs}"); fi
if [[ " ${missing[*]-} " == *" npm "* ]] && command -v npm >/dev/null; then missing=("${missing[@]/npm}"); fi
read -r -a missing <<<"${missing[*]-}"

if ((${#missing[@]})); then
  echo "deps.sh: installing ${missing[*]}"
  SUDO=""; [[ $(id -u) -ne 0 ]] && SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
