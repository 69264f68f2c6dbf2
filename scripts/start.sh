#!/usr/bin/env bash
# Installs Millet and starts it on embedded defaults (SQLite, no Redis) with demo data, plus the
# device cloud: embedded MQTT broker, ingestion worker and simulated demo devices (--no-devices: without).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/bootstrap.sh
exec .venv/bin/millet start "$@"
