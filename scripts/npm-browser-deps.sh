#!/usr/bin/env bash
# What the dashboard browser tests need, installed on demand (a no-op when present):
#   - Debian's headless Chromium at /usr/bin/chromium (apt-get install chromium)
#   - Node.js + npm (apt-get install nodejs npm) if not already on PATH
#   - playwright-core, pinned by tests/browser/package-lock.json (npm ci, when node_modules is
#     missing or older than the lock file)
# playwright-core never downloads a browser of its own: the tests launch /usr/bin/chromium.
set -euo pipefail
cd "$(dirname "$0")/.."

SUDO=""
[[ $(id -u) -ne 0 ]] && SUDO="sudo"
apt_install() {
  echo "npm-browser-deps: installing $* (apt)"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "$@" >/dev/null
}

missing=()
[[ -x /usr/bin/chromium ]] || missing+=(chromium)
command -v node >/dev/null || missing+=(nodejs)
command -v npm >/dev/null || missing+=(npm)
if ((${#missing[@]})); then apt_install "${missing[@]}"; fi

lock=tests/browser/package-lock.json
installed=tests/browser/node_modules/.package-lock.json
if [[ ! -f $installed || $lock -nt $installed ]]; then
  echo "npm-browser-deps: npm ci in tests/browser"
  # No browser download: playwright-core has none, and we say so in case a future version would.
  (cd tests/browser && PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 npm ci --no-audit --no-fund --loglevel=error)
fi
