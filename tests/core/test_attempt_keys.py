"""``core.attempt_keys.AttemptField``: a sound key is kept as sent, a damaged one is the whole
form's error in the person's language and the form is drawn again with a fresh key."""

from __future__ import annotations

import re

import pytest
from django import forms
from django.utils import translation

from millet.core.attempt_keys import AttemptField, new_attempt
from tests.core.damaged_attempts import DAMAGED_KEYS, damaged_words


class Needed(forms.Form):
    attempt = AttemptField()
    name = forms.CharField()


class Optional(forms.Form):
    attempt = AttemptField(required=False)


class Shaped(forms.Form):
    attempt = AttemptField(shape=r"[A-Za-z0-9_-]{16,64}")


def key_drawn(form: forms.Form) -> str:
    return re.search(r'name="attempt" value="([^"]*)"', str(form))[1]


def test_a_page_draws_each_form_with_its_own_fresh_key():
    first, second = key_drawn(Needed()), key_drawn(Needed())
    assert re.fullmatch(r"[0-9a-f]{32}", first) and first != second
    assert re.fullmatch(r"[0-9a-f]{32}", new_attempt())


def test_a_sound_key_is_kept_as_sent_and_drawn_again_unchanged():
    key = new_attempt()
    form = Needed({"attempt": key, "name": ""})
    assert not form.is_valid() and list(form.errors) == ["name"]  # another field's error keeps the key
    assert key_drawn(form) == key
    assert Needed({"attempt": key, "name": "x"}).is_valid()
    shaped = Shaped({"attempt": "AbC_-" * 4})
    assert shaped.is_valid() and shaped.cleaned_data["attempt"] == "AbC_-" * 4


def test_no_key_is_no_key_where_the_form_allows_it_and_damaged_where_it_needs_one():
    optional = Optional({})
    assert optional.is_valid() and optional.cleaned_data["attempt"] == ""
    needed = Needed({"name": "x"})
    assert not needed.is_valid() and needed.non_field_errors() == [damaged_words("en")]


@pytest.mark.parametrize("damaged", DAMAGED_KEYS)
@pytest.mark.parametrize("language", ["en", "de", "hi", "zh-hans"])
def test_a_damaged_key_is_the_whole_forms_error_in_words_and_a_fresh_key_is_drawn(damaged, language):
    with translation.override(language):
        for form in (Needed({"attempt": damaged, "name": "x"}), Optional({"attempt": damaged})):
            assert not form.is_valid()
            assert form.non_field_errors() == [damaged_words(language)] and "attempt" not in form.errors
            html = str(form)
            assert "Hidden field" not in html and damaged not in html
            fresh = key_drawn(form)
            assert re.fullmatch(r"[0-9a-f]{32}", fresh)
            assert key_drawn(form) == fresh  # the same fresh key however often the form is drawn
    assert damaged_words(language) != damaged_words("en") or language == "en"
