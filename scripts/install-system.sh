#!/usr/bin/env bash
# System packages Dougal needs on a fresh Debian 12 machine: PostgreSQL 15 with PostGIS 3.
set -euo pipefail
if [ -f /usr/share/postgresql/15/extension/postgis.control ] && [ -x /usr/lib/postgresql/15/bin/initdb ]; then
  exit 0
fi
echo "[dougal] installing PostgreSQL 15 + PostGIS 3 (Debian packages)"
SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq postgresql-15 postgresql-15-postgis-3 >/dev/null
