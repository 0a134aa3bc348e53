#!/usr/bin/env bash
# System packages Dougal needs on a fresh Debian 12 machine: PostgreSQL 15 with PostGIS 3, and for the office
# page's build and browser tests Node.js + npm and Chromium (the browser Playwright drives: /usr/bin/chromium).
# Debian's nodejs (18) is older than Vite 8 needs: scripts/ensure-node.sh then installs a suitable Node.js.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
missing=()
if ! [ -f /usr/share/postgresql/15/extension/postgis.control ] || ! [ -x /usr/lib/postgresql/15/bin/initdb ]; then
  missing+=(postgresql-15 postgresql-15-postgis-3)
fi
if ! command -v node >/dev/null || ! command -v npm >/dev/null; then
  missing+=(nodejs npm)
fi
if ! [ -x /usr/bin/chromium ]; then
  missing+=(chromium chromium-driver)
fi
if [ ${#missing[@]} -gt 0 ]; then
  echo "[dougal] installing Debian packages: ${missing[*]}"
  SUDO=""
  if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
  export DEBIAN_FRONTEND=noninteractive
  $SUDO apt-get update -qq
  $SUDO apt-get install -y -qq "${missing[@]}" >/dev/null
fi
bash "$here/ensure-node.sh"
