#!/usr/bin/env bash
# The Redis tests run a real redis-server. Find it, or install Debian's package, or
# stop with a message that says what to install. Never skip the Redis tests silently.
set -euo pipefail

if command -v redis-server >/dev/null 2>&1; then
  exit 0
fi

if command -v apt-get >/dev/null 2>&1; then
  SUDO=""
  if [ "$(id -u)" -ne 0 ]; then
    if command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then SUDO="sudo -n"; else SUDO="unavailable"; fi
  fi
  if [ "$SUDO" != "unavailable" ]; then
    echo "redis-server not found: installing Debian's redis-server package for the Redis tests..." >&2
    $SUDO apt-get update -qq >&2
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq redis-server >&2
    # The package starts a system instance; the tests start their own on free ports.
    (command -v systemctl >/dev/null 2>&1 && $SUDO systemctl stop redis-server >/dev/null 2>&1) || true
    command -v redis-server >/dev/null 2>&1 && exit 0
  fi
fi

cat >&2 <<'MSG'
The test suite needs redis-server (Redis 7) on PATH, and it could not be installed here.
Install it, then run npm test again:
  Debian/Ubuntu:  sudo apt-get install redis-server
  macOS:          brew install redis
MSG
exit 1
