"""What a shopper reads when the cart or the checkout refuses something: each refusal code of the
sales, inventory and finance services in plain words, in the page's language."""

from __future__ import annotations

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from millet.core.errors import DomainError
from millet.core.refusals import GENERAL
from millet.sales.services import BelowMinimumSpend
from millet.web.formats import money

MESSAGES = {
    "unknown_voucher": gettext_lazy("There is no voucher with this code. Check the code and try again."),
    "voucher_wrong_market": gettext_lazy("This voucher belongs to another country's store."),
    "voucher_expired": gettext_lazy("This voucher is not valid today."),
    "voucher_limit_reached": gettext_lazy("This voucher has been used as often as it may be."),
    "out_of_stock": gettext_lazy(
        "Not enough units are in stock for your order. Lower the quantity or choose another store."
    ),
    "not_sold_in_market": gettext_lazy("This product is not sold in this country's store."),
    "unknown_sku": gettext_lazy("This product does not exist."),
    "card_declined": gettext_lazy("Your card was declined. Try another card or pay by instant credit."),
    "insufficient_funds": gettext_lazy(
        "Your card has insufficient funds. Try another card or pay by instant credit."
    ),
    "invalid_token": gettext_lazy("The card details were not accepted. Check them and try again."),
    "cart_checked_out": gettext_lazy("This cart has already been ordered."),
    "store_required": gettext_lazy("Choose the store you will collect from."),
    "unknown_store": gettext_lazy("Choose the store you will collect from."),
    "unknown_state": gettext_lazy("Choose the state or union territory from the list."),
    "unknown_shipping_method": gettext_lazy("Choose a shipping method."),
    "empty_order": gettext_lazy("Your cart is empty."),
    "price_changed": gettext_lazy(
        "The prices changed since this page was opened, so nothing was ordered or charged. "
        "Check the new total, then place the order."
    ),
    "idempotency_key_reused": gettext_lazy(
        "This checkout was already sent for an earlier order, so nothing more was ordered. "
        "Check your cart and your choices, then place this order."
    ),
}


def problem_text(exc: DomainError, currency: str) -> str:
    """The refusal in the page's language; a refusal without its own words gets a general one."""
    if isinstance(exc, BelowMinimumSpend):
        return _("This voucher needs a minimum spend of %(amount)s.") % {
            "amount": money(exc.min_spend, currency)
        }
    reason = getattr(exc, "decline_reason", "") or exc.code
    return str(MESSAGES.get(reason, GENERAL))
