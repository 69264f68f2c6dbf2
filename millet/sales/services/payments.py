"""How an order was paid and where its refunds went, for the buyer's order page and invoice."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from millet.accounts.actor import Actor
from millet.finance import services as finance
from millet.sales.services.orders import get_order

# The name lending registers its gateway under (finance.GATEWAYS): an order paid by instant credit.
LOAN_GATEWAY = "credit"
# How the buyer is told a payment was made, by gateway; any other gateway took a card.
_METHODS = {LOAN_GATEWAY: "loan", finance.CashGateway.name: "cash"}


@dataclass(frozen=True)
class OrderPayment:
    """One payment of an order, in the order's currency. ``method`` is "loan" (instant credit:
    refunds pay the loan down), "cash" (a till sale: refunds are paid out in cash at a store's till)
    or "card" (every other gateway: refunds go back to the card)."""

    method: str
    status: str  # finance's Payment.Status: authorized, captured, partially_refunded, refunded, voided...
    amount: Decimal
    captured: Decimal
    refunded: Decimal


def order_payments(actor: Actor, number: str) -> list[OrderPayment]:
    """The payments of an order the actor may see (``get_order``'s rule; NotFound otherwise),
    oldest first; declined attempts left out."""
    order = get_order(actor, number)
    return [
        OrderPayment(
            method=_METHODS.get(payment.gateway, "card"),
            status=payment.status,
            amount=payment.amount,
            captured=payment.captured,
            refunded=payment.refunded,
        )
        for payment in finance.payments_for(order.number)
        if payment.status != "declined"
    ]
