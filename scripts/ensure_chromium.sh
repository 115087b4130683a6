#!/usr/bin/env bash
# `make test` drives the system Chromium through Playwright (which never downloads a browser here).
# Installs it with apt when we are root on a Debian-like system; otherwise says in one line how to get one.
set -euo pipefail
chromium=${GAN_ARENA_CHROMIUM:-/usr/bin/chromium}
[ -x "$chromium" ] && exit 0
if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
  echo "Installing Chromium for the browser tests (apt-get install chromium) ..."
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
  [ -x "$chromium" ] && exit 0
fi
echo "make test needs Chromium at $chromium: run 'sudo apt-get install -y chromium' (Debian/Ubuntu)," \
     "or point GAN_ARENA_CHROMIUM at a Chromium or Chrome binary." >&2
exit 1
