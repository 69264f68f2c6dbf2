"""The daily job: days past due, delinquency buckets, late fees and charge-offs for every active loan."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date

from django.db import transaction

from millet.finance import services as finance
from millet.lending.models import (
    Installment,
    Loan,
)
from millet.lending.services import clock
from millet.lending.services.loans import Kind, book, installments, locked_loan

# --- the daily job -------------------------------------------------------------------------------


def bucket_for(days_past_due: int) -> str:
    if days_past_due <= 0:
        return Loan.Bucket.CURRENT
    if days_past_due <= 30:
        return Loan.Bucket.DPD_1_30
    if days_past_due <= 60:
        return Loan.Bucket.DPD_31_60
    if days_past_due <= 90:
        return Loan.Bucket.DPD_61_90
    return Loan.Bucket.DPD_90_PLUS


@dataclass
class DailySummary:
    loans: int = 0
    late_fees: int = 0
    charged_off: int = 0


def run_daily(on: date | None = None, *, progress: Callable[[int, int], None] | None = None) -> DailySummary:
    """Age every active loan as of ``on``: days past due and bucket, late fees, charge-offs.

    Each loan is aged on its own terms, fixed when it was made (``Loan.late_fee_minor``,
    ``grace_days``, ``charge_off_days``), never on its product's current ones: an installment more
    than ``grace_days`` past due is charged the late fee once, and a loan more than
    ``charge_off_days`` past due is charged off.

    Idempotent: fees and charge-offs are keyed by loan and installment, so a second run the same day
    (or on two workers at once: each loan is locked) books nothing new.
    """
    on = on or clock.business_day()
    summary = DailySummary()
    numbers = list(
        Loan.objects.filter(status=Loan.Status.ACTIVE).order_by("pk").values_list("number", flat=True)
    )
    for i, number in enumerate(numbers, start=1):
        with transaction.atomic():
            fees, charged = _age(locked_loan(number), on)
        summary.loans += 1
        summary.late_fees += fees
        summary.charged_off += charged
        if progress:
            progress(i, len(numbers))
    return summary


def bucket_counts() -> dict[str, int]:
    """Active loans per delinquency bucket, every bucket present (the daily job's summary table)."""
    counts = dict.fromkeys(Loan.Bucket.values, 0)
    for bucket in Loan.objects.filter(status=Loan.Status.ACTIVE).values_list("bucket", flat=True):
        counts[bucket] += 1
    return counts


def late_installments(rows: Sequence[Installment], on: date) -> list[Installment]:
    """The installments past their due date and not yet settled, oldest first: the loan is as many
    days past due as the first of them is (the daily job's rule, and what the borrower's page says)."""
    return [r for r in rows if r.due_date < on and not r.settled]


def _age(loan: Loan, on: date) -> tuple[int, int]:
    if loan.status != Loan.Status.ACTIVE:
        return 0, 0
    rows = installments(loan)
    late = late_installments(rows, on)
    loan.days_past_due = (on - late[0].due_date).days if late else 0
    loan.bucket = bucket_for(loan.days_past_due)
    loan.defaulted = loan.defaulted or loan.days_past_due > 90
    fee = loan.late_fee_minor
    fees = 0
    for row in late:
        if fee and not row.late_fee_charged and (on - row.due_date).days > loan.grace_days:
            book(
                loan,
                Kind.LATE_FEE,
                f"late:{row.seq}",
                on,
                [
                    (
                        finance.lending_fees_account(loan.number, loan.currency).code,
                        finance.lending_fee_income_account(loan.currency).code,
                        fee,
                        "loan_late_fee",
                    )
                ],
                amount=fee,
                fee=fee,
            )
            row.late_fee_charged = True
            row.save(update_fields=["late_fee_charged"])
            loan.fees_outstanding_minor += fee
            fees += 1
    charged = 0
    if loan.days_past_due > loan.charge_off_days:
        _charge_off(loan, on)
        charged = 1
    loan.save(
        update_fields=[
            "days_past_due",
            "bucket",
            "defaulted",
            "fees_outstanding_minor",
            "status",
            "written_off_minor",
            "outstanding_principal_minor",
        ]
    )
    return fees, charged


def _charge_off(loan: Loan, on: date) -> None:
    """Write off what is left as lost: principal and fees move to the charge-off expense."""
    expense = finance.lending_charge_off_account(loan.currency).code
    principal, fees = loan.outstanding_principal_minor, loan.fees_outstanding_minor
    book(
        loan,
        Kind.CHARGE_OFF,
        "charge-off",
        on,
        [
            (
                expense,
                finance.lending_principal_account(loan.number, loan.currency).code,
                principal,
                "loan_charge_off",
            ),
            (
                expense,
                finance.lending_fees_account(loan.number, loan.currency).code,
                fees,
                "loan_charge_off",
            ),
        ],
        amount=principal + fees,
        principal=principal,
        fee=fees,
    )
    loan.written_off_minor = principal
    loan.outstanding_principal_minor = 0
    loan.fees_outstanding_minor = 0
    loan.status = Loan.Status.CHARGED_OFF
