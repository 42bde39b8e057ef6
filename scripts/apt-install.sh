#!/usr/bin/env bash
# Sourced by the ensure-*.sh scripts: apt_install PACKAGE installs a Debian package for
# the tests, as root or through password-less sudo (then APT_SUDO is "sudo -n"); returns 1 when it cannot.
apt_install() {
  command -v apt-get >/dev/null 2>&1 || return 1
  APT_SUDO=""
  if [ "$(id -u)" -ne 0 ]; then
    if command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then APT_SUDO="sudo -n"; else return 1; fi
  fi
  echo "$1 not found: installing Debian's $1 package for the tests..." >&2
  $APT_SUDO apt-get update -qq >&2
  DEBIAN_FRONTEND=noninteractive $APT_SUDO apt-get install -y -qq "$1" >&2
}
