#!/usr/bin/env bash
# Installs the non-Python parts scmap needs: a Chromium for Playwright, redis-server (the
# distributed frontier's tests start one), Xvfb (a virtual display: the tests drive the
# visible-browser login flow, `python -m scmap.browser login`, under it) and fonts for names in
# every script. Idempotent: does nothing when all are present.
# Debian/Ubuntu: the system packages (Playwright cannot download its own browser everywhere).
# Elsewhere: Playwright's own `playwright install chromium`.
set -euo pipefail
venv_python="${1:-.venv/bin/python}"
need=()
command -v chromium >/dev/null 2>&1 || [ -x /usr/bin/chromium ] || need+=(chromium)
command -v redis-server >/dev/null 2>&1 || need+=(redis-server)
command -v Xvfb >/dev/null 2>&1 || need+=(xvfb)
# Fonts for display names in every script: Noto (core, CJK, colour emoji for the browser) and
# Symbola (emoji in outline: what matplotlib can draw in the PNGs). See README "Fonts".
if command -v dpkg >/dev/null 2>&1; then
  for font in fonts-noto-core fonts-noto-cjk fonts-noto-color-emoji fonts-symbola; do
    dpkg -s "$font" >/dev/null 2>&1 || need+=("$font")
  done
fi
[ ${#need[@]} -eq 0 ] && exit 0
if command -v apt-get >/dev/null 2>&1; then
  sudo=""; [ "$(id -u)" -ne 0 ] && sudo="sudo"
  echo "scmap setup: installing ${need[*]} with apt-get" >&2
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${need[@]}" >/dev/null
else
  echo "scmap setup: no apt-get; using Playwright's own Chromium (redis-server and the fonts in README must be installed by hand)" >&2
  "$venv_python" -m playwright install chromium
fi
