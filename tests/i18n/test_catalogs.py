"""Every string a person sees is translated into Simplified Chinese, Hindi and German.

The extraction is the real one (``scripts/messages.sh``: Django's makemessages over the whole
source, into the per-domain catalogs), run on a copy of the tree, so a string added to a template
or to Python without its translation fails here, not in front of a shopper.
"""

from __future__ import annotations

import gettext
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from babel.messages.pofile import read_po

ROOT = Path(__file__).resolve().parents[2]
LANGUAGES = ("zh_Hans", "hi", "de")


def catalogs(tree: Path) -> list[Path]:
    return sorted(
        p for lang in LANGUAGES for p in tree.glob(f"millet/**/locale/{lang}/LC_MESSAGES/django.po")
    )


def problems(po: Path, root: Path) -> list[str]:
    """Each untranslated or fuzzy entry of a catalog, named by catalog and msgid."""
    with po.open("rb") as f:
        catalog = read_po(f)
    found = []
    for message in catalog:
        if not message.id:
            continue
        strings = message.string if isinstance(message.string, tuple) else (message.string,)
        if message.fuzzy or not all(strings):
            msgid = message.id if isinstance(message.id, str) else message.id[0]
            found.append(f"{po.relative_to(root)}: {'fuzzy' if message.fuzzy else 'untranslated'} {msgid!r}")
    return found


def test_makemessages_finds_nothing_untranslated(tmp_path):
    if shutil.which("xgettext") is None:
        message = "GNU gettext (xgettext) is needed to extract messages: apt-get install gettext"
        pytest.fail(message) if os.environ.get("CI") else pytest.skip(message)
    tree = tmp_path / "tree"
    shutil.copytree(ROOT / "millet", tree / "millet", ignore=shutil.ignore_patterns("__pycache__", "static"))
    shutil.copytree(ROOT / "scripts", tree / "scripts")
    env = {**os.environ, "PYTHON": sys.executable, "MILLET_DATA_DIR": str(tmp_path / "data")}
    env.pop("PYTHONPATH", None)
    subprocess.run([tree / "scripts" / "messages.sh"], check=True, env=env, capture_output=True, timeout=300)
    found = [problem for po in catalogs(tree) for problem in problems(po, tree)]
    assert not found, "translate these (scripts/messages.sh, then commit the catalogs):\n" + "\n".join(found)


def test_committed_catalogs_are_complete_and_compiled():
    """What is committed is translated, and each .mo holds exactly its .po (run scripts/messages.sh)."""
    found = []
    for po in catalogs(ROOT):
        found += problems(po, ROOT)
        with po.open("rb") as f:
            catalog = read_po(f)
        with po.with_suffix(".mo").open("rb") as f:
            compiled = gettext.GNUTranslations(f)
        for message in catalog:
            if not message.id or message.fuzzy:
                continue
            if isinstance(message.id, str):
                found_text = (
                    compiled.pgettext(message.context, message.id)
                    if message.context
                    else compiled.gettext(message.id)
                )
                if found_text != message.string:
                    found.append(f"{po.relative_to(ROOT)}: .mo is stale for {message.id!r}")
            elif compiled.ngettext(message.id[0], message.id[1], 1) != message.string[0]:
                found.append(f"{po.relative_to(ROOT)}: .mo is stale for {message.id[0]!r}")
    assert not found, "\n".join(found)


def test_no_two_catalogs_translate_a_string_differently():
    """Django merges the domains' catalogs into one, and the first in LOCALE_PATHS to hold a msgid
    wins it on every page: a second catalog's own translation of the same msgid never shows (the
    insights drill-down said 商城, the web store, for a Mi Home store). So, in each language, every
    catalog holding a msgid (under the same context) translates it alike. A string that means
    something else on one page takes a context there (``pgettext``, ``{% translate "..." context
    "..." %}``) and is translated under it; any other is said as the other catalogs say it."""
    found = []
    for lang in LANGUAGES:
        by_key: dict[tuple, dict[str, list[str]]] = {}
        for po in sorted(ROOT.glob(f"millet/**/locale/{lang}/LC_MESSAGES/django.po")):
            domain = po.parent.parent.parent.parent.relative_to(ROOT).as_posix()
            with po.open("rb") as f:
                for message in read_po(f):
                    if not message.id or message.fuzzy:
                        continue
                    msgid = message.id if isinstance(message.id, str) else message.id[0]
                    # A plural entry's forms are compared together, as one translation.
                    strings = (message.string,) if isinstance(message.string, str) else tuple(message.string)
                    if any(strings):
                        text = " | ".join(strings)
                        by_key.setdefault((message.context, msgid), {}).setdefault(text, []).append(domain)
        for (context, msgid), translations in by_key.items():
            if len(translations) > 1:
                where = "; ".join(
                    f"{text!r} in {', '.join(domains)}" for text, domains in translations.items()
                )
                found.append(f"{lang} {msgid!r}{f' (context {context!r})' if context else ''}: {where}")
    assert not found, "one translation per string, or a context where the meaning differs:\n" + "\n".join(
        sorted(found)
    )
