"""A loan keeps the late-payment terms it was made with: the late fee, the grace days and the
charge-off days are its credit agreement's (Directive 2008/48/EC art. 10(2)(l)). The daily job once
read them live from the product, so a back-office edit of the product charged loans already made a
fee they never agreed to, or charged them off early."""

from __future__ import annotations

from datetime import timedelta

import pytest

from millet.lending import services as lending
from millet.lending.models import Loan, LoanProduct
from tests.finance.lending.conftest import DAY0, apply, placed_order
from tests.finance.lending.test_products import FORM, back_office

# What the back office makes of the CN-EASY product after its loan: the fee tripled, no grace, and
# charge-off after 30 days (the loan's own terms: 30 CNY, 5 days, 180 days).
EDITED = {**FORM, "late_fee": "99.00", "grace_days": "0", "charge_off_days": "30"}


@pytest.mark.django_db
def test_the_daily_job_charges_a_loan_on_its_own_terms_after_its_product_is_edited(credit):
    loan = apply(credit, placed_order(credit), on=DAY0).loan
    product = LoanProduct.objects.get(code="CN-EASY")
    assert (
        back_office(credit).post(f"/admin/lending/loanproduct/{product.pk}/change/", EDITED).status_code
        == 302
    )
    first_due = lending.installments(loan)[0].due_date

    lending.run_daily(first_due + timedelta(days=3))  # within the loan's 5 grace days
    loan.refresh_from_db()
    assert (loan.days_past_due, loan.fees_outstanding_minor) == (3, 0)

    summary = lending.run_daily(first_due + timedelta(days=40))  # two installments late, 40 < 180 days
    loan.refresh_from_db()
    assert (summary.late_fees, summary.charged_off) == (2, 0)
    assert (loan.status, loan.fees_outstanding_minor) == (Loan.Status.ACTIVE, 2 * 3000)

    terms = credit.client("alice").get(f"/lending/loans/{loan.number}").json()
    assert {k: terms[k] for k in ("late_fee", "late_fee_minor", "grace_days", "charge_off_days")} == {
        "late_fee": "30.00",
        "late_fee_minor": 3000,
        "grace_days": 5,
        "charge_off_days": 180,
    }
    later = apply(credit, placed_order(credit, user="bob"), user="bob", on=DAY0).loan
    assert (later.late_fee_minor, later.grace_days, later.charge_off_days) == (9900, 0, 30)


BEFORE, AFTER = ("lending", "0007_order_without_constraint"), ("lending", "0008_loan_terms")


@pytest.mark.django_db(transaction=True)  # migrations run outside a test's transaction
def test_0008_gives_loans_made_before_it_the_terms_their_product_charged_them(credit, migrate):
    loan = apply(credit, placed_order(credit), on=DAY0).loan
    migrate(BEFORE)  # the loan's terms go with their columns
    LoanProduct.objects.filter(code="CN-EASY").update(late_fee="12.50", grace_days=7, charge_off_days=90)
    migrate(AFTER)
    assert Loan.objects.filter(pk=loan.pk).values_list(
        "late_fee_minor", "grace_days", "charge_off_days"
    ).get() == (
        1250,
        7,
        90,
    )
