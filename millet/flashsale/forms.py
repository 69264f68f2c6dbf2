"""The flash-sale page's forms: the gate's button (one attempt per drawing of the page) and the
payment window's card form."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from millet.core.attempt_keys import AttemptField


class ClaimForm(forms.Form):
    """The gate's one button; ``attempt`` makes a double click one claim (``services.claim_once``)."""

    attempt = AttemptField(shape=r"[A-Za-z0-9_-]{16,64}")  # any click id the gate takes


class PayForm(forms.Form):
    """Card payment through the configured gateway. The test gateway's cards are tokens: ``tok_ok``
    approves, ``tok_declined`` and ``tok_insufficient`` decline (``finance.TestGateway``)."""

    payment_token = forms.CharField(
        label=_("Card token"),
        max_length=64,
        help_text=_("The token your card provider gave for this payment."),
    )
