"""A service's refusal on a back-office form is said in the staff member's language: the form's
words for its code (naming the refusal's facts), the shared words of the regions' rules, else the
form's general sentence; never the service's English detail (the forms showed it on an admin drawn
in Chinese, Hindi or German)."""

from __future__ import annotations

import pytest
from django import forms
from django.core.exceptions import ValidationError
from django.utils import translation
from django.utils.translation import gettext_lazy

from millet.core.errors import Conflict, Unprocessable
from millet.core.form_errors import refusal_on_form

WORDS = {"invalid_apr": gettext_lazy("The APR is a decimal from 0 to %(most)s.")}
APR = Unprocessable("apr must be a decimal between 0 and 0.36", code="invalid_apr", facts={"most": "0.36"})
STATE = Unprocessable(
    "'IN-XX' is not an ISO 3166-2 state of IN (e.g. IN-KA)",
    code="unknown_state",
    facts={"state": "IN-XX", "market": "IN", "example": "IN-KA"},
)


def said(exc: Exception, **kwargs) -> ValidationError:
    with pytest.raises(ValidationError) as raised, refusal_on_form(WORDS, **kwargs):
        raise exc
    return raised.value


@pytest.mark.parametrize(
    ("language", "apr", "state", "general"),
    [
        (
            "en",
            "The APR is a decimal from 0 to 0.36.",
            "IN-XX is not a state of IN: use its ISO 3166-2 code, like IN-KA.",
            "This value was refused. Check it and try again.",
        ),
        ("de", "Der effektive Jahreszins ist eine Dezimalzahl von 0 bis 0.36.", None, None),
        (
            "zh-hans",
            None,
            "IN-XX 不是 IN 的州/省：请使用其 ISO 3166-2 代码，例如 IN-KA。",
            "该值被拒绝。请检查后重试。",
        ),
    ],
)
def test_a_refusal_is_said_in_the_forms_words_never_in_the_english_detail(language, apr, state, general):
    with translation.override(language):
        for exc, words in [
            (APR, apr),
            (STATE, state),
            (Conflict("order CN-1 is shipped, not paid", code="order_not_paid"), general),
        ]:
            error = said(exc)
            assert error.code == exc.code and exc.detail not in error.messages[0]
            if words is not None:
                assert error.messages == [words]


def test_a_form_names_what_it_refused_and_keeps_it_on_its_field():
    form = forms.Form(data={})
    form.fields["state"] = forms.CharField(required=False)
    assert form.is_valid()
    with translation.override("hi"), refusal_on_form({}, form, "state", otherwise="Not taken."):
        raise Conflict("a state the detail names in English", code="unmapped")
    assert form.errors == {"state": ["Not taken."]}
