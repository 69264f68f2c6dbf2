"""Consumer credit at checkout: products, the model registry, applications, loans and their money.

Ledger flows (one currency per loan; every movement one balanced, keyed ``create_transfers`` batch):
- pay the order:  the order's payment is authorised at the ``credit`` gateway (pending
  gateway:credit -> customer-funds), and the loan is disbursed in the same transaction:
  lending:principal:{LOAN} -> gateway:credit. The lender's settlement account nets to zero, so the
  loan receivable is what funded the sale.
- repayment:      the customer pays through payments (gateway -> customer-funds ->
  lending:collections), then collections -> lending:fees:{LOAN}, lending:interest, and
  lending:principal:{LOAN}.
- late fee:       lending:fees:{LOAN} -> lending:fee-income.
- return refund:  payments refund the sale to gateway:credit; the lender applies it to the loan
  (gateway:credit -> principal) and pays any surplus back to the customer (-> the payment gateway).
- charge-off:     lending:charge-offs -> principal and fees.

Concurrency: every change to a loan first locks its row (``select_for_update``), so repayments,
refunds and the daily job on one loan queue; the per-loan ledger accounts carry a balance limit, so
even a bug could not make the ledger owe a customer more than they borrowed.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from decimal import Decimal

from django.db.models import QuerySet

from millet.accounts.actor import SYSTEM, Actor
from millet.core.errors import NotFound
from millet.core.numbers import document_number
from millet.finance import services as finance
from millet.finance.services import TransferSpec, create_transfers
from millet.lending.models import (
    Application,
    Installment,
    Loan,
    LoanEvent,
)
from millet.lending.schedule import build_schedule
from millet.regions.money import to_minor
from millet.sales import services as sales

Kind = LoanEvent.Kind
# The lender is a payment method to sales: orders paid by loan go through this gateway (see gateway.py).
LENDER_GATEWAY = "credit"
TOKEN_PREFIX = "loan:"  # a loan's payment token: "loan:<loan number>"


def _visible_loans(actor: Actor) -> QuerySet[Loan]:
    loans = Loan.objects.select_related("product")
    return loans if actor.is_risk_officer else loans.filter(customer_id=actor.user_id)


def get_loan(actor: Actor, number: str) -> Loan:
    """The loan if it is the actor's (or they are staff/risk); 404 otherwise, so numbers cannot be probed."""
    loan = _visible_loans(actor).filter(number=number).first()
    if loan is None:
        raise NotFound(f"no loan {number}", code="unknown_loan")
    return loan


def get_own_loan(actor: Actor, number: str) -> Loan:
    """One of the actor's own loans, as its borrower: the one a person may read and repay on their
    pages. Anyone else's loan is NotFound like one that does not exist, even for a risk officer, who
    sees every loan through ``get_loan``; so the borrower's pages cannot be used to probe numbers."""
    loan = _visible_loans(actor).filter(number=number, customer_id=actor.user_id).first()
    if loan is None:
        raise NotFound(f"no loan {number}", code="unknown_loan")
    return loan


def list_loans(actor: Actor, *, status: str = "") -> QuerySet[Loan]:
    loans = _visible_loans(actor).order_by("-created_at", "-pk")
    return loans.filter(status=status) if status else loans


def installments(loan: Loan) -> list[Installment]:
    return list(loan.installments.order_by("seq"))


def locked_loan(number: str) -> Loan:
    loan = Loan.objects.select_for_update().filter(number=number).first()
    if loan is None:
        raise NotFound(f"no loan {number}", code="unknown_loan")
    return loan


def open_loan(application: Application, on: date) -> Loan:
    """Create the loan and its schedule, pay the order by loan, and disburse: one transaction.

    The loan keeps the terms the application was offered (rate, late fee, grace and charge-off
    days), the product's when the buyer applied: they are its credit agreement's, so an edit of the
    product while a referral waits, or later, applies to later applications only."""
    principal = to_minor(application.amount, application.currency)
    loan = Loan.objects.create(
        number=document_number("LN"),
        application=application,
        customer_id=application.customer_id,
        product=application.product,
        order_number=application.order_number,
        currency=application.currency,
        principal_minor=principal,
        apr=application.apr,
        term_months=application.term_months,
        method=application.method,
        late_fee_minor=application.late_fee_minor,
        grace_days=application.grace_days,
        charge_off_days=application.charge_off_days,
        disbursed_on=on,
        outstanding_principal_minor=principal,
    )
    Installment.objects.bulk_create(
        Installment(
            loan=loan,
            seq=row.seq,
            due_date=row.due_date,
            principal_due_minor=row.principal,
            interest_due_minor=row.interest,
        )
        for row in build_schedule(principal, application.apr, application.term_months, application.method, on)
    )
    sales.pay_order(
        SYSTEM, loan.order_number, payment_token=f"{TOKEN_PREFIX}{loan.number}", gateway=LENDER_GATEWAY
    )
    lender = finance.gateway_account(LENDER_GATEWAY, loan.currency).code
    book(
        loan,
        Kind.DISBURSEMENT,
        "disburse",
        on,
        [
            (
                finance.lending_principal_account(loan.number, loan.currency).code,
                lender,
                principal,
                "loan_disbursement",
            )
        ],
        amount=principal,
        principal=principal,
    )
    return loan


def loan_funds_order(number: str, *, order_number: str, amount: Decimal, currency: str) -> bool:
    """The lender gateway's check: this active, undisbursed loan was made for exactly this order."""
    loan = Loan.objects.filter(number=number, status=Loan.Status.ACTIVE).first()
    return (
        loan is not None
        and loan.order_number == order_number
        and loan.currency == currency
        and loan.principal_minor == to_minor(amount, currency)
        and not loan.events.filter(kind=Kind.DISBURSEMENT).exists()
    )


def book(
    loan: Loan,
    kind: str,
    key: str,
    on: date,
    moves: Sequence[tuple[str, str, int, str]],
    *,
    amount: int,
    principal: int = 0,
    interest: int = 0,
    fee: int = 0,
    surplus: int = 0,
    recovery: int = 0,
    payment_id: int | None = None,
    request_fingerprint: str = "",
) -> LoanEvent:
    """Book the moves (debit, credit, minor, code) as one linked, keyed batch and record the event
    (with the client's request fingerprint when a client's key made it, see core.idempotency)."""
    create_transfers(
        [
            TransferSpec(
                debit=debit,
                credit=credit,
                amount=minor,
                currency=loan.currency,
                code=code,
                reference=loan.number,
                idempotency_key=f"lending:{loan.number}:{key}:{i}",
            )
            for i, (debit, credit, minor, code) in enumerate(moves)
            if minor
        ]
    )
    return LoanEvent.objects.create(
        loan=loan,
        kind=kind,
        key=key,
        amount_minor=amount,
        principal_minor=principal,
        interest_minor=interest,
        fee_minor=fee,
        surplus_minor=surplus,
        recovery_minor=recovery,
        request_fingerprint=request_fingerprint,
        payment_id=payment_id,
        on_date=on,
    )


def schedule_outstanding(loan: Loan) -> int:
    """The schedule's principal minus every principal repayment: what the borrower still owes."""
    return (
        sum(r.principal_due_minor - r.principal_paid_minor for r in installments(loan))
        - loan.written_off_minor
    )


def events_for(loan: Loan) -> QuerySet[LoanEvent]:
    return loan.events.order_by("pk")
