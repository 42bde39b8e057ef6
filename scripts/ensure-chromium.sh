#!/usr/bin/env bash
# The dashboard's browser test drives a real headless Chromium (puppeteer-core, no bundled
# browser). Find it, or install Debian's chromium package, or stop with a message that
# says what to install. Never skip the browser test silently.
set -euo pipefail

find_chromium() {
  if [ -n "${CHROMIUM_PATH:-}" ] && [ -x "$CHROMIUM_PATH" ]; then return 0; fi
  command -v chromium >/dev/null 2>&1 || command -v chromium-browser >/dev/null 2>&1
}

if find_chromium; then
  exit 0
fi

if command -v apt-get >/dev/null 2>&1; then
  SUDO=""
  if [ "$(id -u)" -ne 0 ]; then
    if command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then SUDO="sudo -n"; else SUDO="unavailable"; fi
  fi
  if [ "$SUDO" != "unavailable" ]; then
    echo "chromium not found: installing Debian's chromium package for the dashboard's browser test..." >&2
    $SUDO apt-get update -qq >&2
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq chromium >&2
    find_chromium && exit 0
  fi
fi

cat >&2 <<'MSG'
The dashboard's browser test needs Chromium, and it could not be installed here.
Install it (or point CHROMIUM_PATH at a Chromium or Chrome binary), then run npm test again:
  Debian/Ubuntu:  sudo apt-get install chromium
  macOS:          brew install --cask chromium
MSG
exit 1
