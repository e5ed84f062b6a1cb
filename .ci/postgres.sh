#!/usr/bin/env bash
# Installs the PostgreSQL server binaries the backend tests need (initdb, pg_ctl, postgres).
# Idempotent: does nothing when they are already present. Installs only: the tests create,
# start and remove their own throwaway cluster.
set -euo pipefail

have_binaries() {
  command -v initdb >/dev/null 2>&1 && command -v pg_ctl >/dev/null 2>&1 && return 0
  compgen -G '/usr/lib/postgresql/*/bin/initdb' >/dev/null && compgen -G '/usr/lib/postgresql/*/bin/pg_ctl' >/dev/null
}

if have_binaries; then
  exit 0
fi

if ! command -v apt-get >/dev/null 2>&1; then
  echo "postgres.sh: PostgreSQL binaries missing and apt-get unavailable; install the PostgreSQL server package" >&2
  exit 1
fi

SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi

# Debian's postinst would otherwise create and start a 'main' cluster nobody uses.
if [ ! -e /etc/postgresql-common/createcluster.conf ]; then
  $SUDO mkdir -p /etc/postgresql-common
  echo "create_main_cluster = false" | $SUDO tee /etc/postgresql-common/createcluster.conf >/dev/null
fi

$SUDO apt-get update
$SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends postgresql

have_binaries || { echo "postgres.sh: install finished but initdb/pg_ctl not found" >&2; exit 1; }
