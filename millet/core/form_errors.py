"""A service's refusal shown on a Django form: the back office's forms call the same ``check_*``
verbs the services do, and each refusal (``core.errors.DomainError``) becomes the form's error,
with the refusal's own detail and code, never a 500 and never a second wording of the rule."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from django import forms
from django.core.exceptions import ValidationError

from millet.core.errors import DomainError


@contextmanager
def refusal_on_form(form: forms.BaseForm | None = None, field: str | None = None) -> Iterator[None]:
    """Inside the block, a ``DomainError`` becomes a ``ValidationError`` (detail and code): raised
    (from a form's ``clean``, the form's error) when no ``form`` is given, else added to ``field``
    of ``form`` (None: the whole form) and the block is left."""
    try:
        yield
    except DomainError as exc:
        error = ValidationError(exc.detail, code=exc.code)
        if form is None:
            raise error from None
        form.add_error(field, error)
