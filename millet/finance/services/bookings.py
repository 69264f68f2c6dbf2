"""A sale's money on the ledger, booked from the order's facts: sales says what was sold, finance
knows the chart of accounts and the postings.

``book_sale`` is the one call: ``CHARGE`` takes the money at a till and books it at once,
``CAPTURE`` takes the order's authorised payment, ``REFUND`` gives back the returned part of a
captured one. Every step posts net revenue to the selling store (``revenue:store:{STORE}:{CUR}``)
or to the web channel of the market (``revenue:web:{MARKET}:{CUR}``), and each tax component to its
own payable account (``tax:{MARKET}:{COMPONENT}:{CUR}``); a refund takes back from the same accounts.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum

from millet.core.errors import Conflict, Unprocessable
from millet.finance.models import Payment
from millet.finance.services.chart import store_revenue_account, tax_payable_account, web_revenue_account
from millet.finance.services.payments import (
    Posting,
    capture_payment,
    charge_payment,
    payments_for,
    refund_payment,
    void_payment,
)


@dataclass(frozen=True)
class SoldLine:
    """What one order line (or the returned part of it) comes to, in the order's currency: its
    gross total after discount, and the tax inside that total by component (e.g. CGST and SGST)."""

    total: Decimal
    tax: Mapping[str, Decimal]


@dataclass(frozen=True)
class SaleFacts:
    """The facts of a sale that decide its books. ``store_code`` is the selling or pickup store;
    None books the revenue to the market's web channel."""

    reference: str  # the order number
    market: str
    currency: str
    store_code: str | None
    lines: Sequence[SoldLine]

    @property
    def total(self) -> Decimal:
        return sum((line.total for line in self.lines), Decimal(0))


class SaleStep(StrEnum):
    CHARGE = "charge"  # a till sale: authorise and capture at once
    CAPTURE = "capture"  # hand-over of an order paid earlier
    REFUND = "refund"  # returned units


def book_sale(
    facts: SaleFacts,
    step: SaleStep,
    *,
    payment_token: str | None = None,
    cash_account: str | None = None,
    idempotency_key: str | None = None,
) -> Payment:
    """Book one step of a sale and return the payment it moved.

    ``CHARGE`` needs the buyer's ``payment_token`` (a decline is a 402 and books nothing), or
    ``cash_account``, the till drawer a cash sale lands in (``till_cash_account``).
    ``CAPTURE`` and ``REFUND`` find the order's payment by its reference; an order without an
    authorised (or, to refund, a captured) payment is a 409 ``not_paid``. A cash payment is
    refunded out of ``cash_account``, the drawer of the till taking the units back
    (``refund_payment``: 409 ``cash_refund_needs_till`` without one). ``idempotency_key`` makes a
    refund a replay when it is sent again.
    """
    postings = _postings(facts)
    if step == SaleStep.CHARGE:
        if cash_account is not None:
            return charge_payment(
                reference=facts.reference,
                amount=facts.total,
                currency=facts.currency,
                postings=postings,
                cash_account=cash_account,
            )
        if not payment_token:
            raise Unprocessable("a till sale needs a payment token", code="payment_token_required")
        return charge_payment(
            reference=facts.reference,
            amount=facts.total,
            currency=facts.currency,
            payment_token=payment_token,
            postings=postings,
        )
    if step == SaleStep.CAPTURE:
        payment = _payment(facts.reference, (Payment.Status.AUTHORIZED,), "order has no authorised payment")
        return capture_payment(payment.pk, postings=postings)
    payment = _payment(
        facts.reference,
        (Payment.Status.CAPTURED, Payment.Status.PARTIALLY_REFUNDED),
        "order has no captured payment to refund",
    )
    return refund_payment(
        payment.pk, postings=postings, idempotency_key=idempotency_key, cash_account=cash_account
    )


def void_authorizations(reference: str) -> int:
    """Release every payment of ``reference`` that is authorised but not captured (a cancelled
    order); returns how many were voided."""
    voided = 0
    for payment in payments_for(reference):
        if payment.status == Payment.Status.AUTHORIZED:
            void_payment(payment.pk)
            voided += 1
    return voided


def _payment(reference: str, statuses: tuple[str, ...], missing: str) -> Payment:
    found = [p for p in payments_for(reference) if p.status in statuses]
    if not found:
        raise Conflict(missing, code="not_paid")
    return found[0]


def _postings(facts: SaleFacts) -> list[Posting]:
    """Net revenue to the store or channel, each tax component to its account; zero legs left out."""
    taxes: dict[str, Decimal] = defaultdict(Decimal)
    revenue = Decimal(0)
    for line in facts.lines:
        line_tax = Decimal(0)
        for component, amount in line.tax.items():
            taxes[component] += amount
            line_tax += amount
        revenue += line.total - line_tax
    postings = []
    if revenue:
        account = (
            store_revenue_account(facts.store_code, facts.currency)
            if facts.store_code
            else web_revenue_account(facts.market, facts.currency)
        )
        postings.append(Posting(account.code, account.kind, revenue, "revenue"))
    for component, amount in sorted(taxes.items()):
        if amount:
            account = tax_payable_account(facts.market, component, facts.currency)
            postings.append(Posting(account.code, account.kind, amount, "tax"))
    return postings
