"""A repayment's waterfall: fees first, then interest and principal in schedule order, the rest prepaying
principal from the last installment back. Pure functions over a loan's installment rows (minor units)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from millet.core.errors import Conflict
from millet.lending.models import (
    Installment,
    Loan,
)
from millet.lending.schedule import interest_on


@dataclass(frozen=True)
class Waterfall:
    """How a payment splits: fees first, then interest and principal in schedule order."""

    fee: int
    interest: dict[int, int]  # installment id -> minor
    principal: dict[int, int]

    @property
    def total(self) -> int:
        return self.fee + sum(self.interest.values()) + sum(self.principal.values())


def _payable_now(rows: Sequence[Installment], on: date) -> list[Installment]:
    """Installments due by ``on`` plus the current one (the next to fall due)."""
    due = [row for row in rows if row.due_date <= on]
    upcoming = [row for row in rows if row.due_date > on]
    return due + upcoming[:1]


def payoff_minor(loan: Loan, rows: Sequence[Installment], on: date) -> int:
    """Everything owed to close the loan today: fees, interest up to the current installment, and
    the whole principal; later installments' interest is not owed (declining balance)."""
    if loan.status != Loan.Status.ACTIVE:
        return 0
    interest = sum(r.interest_due_minor - r.interest_paid_minor for r in _payable_now(rows, on))
    return loan.fees_outstanding_minor + interest + loan.outstanding_principal_minor


def waterfall_for(loan: Loan, rows: Sequence[Installment], on: date, amount: int) -> Waterfall:
    left = amount
    fee = min(left, loan.fees_outstanding_minor)
    left -= fee
    interest: dict[int, int] = {}
    principal: dict[int, int] = {}
    for row in _payable_now(rows, on):
        for owed, into in (
            (row.interest_due_minor - row.interest_paid_minor, interest),
            (row.principal_due_minor - row.principal_paid_minor, principal),
        ):
            part = min(left, owed)
            if part:
                into[row.pk] = into.get(row.pk, 0) + part
                left -= part
    prepay(rows, left, principal)
    return Waterfall(fee, interest, principal)


def prepay(rows: Sequence[Installment], amount: int, principal: dict[int, int]) -> None:
    """Prepay principal from the last installment back, shortening the loan (adds to ``principal``)."""
    left = amount
    for row in reversed(rows):
        part = min(left, row.principal_due_minor - row.principal_paid_minor - principal.get(row.pk, 0))
        if part > 0:
            principal[row.pk] = principal.get(row.pk, 0) + part
            left -= part
    if left:
        raise Conflict("the payment exceeds what is owed", code="exceeds_payoff")


def apply_waterfall(loan: Loan, rows: Sequence[Installment], on: date, waterfall: Waterfall) -> None:
    """Write an waterfall to the schedule, re-price future interest and settle the loan if done."""
    for row in rows:
        row.interest_paid_minor += waterfall.interest.get(row.pk, 0)
        row.principal_paid_minor += waterfall.principal.get(row.pk, 0)
    _reprice(loan, rows, on)
    Installment.objects.bulk_update(
        rows, ["principal_paid_minor", "interest_paid_minor", "interest_due_minor"]
    )
    loan.outstanding_principal_minor -= sum(waterfall.principal.values())
    loan.fees_outstanding_minor -= waterfall.fee
    if (
        loan.outstanding_principal_minor == 0
        and loan.fees_outstanding_minor == 0
        and all(r.settled for r in rows)
    ):
        loan.status = Loan.Status.PAID_OFF
        loan.days_past_due, loan.bucket = 0, Loan.Bucket.CURRENT
    loan.save(
        update_fields=[
            "outstanding_principal_minor",
            "fees_outstanding_minor",
            "status",
            "days_past_due",
            "bucket",
        ]
    )


def _reprice(loan: Loan, rows: Sequence[Installment], on: date) -> None:
    """Interest not yet due and not yet paid follows the principal still owed (declining balance)."""
    remaining = 0
    for row in reversed(rows):
        remaining += row.principal_due_minor - row.principal_paid_minor
        if row.due_date > on and row.interest_paid_minor == 0:
            row.interest_due_minor = interest_on(remaining, loan.apr)
