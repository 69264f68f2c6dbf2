"""What a shopper reads when the card they pay with is refused, on every lending page that
charges one (an order after a credit decline, a loan's installment): the gateway's
``decline_reason`` in plain words, the same sentence on each page."""

from __future__ import annotations

from django.utils.translation import gettext as _

from millet.core.errors import DomainError


def card_problem(exc: DomainError) -> str:
    reason = getattr(exc, "decline_reason", "")
    return {
        "card_declined": _("Your card was declined."),
        "insufficient_funds": _("Your card has insufficient funds."),
    }.get(reason, _("The payment did not go through. Check the card and try again."))
