#!/usr/bin/env bash
# Makes sure Debian's Chromium is installed for the browser tests (test/browser/), which drive it
# with playwright-core: no browser is ever downloaded by Playwright.
#
#   bash scripts/ensure-chromium.sh
#
# Idempotent and a fast no-op when the binary is present. When it is missing: installs the
# `chromium` package with apt-get as root; otherwise prints how to install it and exits non-zero.
# CHROMIUM_PATH overrides the binary checked (default /usr/bin/chromium).
set -euo pipefail

CHROMIUM_PATH="${CHROMIUM_PATH:-/usr/bin/chromium}"

if [[ -x "$CHROMIUM_PATH" ]]; then
  exit 0
fi

if [[ "$CHROMIUM_PATH" != /usr/bin/chromium ]]; then
  echo "[chromium] CHROMIUM_PATH=$CHROMIUM_PATH is not an executable file" >&2
  exit 1
fi

if [[ "$(id -u)" -ne 0 ]]; then
  cat >&2 <<'MSG'
[chromium] /usr/bin/chromium is missing; the browser tests (test/browser/) need it. Install it with:
  sudo apt-get update && sudo apt-get install -y chromium
or point CHROMIUM_PATH at another Chromium/Chrome binary.
MSG
  exit 1
fi

if ! command -v apt-get >/dev/null 2>&1; then
  echo "[chromium] /usr/bin/chromium is missing and apt-get is not available: install Chromium and set CHROMIUM_PATH" >&2
  exit 1
fi

echo "[chromium] installing Debian's chromium package (apt-get)" >&2
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq </dev/null >&2
apt-get install -y -qq --no-install-recommends chromium </dev/null >&2

if [[ ! -x "$CHROMIUM_PATH" ]]; then
  echo "[chromium] apt-get finished but $CHROMIUM_PATH is still missing" >&2
  exit 1
fi
echo "[chromium] installed: $("$CHROMIUM_PATH" --version 2>/dev/null || echo "$CHROMIUM_PATH")" >&2
