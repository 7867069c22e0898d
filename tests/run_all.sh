#!/usr/bin/env bash
# Install everything the tests need on a fresh Debian/Ubuntu machine, then run all tests.
#   bash tests/run_all.sh [pytest args]
set -euo pipefail
cd "$(dirname "$0")/.."

# Real browser for tests/browser: Debian's Chromium + chromedriver (WebGL via SwiftShader).
# Real PostgreSQL and Redis servers for the history-store and deployment tests (the tests start
# their own, on sockets: tests/servers.py).
APT=()
if ! command -v chromium >/dev/null 2>&1 || ! command -v chromedriver >/dev/null 2>&1; then
  APT+=(chromium chromium-driver)
fi
if ! command -v mosquitto >/dev/null 2>&1 && [ ! -x /usr/sbin/mosquitto ]; then
  APT+=(mosquitto)
fi
# pdftotext (poppler-utils) reads the reports page's PDF export back in its test.
if ! command -v pdftotext >/dev/null 2>&1; then
  APT+=(poppler-utils)
fi
if ! ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1; then
  APT+=(postgresql)
fi
# Redis for the production layout's test (twin service + web workers; started on a socket)
if ! command -v redis-server >/dev/null 2>&1; then
  APT+=(redis-server)
fi
if [ ${#APT[@]} -gt 0 ]; then
  SUDO=""
  if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
  echo "Installing ${APT[*]} (apt)..."
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${APT[@]}" >/dev/null
fi

PYTHON="${PYTHON:-python3}"
"$PYTHON" -m pip install -q --disable-pip-version-check -r requirements-dev.txt
exec "$PYTHON" -m pytest "$@"
