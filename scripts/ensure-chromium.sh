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

# shellcheck source=apt-install.sh
source "$(dirname "$0")/apt-install.sh"
if apt_install chromium && find_chromium; then
  exit 0
fi

cat >&2 <<'MSG'
The dashboard's browser test needs Chromium, and it could not be installed here.
Install it (or point CHROMIUM_PATH at a Chromium or Chrome binary), then run npm test again:
  Debian/Ubuntu:  sudo apt-get install chromium
  macOS:          brew install --cask chromium
MSG
exit 1
