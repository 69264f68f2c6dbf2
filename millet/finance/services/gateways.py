"""Payment gateways: the boundary where money leaves or enters the company's books.

A gateway is anything with the ``PaymentGateway`` shape; ``settings.MILLET_PAYMENT_GATEWAY`` names
the one in use. Only the test gateway ships here: real ones (Alipay, WeChat Pay, Razorpay, Adyen)
need credentials and contracts and are added by the deploying company.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from decimal import Decimal
from typing import Protocol

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured


@dataclass(frozen=True)
class GatewayResult:
    ok: bool
    gateway_reference: str = ""
    decline_reason: str = ""


class PaymentGateway(Protocol):
    name: str

    def authorize(
        self, *, amount: Decimal, currency: str, payment_token: str, reference: str
    ) -> GatewayResult: ...

    def capture(self, *, gateway_reference: str, amount: Decimal, currency: str) -> GatewayResult: ...

    def refund(self, *, gateway_reference: str, amount: Decimal, currency: str) -> GatewayResult: ...

    def void(self, *, gateway_reference: str) -> GatewayResult: ...


class TestGateway:
    """TEST ONLY: moves no real money. Answers by token so tests and demos can script outcomes.

    ``tok_ok*`` approves, ``tok_declined`` declines as card_declined, ``tok_insufficient`` as
    insufficient_funds, anything else as invalid_token. Capture, refund and void always succeed.
    """

    __test__ = False  # not a pytest test class, despite the name
    name = "test"
    _DECLINES = {"tok_declined": "card_declined", "tok_insufficient": "insufficient_funds"}

    def authorize(
        self, *, amount: Decimal, currency: str, payment_token: str, reference: str
    ) -> GatewayResult:
        if payment_token.startswith("tok_ok"):
            return GatewayResult(ok=True, gateway_reference=f"test_{uuid.uuid4().hex}")
        return GatewayResult(ok=False, decline_reason=self._DECLINES.get(payment_token, "invalid_token"))

    def capture(self, *, gateway_reference: str, amount: Decimal, currency: str) -> GatewayResult:
        return GatewayResult(ok=True, gateway_reference=gateway_reference)

    def refund(self, *, gateway_reference: str, amount: Decimal, currency: str) -> GatewayResult:
        return GatewayResult(ok=True, gateway_reference=gateway_reference)

    def void(self, *, gateway_reference: str) -> GatewayResult:
        return GatewayResult(ok=True, gateway_reference=gateway_reference)


class CashGateway:
    """Notes and coins taken at a till: nothing to ask anyone, so every step succeeds. The money
    sits in the till's own ledger account, whose code is the payment's ``gateway_reference``
    (``payments.charge_payment`` with ``cash_account``); a refund is paid out of the drawer of the
    till that gives it (``payments.refund_payment`` with ``cash_account``)."""

    name = "cash"

    def authorize(
        self, *, amount: Decimal, currency: str, payment_token: str, reference: str
    ) -> GatewayResult:
        return GatewayResult(ok=True, gateway_reference=payment_token)

    def capture(self, *, gateway_reference: str, amount: Decimal, currency: str) -> GatewayResult:
        return GatewayResult(ok=True, gateway_reference=gateway_reference)

    def refund(self, *, gateway_reference: str, amount: Decimal, currency: str) -> GatewayResult:
        return GatewayResult(ok=True, gateway_reference=gateway_reference)

    def void(self, *, gateway_reference: str) -> GatewayResult:
        return GatewayResult(ok=True, gateway_reference=gateway_reference)


GATEWAYS: dict[str, type[PaymentGateway]] = {TestGateway.name: TestGateway, CashGateway.name: CashGateway}


def get_gateway(name: str | None = None) -> PaymentGateway:
    """The configured gateway, or the named one (a payment is always refunded where it was taken)."""
    name = name or settings.MILLET_PAYMENT_GATEWAY
    if name not in GATEWAYS:
        raise ImproperlyConfigured(f"unknown payment gateway {name!r}; known: {', '.join(sorted(GATEWAYS))}")
    return GATEWAYS[name]()
