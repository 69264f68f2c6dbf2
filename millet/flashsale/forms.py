"""The flash-sale page's forms: the gate's button (one attempt per drawing of the page) and the
payment window's card form."""

from __future__ import annotations

import secrets

from django import forms
from django.core.validators import RegexValidator
from django.utils.translation import gettext_lazy as _

ATTEMPT = RegexValidator(r"^[A-Za-z0-9_-]{16,64}$", _("This page is out of date. Reload it and try again."))


def new_attempt() -> str:
    """A fresh click id for the gate's button: 128 random bits, URL-safe (22 characters)."""
    return secrets.token_urlsafe(16)


class ClaimForm(forms.Form):
    """The gate's one button; ``attempt`` makes a double click one claim (``services.claim_once``)."""

    attempt = forms.CharField(widget=forms.HiddenInput, validators=[ATTEMPT], max_length=64)


class PayForm(forms.Form):
    """Card payment through the configured gateway. The test gateway's cards are tokens: ``tok_ok``
    approves, ``tok_declined`` and ``tok_insufficient`` decline (``finance.TestGateway``)."""

    payment_token = forms.CharField(
        label=_("Card token"),
        max_length=64,
        help_text=_("The token your card provider gave for this payment."),
    )
