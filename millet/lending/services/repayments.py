"""Money coming back to a loan: the borrower's repayments, and refunds and cancellations from the sale."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from django.conf import settings
from django.db import transaction

from millet.accounts.actor import Actor
from millet.core.errors import Conflict, Forbidden, Unprocessable
from millet.core.idempotency import check_same_request, fingerprint
from millet.finance import services as finance
from millet.lending.models import (
    Loan,
    LoanEvent,
)
from millet.lending.services import clock
from millet.lending.services.loans import (
    LENDER_GATEWAY,
    Kind,
    book,
    get_loan,
    installments,
    locked_loan,
)
from millet.lending.services.waterfall import Waterfall, apply_waterfall, payoff_minor, prepay, waterfall_for
from millet.regions.money import currency_exponent, from_minor, parse_minor, to_minor


def _repayment_replay(loan: Loan, key: str, request: str) -> LoanEvent | None:
    """The repayment a borrower's key already made (on any of their loans), when the request is the
    same; a key reused for another loan, amount, currency or card is a 409 (core.idempotency)."""
    previous = LoanEvent.objects.filter(
        key=key, kind=Kind.REPAYMENT, loan__customer_id=loan.customer_id
    ).first()
    if previous is not None:
        check_same_request(previous.request_fingerprint, request)
    return previous


def repay(
    actor: Actor,
    number: str,
    *,
    amount: Decimal,
    currency: str,
    payment_token: str,
    idempotency_key: str,
    on: date | None = None,
) -> LoanEvent:
    """The customer pays part or all of what they owe; a replayed key changes nothing.

    Refusals come before any money moves: someone else's loan 404, a bad amount or currency 422,
    a closed loan or a payment beyond the payoff 409, a declined card 402.
    """
    on = on or clock.business_day()
    if not 0 < len(idempotency_key) <= 64:
        raise Unprocessable("idempotency key must be 1-64 characters", code="invalid_idempotency_key")
    with transaction.atomic():
        get_loan(actor, number)  # visibility first: someone else's loan is simply not there
        loan = locked_loan(number)
        if actor.user_id != loan.customer_id and not actor.is_staff:
            raise Forbidden("only the borrower repays a loan")
        currency_exponent(currency)
        if currency != loan.currency:
            raise Unprocessable(
                f"loan {number} is in {loan.currency}, not {currency}", code="currency_mismatch"
            )
        minor = parse_minor(amount, currency)  # the one conversion: from here to the ledger, minor units
        key = f"repay:{idempotency_key}"
        request = fingerprint(
            "repay", loan=number, amount=minor, currency=currency, payment_token=payment_token
        )
        previous = _repayment_replay(loan, key, request)
        if previous is not None:
            return previous
        if loan.status != Loan.Status.ACTIVE:
            raise Conflict(f"loan is {loan.status}", code="loan_not_active")
        rows = installments(loan)
        owed = payoff_minor(loan, rows, on)
        if minor > owed:
            raise Conflict(
                f"{from_minor(minor, currency)} exceeds the {from_minor(owed, currency)} owed today",
                code="exceeds_payoff",
            )
        waterfall = waterfall_for(loan, rows, on, minor)
        payment = finance.collect_loan_repayment(
            loan_number=loan.number, amount_minor=minor, currency=currency, payment_token=payment_token
        )
        collections = finance.lending_collections_account(currency)
        principal, interest = sum(waterfall.principal.values()), sum(waterfall.interest.values())
        event = book(
            loan,
            Kind.REPAYMENT,
            key,
            on,
            [
                (
                    collections.code,
                    finance.lending_fees_account(loan.number, currency).code,
                    waterfall.fee,
                    "loan_fee",
                ),
                (
                    collections.code,
                    finance.lending_interest_income_account(currency).code,
                    interest,
                    "loan_interest",
                ),
                (
                    collections.code,
                    finance.lending_principal_account(loan.number, currency).code,
                    principal,
                    "loan_principal",
                ),
            ],
            amount=minor,
            principal=principal,
            interest=interest,
            fee=waterfall.fee,
            payment_id=payment.pk,
            request_fingerprint=request,
        )
        apply_waterfall(loan, rows, on, waterfall)
    return event


def payoff_quote(actor: Actor, number: str, *, on: date | None = None) -> int:
    loan = get_loan(actor, number)
    return payoff_minor(loan, installments(loan), on or clock.business_day())


def refund_to_loan(number: str, *, amount: Decimal, currency: str, on: date | None = None) -> LoanEvent:
    """A return refunded (part of) the sale to the lender; see ``_return_to_lender``."""
    loan = locked_loan(number)
    count = loan.events.filter(kind=Kind.REFUND).count()
    return _return_to_lender(
        loan, to_minor(amount, currency), Kind.REFUND, f"refund:{count + 1}", on or clock.business_day()
    )


def cancel_loan(number: str, *, on: date | None = None) -> LoanEvent:
    """The order was cancelled before fulfilment: the lender takes the whole sale back, an active
    loan closes as cancelled with its remaining interest and fees waived."""
    loan = locked_loan(number)
    return _return_to_lender(
        loan, loan.principal_minor, Kind.CANCELLATION, "cancel", on or clock.business_day()
    )


def _return_to_lender(loan: Loan, minor: int, kind: str, key: str, on: date) -> LoanEvent:
    """Money from the sale comes back to the lender (gateway:credit) and goes, in this order, to the
    principal still owed, to principal written off (a recovery, which reduces the charge-off
    expense), and the rest back to the customer, who had repaid it, through the payment gateway."""
    cur = loan.currency
    active = loan.status == Loan.Status.ACTIVE
    part = min(minor, loan.outstanding_principal_minor) if active else 0
    recovery = min(minor - part, loan.written_off_minor - loan.recovered_minor)
    surplus = minor - part - recovery
    cancelling = kind == Kind.CANCELLATION and active
    waived = loan.fees_outstanding_minor if cancelling else 0
    rows = installments(loan)
    waterfall = Waterfall(0, {}, {})
    prepay(rows, part, waterfall.principal)
    lender = finance.gateway_account(LENDER_GATEWAY, cur).code
    event = book(
        loan,
        kind,
        key,
        on,
        [
            (lender, finance.lending_principal_account(loan.number, cur).code, part, "loan_refund"),
            (lender, finance.lending_charge_off_account(cur).code, recovery, "loan_recovery"),
            (
                lender,
                finance.gateway_account(settings.MILLET_PAYMENT_GATEWAY, cur).code,
                surplus,
                "loan_refund_surplus",
            ),
            (
                finance.lending_fee_income_account(cur).code,
                finance.lending_fees_account(loan.number, cur).code,
                waived,
                "loan_fee_waiver",
            ),
        ],
        amount=minor,
        principal=part,
        recovery=recovery,
        fee=waived,
        surplus=surplus,
    )
    loan.recovered_minor += recovery
    loan.save(update_fields=["recovered_minor"])
    if cancelling:
        for row in rows:  # nothing more is owed: the interest not yet paid is waived
            row.interest_due_minor = row.interest_paid_minor
        waterfall = Waterfall(waived, {}, waterfall.principal)
    if part or cancelling:
        apply_waterfall(loan, rows, on, waterfall)
    if cancelling:
        loan.status = Loan.Status.CANCELLED
        loan.save(update_fields=["status"])
    return event
