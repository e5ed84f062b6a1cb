#!/usr/bin/env bash
# Installs what the HTML report and its browser test need, where missing:
#   - Debian's chromium (headless checks of the report; no browser download of its own),
#   - the pinned Allure 3 CLI from reports/package-lock.json (npm ci; Node only, no Java).
# Idempotent; fails loudly (non-zero, one line saying what) when an install is impossible.
# Called by tests/reports/test_html_report.py and by `tox -e report`; CI may call it first.
set -euo pipefail
cd "$(dirname "$0")"

sudo_if_needed() { if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi; }

if ! command -v chromium >/dev/null 2>&1 && [ "${STACKPROBE_SKIP_BROWSER:-0}" != "1" ]; then
  if ! command -v apt-get >/dev/null 2>&1; then
    echo "install-browser.sh: chromium is missing and apt-get is not available: install Chromium and put 'chromium' on PATH" >&2
    exit 1
  fi
  echo "install-browser.sh: installing chromium (apt)"
  sudo_if_needed apt-get update -qq
  DEBIAN_FRONTEND=noninteractive sudo_if_needed apt-get install -y -qq --no-install-recommends chromium fonts-liberation >/dev/null
fi

if ! command -v npm >/dev/null 2>&1; then
  if command -v apt-get >/dev/null 2>&1; then
    echo "install-browser.sh: installing nodejs and npm (apt)"
    sudo_if_needed apt-get update -qq
    DEBIAN_FRONTEND=noninteractive sudo_if_needed apt-get install -y -qq --no-install-recommends nodejs npm >/dev/null
  else
    echo "install-browser.sh: npm is missing: install Node.js 20+ with npm" >&2
    exit 1
  fi
fi

want="$(node -p "require('./package.json').devDependencies.allure")"
have="$(node -p "try { require('./node_modules/allure/package.json').version } catch (e) { '' }")"
if [ "$have" != "$want" ]; then
  echo "install-browser.sh: installing allure@$want (npm ci)"
  npm ci --no-audit --no-fund --loglevel=error
fi
echo "install-browser.sh: chromium $(command -v chromium >/dev/null && chromium --version 2>/dev/null | awk '{print $2}' || echo skipped), allure $(node -p "require('./node_modules/allure/package.json').version"), node $(node --version)"
