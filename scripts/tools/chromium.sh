#!/usr/bin/env bash
# Headless Chromium for the browser tests (test/console/*.browser.test.ts):
# Debian's `chromium` package, installed with apt-get when missing.
#
#   scripts/tools/chromium.sh          install when missing, then print its path
#   scripts/tools/chromium.sh path     print the path (exit 1 when not installed)
#
# The browser tests find the binary via CHROMIUM_PATH, else `chromium` or
# `chromium-browser` on PATH. Needs root (or sudo) for apt-get.
set -euo pipefail

find_chromium() {
  if [ -n "${CHROMIUM_PATH:-}" ] && [ -x "$CHROMIUM_PATH" ]; then echo "$CHROMIUM_PATH"; return 0; fi
  command -v chromium 2>/dev/null || command -v chromium-browser 2>/dev/null
}

if [ "${1:-}" = "path" ]; then
  find_chromium
  exit $?
fi

if path=$(find_chromium); then
  echo "$path"
  exit 0
fi

sudo=""
if [ "$(id -u)" != "0" ]; then sudo="sudo"; fi
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update
$sudo apt-get install -y --no-install-recommends chromium fonts-dejavu-core
find_chromium
