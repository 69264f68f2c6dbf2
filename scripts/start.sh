#!/usr/bin/env bash
# Installs Millet and starts it on embedded defaults (SQLite, no Redis, no broker) with demo data.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/bootstrap.sh
exec .venv/bin/millet start "$@"
