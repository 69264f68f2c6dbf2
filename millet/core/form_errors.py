"""A service's refusal shown on a Django form: the back office's forms call the same ``check_*``
verbs the services do, and each refusal (``core.errors.DomainError``) becomes the form's error,
never a 500 and never a second wording of the rule.

The error is said in the staff member's language, as the admin around it is: the form's own
sentence for the refusal's code (``core.refusals.refusal_words``, with its ``facts``), else its
general one naming what was refused. The service's ``detail`` is English for the API and the logs;
the forms showed it as it was on an admin drawn in Chinese, Hindi or German.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from contextlib import contextmanager

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from millet.core.errors import DomainError
from millet.core.refusals import refusal_words

REFUSED = _("This value was refused. Check it and try again.")

# Refusals of the shared rules (regions: markets, their states and currencies, money) that many
# forms meet; a form's own words come first.
SHARED = {
    "unknown_market": _("There is no market %(market)s."),
    "unknown_state": _("%(state)s is not a state of %(market)s: use its ISO 3166-2 code, like %(example)s."),
    "unknown_currency": _("%(currency)s is not a currency that can be used here."),
    "malformed_money": _(
        "Enter an amount in %(currency)s: more than zero (or zero where allowed), below one "
        "billion, with at most %(places)s decimal places."
    ),
}


@contextmanager
def refusal_on_form(
    words: Mapping[str, object],
    form: forms.BaseForm | None = None,
    field: str | None = None,
    *,
    otherwise: object = REFUSED,
) -> Iterator[None]:
    """Inside the block, a ``DomainError`` becomes a ``ValidationError`` with its code, said in
    ``words[code]`` (or ``SHARED``'s, else ``otherwise``: a form's general sentence naming what it
    refuses): raised (from a form's ``clean``, the form's error) when no ``form`` is given, else
    added to ``field`` of ``form`` (None: the whole form) and the block is left."""
    try:
        yield
    except DomainError as exc:
        error = ValidationError(refusal_words(exc, {**SHARED, **words}, otherwise), code=exc.code)
        if form is None:
            raise error from None
        form.add_error(field, error)
