#!/usr/bin/env bash
# Installs everything, makes sure PostgreSQL, Redis and Mosquitto run, and runs the whole test suite:
# first on the embedded SQLite default (minus the tests only PostgreSQL can run, and the full-stack
# ones: browser journeys and the API fuzzer, which drive the same code from outside and run once),
# then all of it on PostgreSQL with Redis as the cache.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/bootstrap.sh test
scripts/services.sh
.venv/bin/ruff check millet tests bench
.venv/bin/ruff format --check millet tests bench
.venv/bin/lint-imports  # the layers and domain boundaries in pyproject.toml

# One pytest-xdist worker per core; each has its own test database, Redis index and data directory
# (tests/conftest.py, worker_environment). A file's tests stay on one worker (their module fixtures:
# brokers, a browser).
parallel=(-n "${MILLET_TEST_WORKERS:-$(nproc)}" --dist loadfile)

echo "== SQLite (embedded default) =="
sqlite_dir=$(mktemp -d)
env -u REDIS_URL MILLET_DATA_DIR="$sqlite_dir" DATABASE_URL="sqlite:///$sqlite_dir/millet.sqlite3" \
  .venv/bin/pytest -q -p no:cacheprovider "${parallel[@]}" -m "not postgres and not fullstack" "$@"
rm -rf "$sqlite_dir"

echo "== PostgreSQL =="
export DATABASE_URL=${DATABASE_URL:-postgres://postgres:postgres@127.0.0.1:5432/millet}
export REDIS_URL=${REDIS_URL:-redis://127.0.0.1:6379/15}
pg_data_dir=$(mktemp -d)  # files tests write (the demo's device manifest) stay out of var/
MILLET_DATA_DIR="$pg_data_dir" .venv/bin/pytest -p no:cacheprovider "${parallel[@]}" "$@"
rm -rf "$pg_data_dir"
