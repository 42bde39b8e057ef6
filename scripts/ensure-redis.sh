#!/usr/bin/env bash
# The Redis tests run a real redis-server. Find it, or install Debian's package, or
# stop with a message that says what to install. Never skip the Redis tests silently.
set -euo pipefail

if command -v redis-server >/dev/null 2>&1; then
  exit 0
fi

# shellcheck source=apt-install.sh
source "$(dirname "$0")/apt-install.sh"
if apt_install redis-server; then
  # The package starts a system instance; the tests start their own on free ports.
  (command -v systemctl >/dev/null 2>&1 && ${APT_SUDO:-} systemctl stop redis-server >/dev/null 2>&1) || true
  command -v redis-server >/dev/null 2>&1 && exit 0
fi

cat >&2 <<'MSG'
The test suite needs redis-server (Redis 7) on PATH, and it could not be installed here.
Install it, then run npm test again:
  Debian/Ubuntu:  sudo apt-get install redis-server
  macOS:          brew install redis
MSG
exit 1
