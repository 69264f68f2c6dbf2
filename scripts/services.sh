#!/usr/bin/env bash
# Makes sure the real servers the test suite talks to are installed and running on their
# standard local ports: PostgreSQL 5432, Redis 6379, Mosquitto 1883; that Debian's rabbitmq-server is
# installed (the cluster tests run private nodes); and Debian's Chromium for
# browser tests, GNU gettext, and the Noto fonts for Hindi and Chinese invoices and screenshots. Installs from Debian's packages where missing (needs root, as on CI).
set -euo pipefail

apt_install() {
  if [ -z "${_APT_UPDATED:-}" ]; then apt-get update -qq; _APT_UPDATED=1; fi
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@" >/dev/null
}

wait_for() {  # wait_for NAME CMD...
  local name=$1; shift
  for _ in $(seq 1 30); do "$@" >/dev/null 2>&1 && return 0; sleep 1; done
  echo "services: $name did not come up" >&2; return 1
}

# PostgreSQL
if ! pg_isready -q -h 127.0.0.1 -p 5432 2>/dev/null; then
  command -v pg_ctlcluster >/dev/null || apt_install postgresql
  ver=$(ls /etc/postgresql | sort -n | tail -1)
  pg_ctlcluster --skip-systemctl-redirect "$ver" main start || true
  wait_for postgresql pg_isready -q -h 127.0.0.1 -p 5432
fi
# The suite logs in as postgres/postgres over TCP. Where the server asks for a password (a fresh
# Debian install does), give the postgres role that password; trust-auth servers ignore it.
if ! PGPASSWORD=postgres psql -h 127.0.0.1 -U postgres -tAc "select 1" postgres >/dev/null 2>&1; then
  su postgres -c "psql -q -c \"ALTER USER postgres PASSWORD 'postgres'\""
fi

# Redis
if ! (command -v redis-cli >/dev/null && redis-cli -h 127.0.0.1 -p 6379 ping >/dev/null 2>&1); then
  command -v redis-server >/dev/null || apt_install redis-server
  mkdir -p /var/lib/redis /var/log/redis
  redis-server --daemonize yes --bind 127.0.0.1 --port 6379 --save "" --appendonly no \
    --dir /var/lib/redis --logfile /var/log/redis/ci.log
  wait_for redis redis-cli -h 127.0.0.1 -p 6379 ping
fi

# Mosquitto
if ! (exec 3<>/dev/tcp/127.0.0.1/1883) 2>/dev/null; then
  command -v mosquitto >/dev/null || apt_install mosquitto
  mosquitto -d -c /etc/mosquitto/mosquitto.conf
  wait_for mosquitto bash -c "exec 3<>/dev/tcp/127.0.0.1/1883"
fi

# RabbitMQ: the clustered broker tests start private nodes of their own from Debian's package (never
# the machine's RabbitMQ, which this script does not start). Debian's postinst may start a default
# node; it is left as it is.
[ -x /usr/lib/rabbitmq/bin/rabbitmq-server ] || apt_install rabbitmq-server

# Chromium for the browser tests (Debian's build; a test tool never downloads its own browser).
[ -x /usr/bin/chromium ] || apt_install chromium
# GNU gettext: tests/i18n extracts every translatable string with Django's makemessages.
command -v xgettext >/dev/null || apt_install gettext

# Noto fonts: the invoice PDFs in Hindi (Noto Sans Devanagari, fonts-noto-core) and Chinese (Noto Sans
# CJK, fonts-noto-cjk) embed them (millet/sales/invoice_pdf.py), and Chromium draws those pages with them.
fonts=()
[ -f /usr/share/fonts/truetype/noto/NotoSansDevanagari-Regular.ttf ] || fonts+=(fonts-noto-core)
[ -f /usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc ] || fonts+=(fonts-noto-cjk)
[ ${#fonts[@]} -eq 0 ] || apt_install "${fonts[@]}"

echo "services: postgresql, redis, mosquitto, rabbitmq-server (installed), chromium, gettext and fonts ready"
