"""What every page with a hidden one-time ``attempt`` key (``core.attempt_keys.AttemptField``) must
answer when the key comes back damaged: the page's tests share these checks."""

from __future__ import annotations

import re

from django.http import HttpResponse
from django.utils import translation
from django.utils.html import escape

from millet.core.attempt_keys import AttemptField

DAMAGED_KEYS = ("A" * 32, "x" * 5000, "../../")  # wrong case, far too long, not a key at all


def damaged_words(language: str) -> str:
    """The sentence a damaged key is answered with, in ``language`` (a Django language code)."""
    with translation.override(language):
        return str(AttemptField.default_error_messages["damaged"])


def fresh_key_after_damaged(response: HttpResponse, damaged: str, language: str, form: str = "form") -> str:
    """Assert the page refused the form for its damaged key in words (422, the whole form's error
    in ``language``, no "(Hidden field attempt)") and drew it again with a fresh key; return that
    key, with which the next send must go through. ``form``: the form's name in the context."""
    html = response.content.decode()
    assert response.status_code == 422
    assert "Hidden field" not in html and "Enter a valid value" not in html
    words = damaged_words(language)
    assert escape(words) in html
    sent = response.context[form]
    assert words in sent.non_field_errors() and "attempt" not in sent.errors
    fresh = re.search(r'name="attempt" value="([^"]*)"', html)[1]
    assert re.fullmatch(r"[0-9a-f]{32}", fresh) and fresh != damaged
    return fresh
