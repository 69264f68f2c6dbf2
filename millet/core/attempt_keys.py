"""The hidden one-time ``attempt`` key a page's form carries, so a form sent twice acts once.

A page draws its form with a fresh key (``new_attempt``); the view hands it to the service as the
request's idempotency key. The person cannot see the key, so they cannot mend it: when it comes
back damaged (a browser extension, a proxy or a hand-edited form changed it), Django's own answer,
"(Hidden field attempt) Enter a valid value.", spoke of a field nobody sees, and the form came back
with the same damaged key, refused again on every later send. ``AttemptField`` says instead, for
the whole form, that it could not be checked, and draws the form again with a fresh key, so the
next send goes through.
"""

from __future__ import annotations

import re
import uuid

from django import forms
from django.core.exceptions import ValidationError
from django.forms.boundfield import BoundField
from django.http import QueryDict
from django.utils.translation import gettext_lazy as _

KEY_SHAPE = r"[0-9a-f]{32}"  # what ``new_attempt`` makes


def new_attempt() -> str:
    """A fresh key for a page's form: 128 random bits as 32 hex digits (``uuid4().hex``)."""
    return uuid.uuid4().hex


def is_page_key(sent: str) -> bool:
    """Whether ``sent`` has the shape of the keys pages draw (``new_attempt``): anything else is a
    damaged key, never one to look an earlier request up by (the API's keys may be other strings)."""
    return re.fullmatch(KEY_SHAPE, sent) is not None


def sound_or_new(sent: str) -> str:
    """``sent`` when it has the page's own key shape, else a fresh key: ``AttemptField``'s rule for a
    page drawn without a Django form (the automation editor)."""
    return sent if is_page_key(sent) else new_attempt()


class AttemptField(forms.CharField):
    """The form's hidden ``attempt`` key, a fresh one (``new_attempt``) on every page drawn.

    A key of ``shape`` (a regular expression the whole key must match; the page's own keys by
    default) is the cleaned value, as sent. Without ``required``, no key is "" (the view sends no
    idempotency key). A damaged key, or a missing one where the form needs it, is a non-field error
    in the person's words, and the form drawn again carries a fresh key instead.
    """

    widget = forms.HiddenInput
    default_error_messages = {
        "damaged": _("This form could not be checked. Please review it and send it again."),
    }

    def __init__(self, *, shape: str = KEY_SHAPE, required: bool = True, **kwargs) -> None:
        super().__init__(required=required, initial=new_attempt, **kwargs)
        self.shape = re.compile(shape)

    def clean(self, value: object) -> str:
        key = self.to_python(value)
        if key == "" and not self.required:
            return ""
        if not self.shape.fullmatch(key):
            raise ValidationError(self.error_messages["damaged"], code="damaged")
        return key

    def bound_data(self, data: object, initial: str) -> str:
        """The key a sent form is drawn again with: the one sent when it was sound (it made
        nothing yet), else the bound field's fresh ``initial``."""
        key = self.to_python(data)
        return key if self.shape.fullmatch(key) else initial

    def _clean_bound_field(self, bf: BoundField) -> str:
        """Django cleans each field through this hook, the one place a field sees its form: the
        damaged key's words go on the whole form (a hidden field's own error reads
        "(Hidden field attempt) …"), and the field cleans to "" while the form stays invalid."""
        try:
            return super()._clean_bound_field(bf)
        except ValidationError as damaged:
            bf.form.add_error(None, damaged)
            return ""


def with_fresh_attempt(data: QueryDict, name: str = "attempt") -> QueryDict:
    """The sent form's data with a fresh key in place of the one sent: for a form refused because
    its key already made something else (409 ``idempotency_key_reused``), drawn again with what the
    person chose so that their next send is a new request, not that refusal again."""
    fresh = data.copy()
    fresh[name] = new_attempt()
    return fresh
