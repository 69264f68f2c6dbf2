#!/usr/bin/env bash
# Extracts every translatable string into the catalogs (each domain with a locale/ folder keeps its
# own; millet/locale holds the rest, see LOCALE_PATHS in millet/settings.py), then compiles them.
# Needs GNU gettext (xgettext, msgmerge, msgfmt). Translate what is new in the .po files, run this
# again, and commit the .po and .mo files: tests/i18n/test_catalogs.py runs the same extraction on
# a copy and fails on any string left untranslated or fuzzy in zh_Hans, hi or de.
set -euo pipefail
cd "$(dirname "$0")/.."
python=${PYTHON:-$PWD/.venv/bin/python}
export DJANGO_SETTINGS_MODULE=millet.settings PYTHONPATH="$PWD${PYTHONPATH:+:$PYTHONPATH}"
export MILLET_DATA_DIR="${MILLET_DATA_DIR:-$(mktemp -d)}"
unset DATABASE_URL REDIS_URL
cd millet
"$python" -m django makemessages --locale de --locale hi --locale zh_Hans \
  --no-obsolete --add-location file --ignore 'static/*' --verbosity 0
"$python" -m django compilemessages --locale de --locale hi --locale zh_Hans --verbosity 0
