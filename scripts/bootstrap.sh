#!/usr/bin/env bash
# Creates .venv and installs Millet into it; "test" also installs the test tools.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-python3.11}
command -v "$PY" >/dev/null || PY=python3
if [ ! -x .venv/bin/python ]; then
  "$PY" -m venv .venv
fi
extras=""
[ "${1:-}" = "test" ] && extras="[test]"
.venv/bin/python -m pip install --quiet --disable-pip-version-check -e ".${extras}" 2>&1 | grep -v "is ignored" || true
.venv/bin/python -c "import millet, django" # fail loudly if the install did not take
