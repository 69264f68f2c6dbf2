"""Every page is drawn in the one layout (base.html): its header, menus, languages and styles.

The store dashboard and credit monitoring were once pages of their own HTML, English only and
wider than a phone; this keeps any page from starting its own document again. 400.html, 500.html
and 503.html stand alone on purpose: they must render when the layout's context cannot be built
(a request refused before the session and the user are read, a server error, or Redis, which the
header's cart count reads, being down)."""

from __future__ import annotations

from pathlib import Path

import millet

STANDALONE = {
    "web/templates/base.html",
    "web/templates/400.html",
    "web/templates/500.html",
    "web/templates/503.html",
}


def test_only_the_layout_and_the_error_pages_open_a_document():
    root = Path(millet.__file__).parent
    documents = {
        str(path.relative_to(root))
        for path in root.glob("*/templates/**/*.html")
        if "<html" in path.read_text().lower()
    }
    assert documents == STANDALONE
