#!/usr/bin/env bash
# Makes sure PostgreSQL and Redis answer on 127.0.0.1 (5432 and 6379): starts them when installed
# but down, installs them with apt-get when missing; installs Debian's Chromium for the browser test
# and nginx for the topology test. Used by CI and by the README's set-up.
set -euo pipefail

as_root() { if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi; }
apt_updated=
apt_install() {
  if [ -z "$apt_updated" ]; then as_root apt-get update -qq; apt_updated=1; fi
  DEBIAN_FRONTEND=noninteractive as_root apt-get install -y -qq "$@" >/dev/null
}
wait_for() { # command... ; up to 30 s
  for _ in $(seq 1 60); do "$@" >/dev/null 2>&1 && return 0; sleep 0.5; done
  return 1
}

port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

# The admin dashboard's browser test drives Debian's Chromium (playwright-core ships no browser).
if [ ! -x /usr/bin/chromium ]; then
  echo "installing chromium (for the dashboard's browser test)"
  apt_install chromium
fi

# The topology test (test/topology/) runs the roles behind Debian's nginx, started by the test itself.
if [ ! -x /usr/sbin/nginx ]; then
  echo "installing nginx (for the topology test)"
  apt_install nginx
  # Debian's package may start its default site on port 80: the tests never use it.
  as_root nginx -s stop >/dev/null 2>&1 || true
fi

# Already up (however they were installed, Docker included): nothing to do.
if port_open 5432 && port_open 6379; then
  echo "postgres (127.0.0.1:5432) and redis (127.0.0.1:6379) are up"
  exit 0
fi

echo "==> postgres"
if ! port_open 5432; then
  if ! command -v pg_ctlcluster >/dev/null 2>&1; then
    echo "installing postgresql"
    apt_install postgresql postgresql-client
  fi
  version=$(ls /etc/postgresql | sort -V | tail -n 1)
  as_root pg_ctlcluster --skip-systemctl-redirect "$version" main start || true
  wait_for pg_isready -h 127.0.0.1 -p 5432 -q || { echo "postgres did not start" >&2; exit 1; }
  if ! psql -h 127.0.0.1 -U postgres -Atc 'SELECT 1' >/dev/null 2>&1; then
    # A fresh Debian cluster asks for a password on TCP; development and CI use trust on loopback.
    hba="/etc/postgresql/$version/main/pg_hba.conf"
    echo "allowing trust auth on 127.0.0.1/::1 in $hba"
    as_root sed -i -E 's/^(host\s+all\s+all\s+(127\.0\.0\.1\/32|::1\/128)\s+)\S+/\1trust/' "$hba"
    as_root pg_ctlcluster --skip-systemctl-redirect "$version" main reload
    wait_for psql -h 127.0.0.1 -U postgres -Atc 'SELECT 1' || { echo "cannot connect to postgres as postgres" >&2; exit 1; }
  fi
fi

echo "==> redis"
if ! port_open 6379; then
  if ! command -v redis-server >/dev/null 2>&1; then
    echo "installing redis-server"
    apt_install redis-server
  fi
  as_root mkdir -p /var/lib/redis /var/log/redis
  as_root redis-server --daemonize yes --bind 127.0.0.1 -::1 --port 6379 --save "" --appendonly no \
    --dir /var/lib/redis --logfile /var/log/redis/plexichat-ci.log
  wait_for port_open 6379 || { echo "redis did not start" >&2; exit 1; }
fi
echo "postgres and redis are up"
