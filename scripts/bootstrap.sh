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

# Invoices in Hindi and Chinese embed Debian's Noto fonts (see millet/sales/invoice_pdf.py). Installed
# when this runs as root (a container, CI) or sudo needs no password; otherwise the store still runs
# and those invoices come out in English, so say how to add them.
fonts=()
[ -f /usr/share/fonts/truetype/noto/NotoSansDevanagari-Regular.ttf ] || fonts+=(fonts-noto-core)
[ -f /usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc ] || fonts+=(fonts-noto-cjk)
if [ ${#fonts[@]} -gt 0 ] && command -v apt-get >/dev/null; then
  as_root=()
  [ "$(id -u)" -eq 0 ] || as_root=(sudo -n)
  if [ "$(id -u)" -eq 0 ] || sudo -n true 2>/dev/null; then
    "${as_root[@]}" apt-get update -qq && "${as_root[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${fonts[@]}" >/dev/null \
      || echo "bootstrap: could not install ${fonts[*]}; Hindi and Chinese invoices will be in English" >&2
  else
    echo "bootstrap: for Hindi and Chinese invoices, install the fonts: sudo apt-get install ${fonts[*]}" >&2
  fi
fi
