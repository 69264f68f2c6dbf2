"""Credit at checkout end to end: decide, pay the order by loan, repay, age, refund, charge off."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.contrib.auth.models import Group

from millet.accounts.actor import SYSTEM, actor_for_user
from millet.core.errors import Conflict, Forbidden, NotFound, Unprocessable
from millet.finance.models import LedgerTransfer
from millet.finance.services import balance, balances, total_balance_check
from millet.lending import services as lending
from millet.lending.models import Application, Loan, LoanEvent
from millet.lending.services import applications
from millet.sales.models import Order
from millet.sales.services import ReturnRequest, cancel_order, fulfil_order, get_order, return_order
from tests.finance.lending.conftest import BAD_FORM, BORDERLINE_FORM, DAY0, GOOD_FORM, apply, placed_order

pytestmark = pytest.mark.django_db


def principal_balance(loan: Loan) -> int:
    b = balance(f"lending:principal:{loan.number}:CNY")
    return b.debits_posted - b.credits_posted


def check_books(loan: Loan) -> None:
    loan.refresh_from_db()
    assert total_balance_check() == 0
    assert principal_balance(loan) == loan.outstanding_principal_minor == lending.schedule_outstanding(loan)


def repay(world, loan, amount: str, key: str, *, user="alice", on=DAY0, currency="CNY", token="tok_ok"):
    return lending.repay(
        actor_for_user(world.users[user]),
        loan.number,
        amount=Decimal(amount),
        currency=currency,
        payment_token=token,
        idempotency_key=key,
        on=on,
    )


def test_an_approved_application_pays_the_order_through_the_ledger(credit):
    order = placed_order(credit)
    application = apply(credit, order, on=DAY0)

    assert application.status == "approved" and application.decision_ms < 1000
    assert application.model.status == "approved" and application.features["duration_in_month"] == 6
    loan = application.loan
    assert loan.principal_minor == int(order.total * 100) and loan.disbursed_on == DAY0
    assert get_order(SYSTEM, order.number).status == Order.Status.PAID
    rows = lending.installments(loan)
    assert [r.due_date for r in rows][:2] == [date(2026, 2, 15), date(2026, 3, 15)]
    assert sum(r.principal_due_minor for r in rows) == loan.principal_minor
    # the lender's settlement account nets to zero once the sale is captured
    fulfil_order(SYSTEM, order.number)
    lender = balance("gateway:credit:CNY")
    assert lender.debits_posted == lender.credits_posted == loan.principal_minor
    assert principal_balance(loan) == loan.principal_minor
    check_books(loan)


def test_a_declined_application_records_reasons_and_moves_no_money(credit):
    order = placed_order(credit)
    transfers = LedgerTransfer.objects.count()
    application = apply(credit, order, form=BAD_FORM, term=12)
    assert application.status == "declined" and application.outcome == "decline"
    assert application.reasons and {"code", "feature", "text"} <= set(application.reasons[0])
    assert not Loan.objects.exists() and LedgerTransfer.objects.count() == transfers
    assert get_order(SYSTEM, order.number).status == Order.Status.PLACED


def test_a_referred_application_waits_for_a_risk_officer(credit):
    officer = credit.users["bob"]
    officer.groups.add(Group.objects.create(name="risk_officer"))
    order = placed_order(credit)
    application = apply(credit, order, form=BORDERLINE_FORM, term=12)
    assert application.status == "referred" and not Loan.objects.exists()
    with pytest.raises(Forbidden):
        lending.review_application(
            actor_for_user(credit.users["alice"]), application.number, approve=True, reason="ok"
        )
    with pytest.raises(Unprocessable):  # the decision needs its written reason
        lending.review_application(actor_for_user(officer), application.number, approve=True, reason="  ")
    reviewed = lending.review_application(
        actor_for_user(officer),
        application.number,
        approve=True,
        on=DAY0,
        reason="Steady income, small amount",
    )
    assert reviewed.status == "approved" and reviewed.reviewed_by == officer
    assert reviewed.review_note == "Steady income, small amount" and reviewed.reviewed_at is not None
    assert get_order(SYSTEM, order.number).status == Order.Status.PAID
    with pytest.raises(Conflict):
        lending.review_application(actor_for_user(officer), application.number, approve=False, reason="no")


def test_repayments_follow_the_schedule_and_early_payoff_waives_future_interest(credit):
    loan = apply(credit, placed_order(credit), on=DAY0).loan
    first = lending.installments(loan)[0]
    due = first.principal_due_minor + first.interest_due_minor
    event = repay(credit, loan, str(Decimal(due) / 100), "k1", on=first.due_date)
    assert (event.principal_minor, event.interest_minor) == (
        first.principal_due_minor,
        first.interest_due_minor,
    )
    assert repay(credit, loan, str(Decimal(due) / 100), "k1", on=first.due_date).pk == event.pk  # replay
    check_books(loan)

    on = first.due_date + timedelta(days=3)
    quote = lending.payoff_quote(SYSTEM, loan.number, on=on)
    scheduled_left = sum(
        r.principal_due_minor + r.interest_due_minor for r in lending.installments(loan) if not r.settled
    )
    assert loan.outstanding_principal_minor < quote < scheduled_left  # later interest is not owed
    with pytest.raises(Conflict) as over:
        repay(credit, loan, str(Decimal(quote + 1) / 100), "k2", on=on)
    assert over.value.code == "exceeds_payoff"
    repay(credit, loan, str(Decimal(quote) / 100), "k3", on=on)
    loan.refresh_from_db()
    assert loan.status == Loan.Status.PAID_OFF and loan.outstanding_principal_minor == 0
    assert all(r.settled for r in lending.installments(loan))
    check_books(loan)
    interest = balance("lending:interest:CNY")
    assert interest.credits_posted == sum(r.interest_paid_minor for r in lending.installments(loan))


def test_a_partial_prepayment_shortens_the_loan_and_lowers_interest(credit):
    loan = apply(credit, placed_order(credit), term=12, on=DAY0).loan
    before = sum(r.interest_due_minor for r in lending.installments(loan))
    repay(credit, loan, "1000.00", "big", on=DAY0)
    rows = lending.installments(loan)
    assert rows[-1].principal_paid_minor == rows[-1].principal_due_minor  # paid from the end
    assert sum(r.interest_due_minor for r in rows) < before
    check_books(loan)


def test_bad_input_gets_a_precise_4xx_and_moves_no_money(credit):
    loan = apply(credit, placed_order(credit), on=DAY0).loan
    transfers = LedgerTransfer.objects.count()
    cases = [
        (dict(amount="-5.00"), Unprocessable, "malformed_money"),
        (dict(amount="0.001"), Unprocessable, "malformed_money"),
        (dict(amount="5.00", currency="XXX"), Unprocessable, "unknown_currency"),
        (dict(amount="5.00", currency="EUR"), Unprocessable, "currency_mismatch"),
        (dict(amount="5.00", user="bob"), NotFound, "unknown_loan"),
        (dict(amount="5.00", token="tok_declined"), Exception, "payment_declined"),
    ]
    for kwargs, error, code in cases:
        with pytest.raises(error) as caught:
            repay(credit, loan, kwargs.pop("amount"), "bad", **kwargs)
        assert caught.value.code == code
    with pytest.raises(Unprocessable) as term:
        apply(credit, placed_order(credit), term=9)
    assert term.value.code == "term_not_offered"
    with pytest.raises(NotFound):
        apply(credit, placed_order(credit, user="alice"), user="bob")
    with pytest.raises(Unprocessable) as form:
        apply(credit, placed_order(credit), form={"housing": "own"})
    assert form.value.code == "missing_feature"
    assert (
        LedgerTransfer.objects.count() == transfers and LoanEvent.objects.filter(key="repay:bad").count() == 0
    )
    assert Application.objects.count() == 1


def test_the_daily_job_ages_loans_charges_late_fees_once_and_charges_off(credit):
    loan = apply(credit, placed_order(credit), on=DAY0).loan
    first_due = lending.installments(loan)[0].due_date
    lending.run_daily(first_due + timedelta(days=3))
    loan.refresh_from_db()
    assert (loan.days_past_due, loan.bucket, loan.fees_outstanding_minor) == (3, "1-30", 0)  # grace
    for _ in range(2):  # idempotent: the second run the same day books nothing
        summary = lending.run_daily(first_due + timedelta(days=40))
    loan.refresh_from_db()
    late = [r for r in lending.installments(loan) if (first_due + timedelta(days=40) - r.due_date).days > 5]
    assert loan.bucket == "31-60" and summary.late_fees == 0 and len(late) == 2
    assert loan.fees_outstanding_minor == balance("lending:fee-income:CNY").credits_posted == 2 * 3000
    lending.run_daily(first_due + timedelta(days=95))
    loan.refresh_from_db()
    assert loan.bucket == "90+" and loan.defaulted and loan.days_past_due == 95
    check_books(loan)
    lending.run_daily(first_due + timedelta(days=181))
    loan.refresh_from_db()
    assert loan.status == Loan.Status.CHARGED_OFF and loan.written_off_minor > 0
    assert principal_balance(loan) == 0 and total_balance_check() == 0
    assert balance("lending:charge-offs:CNY").debits_posted == loan.written_off_minor + 6 * 3000
    assert lending.schedule_outstanding(loan) == 0


def test_fees_are_paid_first(credit):
    loan = apply(credit, placed_order(credit), on=DAY0).loan
    first_due = lending.installments(loan)[0].due_date
    lending.run_daily(first_due + timedelta(days=10))
    event = repay(credit, loan, "40.00", "fee", on=first_due + timedelta(days=10))
    assert event.fee_minor == 3000 and event.interest_minor == 1000
    loan.refresh_from_db()
    assert loan.fees_outstanding_minor == 0
    b = balances([f"lending:fees:{loan.number}:CNY"])[f"lending:fees:{loan.number}:CNY"]
    assert b.debits_posted == b.credits_posted == 3000
    check_books(loan)


def test_a_return_refund_pays_down_the_loan_and_any_surplus_goes_back(credit):
    order = placed_order(credit)
    loan = apply(credit, order, on=DAY0).loan
    fulfil_order(SYSTEM, order.number)
    first = lending.installments(loan)[0]
    repay(credit, loan, str(Decimal(first.principal_due_minor + first.interest_due_minor) / 100), "p1")
    order = get_order(SYSTEM, order.number)
    line = order.lines.first()
    serial = line.units.first().serial
    return_order(
        SYSTEM, order.number, lines=[ReturnRequest(line.pk, 1, (serial,))], warehouse_code="WH-CN-SH"
    )
    loan.refresh_from_db()
    refund = loan.events.get(kind="refund")
    assert refund.principal_minor == loan.principal_minor - first.principal_due_minor
    assert refund.surplus_minor == first.principal_due_minor and loan.outstanding_principal_minor == 0
    assert principal_balance(loan) == 0 and total_balance_check() == 0


def test_cancelling_the_order_cancels_the_loan(credit):
    order = placed_order(credit)
    loan = apply(credit, order, on=DAY0).loan
    cancel_order(actor_for_user(credit.users["alice"]), order.number)
    loan.refresh_from_db()
    assert loan.status == Loan.Status.CANCELLED and principal_balance(loan) == 0
    lender = balance("gateway:credit:CNY")
    assert lender.debits_posted == lender.credits_posted and total_balance_check() == 0
    check_books(loan)


def test_one_loan_per_order_and_only_orders_awaiting_payment(credit):
    order = placed_order(credit)
    apply(credit, order)
    with pytest.raises(Conflict) as again:
        apply(credit, order)
    assert again.value.code == "not_payable"


def test_platform_facts_are_capped_to_the_models_schema(credit):
    facts = {"orders_fulfilled": 0, "loans_active": 40, "loans_paid_off": 40, "loans_defaulted": 0}
    features = applications._model_features(
        dict(GOOD_FORM), facts, term=6, amount=Decimal("99999999.00"), currency="CNY"
    )
    assert features["number_of_existing_credits_at_this_bank"] == 50
    assert features["credit_amount"] == 10_000_000
    assert features["credit_history"] == "existing credits paid back duly till now"
