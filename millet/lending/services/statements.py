"""What a borrower reads about their own loans: where each stands today, and one loan's statement
(its schedule and its history), in Decimal amounts of the loan's currency, ready for a page.

The loan's rows keep integer minor units; the amounts here are converted once, at the end. "Today"
is the lender's business day (``clock``), so the page and ``repay`` agree on what is due and owed.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from millet.accounts.actor import Actor
from millet.lending.models import Installment, Loan
from millet.lending.services import clock
from millet.lending.services.daily import late_installments
from millet.lending.services.loans import events_for, get_own_loan, installments
from millet.lending.services.waterfall import payoff_minor
from millet.regions.money import from_minor

CURRENT, LATE = "current", "late"  # an active loan's state; a closed one's is its status


@dataclass(frozen=True)
class LoanSummary:
    """Where a loan stands today, as its borrower needs it.

    ``left`` is what following the schedule still costs (every unpaid installment and fee);
    ``payoff`` is what closes the loan today (later installments' interest is not owed yet), the
    most ``repay`` takes; ``due_now`` is what makes the loan current: everything due when it is late,
    else the next installment. Closed loans owe nothing here (a charged-off one is closed as unpaid).
    """

    loan: Loan
    state: str  # current, late, paid_off, charged_off, cancelled
    days_late: int
    left: Decimal
    payoff: Decimal
    due_now: Decimal
    next_due: date | None
    next_amount: Decimal | None

    @property
    def currency(self) -> str:
        return self.loan.currency

    @property
    def is_open(self) -> bool:
        return self.loan.status == Loan.Status.ACTIVE


@dataclass(frozen=True)
class ScheduleLine:
    """One installment: ``state`` is paid, late, next (the first still to pay), upcoming, or closed
    (unpaid on a loan that is no longer active: cancelled, or charged off)."""

    seq: int
    due_date: date
    amount: Decimal
    paid: Decimal
    late_fee: Decimal | None  # the fee charged on it for paying late, if it was
    state: str


@dataclass(frozen=True)
class HistoryLine:
    """One movement of the loan (``LoanEvent.Kind``) and, for a payment, how it was split."""

    kind: str
    on: date
    amount: Decimal
    fee: Decimal
    interest: Decimal
    principal: Decimal


@dataclass(frozen=True)
class LoanStatement:
    summary: LoanSummary
    schedule: list[ScheduleLine]
    history: list[HistoryLine]


def _unpaid(row: Installment) -> int:
    return (
        row.principal_due_minor - row.principal_paid_minor + row.interest_due_minor - row.interest_paid_minor
    )


def summarize(loan: Loan, rows: Sequence[Installment], on: date) -> LoanSummary:
    """The loan's summary from its installment rows (in schedule order) as of ``on``."""
    cur = loan.currency
    if loan.status != Loan.Status.ACTIVE:
        zero = from_minor(0, cur)
        return LoanSummary(loan, loan.status, 0, zero, zero, zero, None, None)
    late = late_installments(rows, on)
    unpaid = [row for row in rows if not row.settled]
    payoff = payoff_minor(loan, rows, on)
    due = loan.fees_outstanding_minor + sum(_unpaid(row) for row in unpaid if row.due_date <= on)
    due_now = min(due or (_unpaid(unpaid[0]) if unpaid else 0), payoff)
    return LoanSummary(
        loan=loan,
        state=LATE if late else CURRENT,
        days_late=(on - late[0].due_date).days if late else 0,
        left=from_minor(loan.fees_outstanding_minor + sum(_unpaid(row) for row in unpaid), cur),
        payoff=from_minor(payoff, cur),
        due_now=from_minor(due_now, cur),
        next_due=unpaid[0].due_date if unpaid else None,
        next_amount=from_minor(_unpaid(unpaid[0]), cur) if unpaid else None,
    )


def loan_summaries(actor: Actor, *, on: date | None = None) -> list[LoanSummary]:
    """The actor's own loans (a risk officer's too: only theirs), newest first, each summarized;
    one query for the loans and one for all their installments."""
    on = on or clock.business_day()
    loans = (
        Loan.objects.filter(customer_id=actor.user_id)
        .select_related("product")
        .prefetch_related("installments")
        .order_by("-created_at", "-pk")
    )
    return [summarize(loan, list(loan.installments.all()), on) for loan in loans]


def loan_statement(actor: Actor, number: str, *, on: date | None = None) -> LoanStatement:
    """One of the actor's own loans (``get_own_loan``: anyone else's is NotFound) with its schedule
    and its history, oldest first."""
    on = on or clock.business_day()
    loan = get_own_loan(actor, number)
    rows = installments(loan)
    cur = loan.currency
    summary = summarize(loan, rows, on)
    first_unpaid = next((row.seq for row in rows if not row.settled), None)

    def state(row: Installment) -> str:
        if row.settled:
            return "paid"
        if not summary.is_open:
            return "closed"
        if row.due_date < on:
            return LATE
        return "next" if row.seq == first_unpaid else "upcoming"

    schedule = [
        ScheduleLine(
            seq=row.seq,
            due_date=row.due_date,
            amount=from_minor(row.principal_due_minor + row.interest_due_minor, cur),
            paid=from_minor(row.principal_paid_minor + row.interest_paid_minor, cur),
            late_fee=from_minor(loan.late_fee_minor, cur) if row.late_fee_charged else None,
            state=state(row),
        )
        for row in rows
    ]
    history = [
        HistoryLine(
            kind=event.kind,
            on=event.on_date,
            amount=from_minor(event.amount_minor, cur),
            fee=from_minor(event.fee_minor, cur),
            interest=from_minor(event.interest_minor, cur),
            principal=from_minor(event.principal_minor, cur),
        )
        for event in events_for(loan)
    ]
    return LoanStatement(summary, schedule, history)
