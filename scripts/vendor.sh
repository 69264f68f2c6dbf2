#!/usr/bin/env bash
# Re-fetches the vendored front-end files from the npm registry and checks each package's tarball
# against the sha512 integrity pinned in package-lock.json before copying anything.
#
# The copies are committed, so a fresh machine needs neither npm nor this script: run it only to
# change a version (edit package.json, `npm install --package-lock-only --save-exact`, then this).
#   scripts/vendor.sh          fetch, verify, copy
#   scripts/vendor.sh --check  fetch, verify, and fail if a committed copy differs
set -euo pipefail
cd "$(dirname "$0")/.."
mode=${1:-copy}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# package  file inside the tarball  destination in the repository
FILES=(
  "htmx.org        package/dist/htmx.min.js     millet/web/static/web/vendor/htmx.min.js"
  "htmx.org        package/LICENSE              millet/web/static/web/vendor/LICENSE.htmx"
  "@alpinejs/csp   package/dist/cdn.min.js      millet/web/static/web/vendor/alpine-csp.min.js"
  "axe-core        package/axe.min.js           tests/browser/vendor/axe.min.js"
  "axe-core        package/LICENSE              tests/browser/vendor/LICENSE.axe-core"
)

locked() {  # locked NAME FIELD: version or integrity of NAME in package-lock.json
  python3 -c 'import json,sys; print(json.load(open("package-lock.json"))["packages"]["node_modules/"+sys.argv[1]][sys.argv[2]])' "$1" "$2"
}

status=0
for name in $(printf '%s\n' "${FILES[@]}" | awk '{print $1}' | sort -u); do
  version=$(locked "$name" version)
  want=$(locked "$name" integrity)
  dir="$work/$name"; mkdir -p "$dir"
  tarball=$(cd "$dir" && npm pack --silent "$name@$version")
  got="sha512-$(openssl dgst -sha512 -binary "$dir/$tarball" | base64 -w0)"
  if [ "$got" != "$want" ]; then
    echo "vendor: $name@$version does not match package-lock.json ($got != $want)" >&2
    exit 1
  fi
  tar -xzf "$dir/$tarball" -C "$dir"
  echo "vendor: $name@$version verified ($want)"
done

for line in "${FILES[@]}"; do
  read -r name inside dest <<<"$line"
  src="$work/$name/$inside"
  if [ "$mode" = "--check" ]; then
    cmp -s "$src" "$dest" || { echo "vendor: $dest differs from $name's $inside" >&2; status=1; }
  else
    mkdir -p "$(dirname "$dest")"; cp "$src" "$dest"; echo "vendor: $dest"
  fi
done
exit $status
