"""The borrower's loan pages: My loans (/lending/loans/) and one loan (/lending/loans/<number>/),
with the terms agreed, the schedule, the history and the payment form. A payment goes through the
ledger (balanced after), a refusal is said on the form with the service's status and moves no
money, a replayed form pays once, and anyone else's loan is a 404."""

from __future__ import annotations

import re
import uuid
from datetime import timedelta
from decimal import Decimal

import pytest
from django.test import Client

from millet.accounts.actor import actor_for_user
from millet.finance.services import payments_for, total_balance_check
from millet.lending import services as lending
from millet.lending.models import Loan, LoanEvent
from millet.lending.services import clock
from tests.core.damaged_attempts import DAMAGED_KEYS, fresh_key_after_damaged
from tests.finance.lending.conftest import apply, placed_order

pytestmark = pytest.mark.django_db


@pytest.fixture
def loan(credit) -> Loan:
    """Alice's 6-month loan on an order of one Mi 6 (¥2,499.00), made today."""
    return apply(credit, placed_order(credit)).loan


def browser(world, user: str = "alice") -> Client:
    client = Client()
    client.force_login(world.users[user])
    client.cookies["django_language"] = "en"  # else the market's first language (CN: Chinese)
    return client


def page_of(loan: Loan) -> str:
    return f"/lending/loans/{loan.number}/"


def pay(client: Client, loan: Loan, amount: str, *, token: str = "tok_ok", attempt: str = ""):
    body = {"attempt": attempt or uuid.uuid4().hex, "amount": amount, "card_token": token}
    return client.post(page_of(loan), body)


def first_due(loan: Loan) -> Decimal:
    row = lending.installments(loan)[0]
    return Decimal(row.principal_due_minor + row.interest_due_minor).scaleb(-2)


def repayments(loan: Loan) -> int:
    return LoanEvent.objects.filter(loan=loan, kind="repayment").count()


def test_my_loans_lists_each_loan_with_what_is_left_and_the_next_installment(credit, loan):
    text = browser(credit).get("/lending/loans/").content.decode()
    next_row = lending.installments(loan)[0]
    assert loan.order_number in text and f'href="{page_of(loan)}"' in text
    assert "¥2,499.00" not in text  # what is left includes the interest, more than the price
    assert f"¥{first_due(loan):,}" in text and str(next_row.due_date.year) in text
    assert "On time" in text
    empty = browser(credit, "bob").get("/lending/loans/").content.decode()
    assert "No loans yet" in empty and loan.order_number not in empty


def test_the_account_links_to_my_loans_and_the_approval_sentence_too(credit, loan):
    assert 'href="/lending/loans/"' in browser(credit).get("/account/").content.decode()
    approved = browser(credit).get(f"/lending/pay/{loan.order_number}/").content.decode()
    assert re.search(r'under <a href="/lending/loans/">My loans</a>', approved)


def test_the_loan_page_shows_the_terms_schedule_history_and_the_amount_due(credit, loan):
    response = browser(credit).get(page_of(loan))
    text = response.content.decode()
    assert response.status_code == 200
    for fact in ("¥2,499.00", "18%", "6 monthly installments", "¥30.00", "more than 5 days late"):
        assert fact in text, fact
    assert "more than 180 days late, the loan is charged off" in text
    assert text.count("Upcoming") == 5 and text.count("Next to pay") == 1
    assert "Loan paid out for your order" in text
    assert f'value="{first_due(loan)}"' in text  # the form proposes the next installment
    assert re.search(r'name="attempt" value="[0-9a-f]{32}"', text)


def test_paying_the_next_installment_lowers_the_balance_and_keeps_the_ledger_balanced(credit, loan):
    client = browser(credit)
    owed = loan.outstanding_principal_minor
    response = pay(client, loan, str(first_due(loan)))
    assert response.status_code == 302 and response["Location"] == page_of(loan)
    loan.refresh_from_db()
    assert loan.outstanding_principal_minor < owed and total_balance_check() == 0
    assert lending.installments(loan)[0].settled
    text = client.get(page_of(loan)).content.decode()
    assert f"¥{first_due(loan):,} paid on the loan for order {loan.order_number}." in text
    assert "Your payment" in text and text.count("Upcoming") == 4


def test_a_replayed_form_pays_once(credit, loan):
    client, attempt = browser(credit), uuid.uuid4().hex
    for _ in range(3):  # a double click, a reload of the POST, a resend after the back button
        assert pay(client, loan, str(first_due(loan)), attempt=attempt).status_code == 302
    assert repayments(loan) == 1 and len(payments_for(loan.number)) == 1
    again = pay(client, loan, "10.00", attempt=attempt)  # the same key, another amount: said, not paid
    assert again.status_code == 409 and "already used for another payment" in again.content.decode()
    assert repayments(loan) == 1
    assert f'value="{attempt}"' not in again.content.decode()  # the next send gets its own key


@pytest.mark.parametrize(
    "amount, token, status, sentence",
    [
        ("100.00", "tok_declined", 402, "Your card was declined."),
        ("100.00", "tok_insufficient", 402, "Your card has insufficient funds."),
        ("100.00", "tok_nonsense", 402, "The payment did not go through. Check the card and try again."),
        ("999999.00", "tok_ok", 409, "That is more than you owe. To pay off the whole loan today, pay CN¥"),
        ("0", "tok_ok", 422, "Enter an amount above zero, with at most 2 decimals."),
        ("1.005", "tok_ok", 422, "Enter an amount above zero, with at most 2 decimals."),
        ("lots", "tok_ok", 422, "Enter a number."),
    ],
)
def test_each_refusal_is_said_on_the_form_and_moves_no_money(credit, loan, amount, token, status, sentence):
    response = pay(browser(credit), loan, amount, token=token)
    assert response.status_code == status
    assert sentence in response.content.decode()
    assert repayments(loan) == 0 and total_balance_check() == 0


def test_a_closed_loan_refuses_a_payment_in_words(credit, loan):
    client = browser(credit)
    payoff = lending.loan_statement(actor_for_user(credit.users["alice"]), loan.number).summary.payoff
    assert pay(client, loan, str(payoff)).status_code == 302
    assert "This loan is paid off." in client.get(page_of(loan)).content.decode()
    refused = pay(client, loan, "10.00")
    assert refused.status_code == 409 and "This loan is closed" in refused.content.decode()
    garbled = pay(client, loan, "lots")  # no form is shown any more, but a sent one still gets its words
    assert garbled.status_code == 422 and "Enter a number." in garbled.content.decode()
    assert repayments(loan) == 1 and total_balance_check() == 0


def test_a_late_loan_says_how_late_and_proposes_everything_due(credit, loan, monkeypatch):
    rows = lending.installments(loan)
    today = rows[1].due_date + timedelta(days=10)  # two installments due, both late, two late fees
    lending.run_daily(today)
    monkeypatch.setattr(clock, "business_day", lambda: today)
    text = browser(credit).get(page_of(loan)).content.decode()
    late_by = (today - rows[0].due_date).days
    assert f"Late by {late_by} days" in text and text.count(">Late<") == 2
    due = sum(r.principal_due_minor + r.interest_due_minor for r in rows[:2]) + 2 * loan.late_fee_minor
    assert f'value="{Decimal(due).scaleb(-2)}"' in text and "Late fee charged" in text
    assert f"Pay what is due now, CN¥{Decimal(due).scaleb(-2):,}, to stop more late fees." in text


@pytest.mark.parametrize("method", ["get", "post"])
def test_another_persons_loan_or_an_unknown_number_is_a_404(credit, loan, method):
    bob = browser(credit, "bob")
    body = {"attempt": uuid.uuid4().hex, "amount": "10.00", "card_token": "tok_ok"}
    for path in (page_of(loan), "/lending/loans/LN-NOPE/"):
        answer = bob.get(path) if method == "get" else bob.post(path, body)
        assert answer.status_code == 404
    risk = browser(credit, "staff")  # staff see every loan through the API, but this page is the borrower's
    assert risk.get(page_of(loan)).status_code == 404
    assert repayments(loan) == 0


def test_signed_out_goes_to_sign_in(credit, loan):
    for path in ("/lending/loans/", page_of(loan)):
        answer = Client().get(path)
        assert answer.status_code == 302 and answer["Location"].startswith("/account/login/")


def test_the_page_never_needs_the_daily_job_to_know_a_loan_is_late(credit, loan, monkeypatch):
    """The daily job has not run yet today: the page still counts the days from the schedule."""
    today = lending.installments(loan)[0].due_date + timedelta(days=2)
    monkeypatch.setattr(clock, "business_day", lambda: today)
    assert "Late by 2 days" in browser(credit).get("/lending/loans/").content.decode()
    assert Loan.objects.get(pk=loan.pk).days_past_due == 0


@pytest.mark.parametrize("language", ["de", "hi", "zh-hans"])
def test_an_amount_with_too_many_digits_is_refused_in_the_borrowers_language(credit, loan, language):
    """Django's Hindi catalog leaves "Ensure that there are no more than 14 digits in total" in
    English; the project's catalog says it (``core.django_words``)."""
    client = browser(credit)
    client.cookies["django_language"] = language
    response = pay(client, loan, "9" * 40)
    assert response.status_code == 422
    assert "Ensure that there are no more than" not in response.content.decode()
    assert repayments(loan) == 0


@pytest.mark.parametrize("attempt", DAMAGED_KEYS)
def test_a_damaged_attempt_key_is_said_in_words_and_replaced(credit, loan, attempt):
    """A damaged hidden ``attempt`` said "(Hidden field attempt) Enter a valid value." and came back
    as it was, so every send was refused again: a dead end the borrower cannot mend. The page now
    says it in words for the whole form and gives it a new key (``core.attempt_keys``, as every
    page with such a key); the next send pays, once."""
    client = browser(credit)
    client.cookies["django_language"] = "hi"
    fresh = fresh_key_after_damaged(pay(client, loan, "10.00", attempt=attempt), attempt, "hi")
    assert repayments(loan) == 0
    assert pay(client, loan, "10.00", attempt=fresh).status_code == 302
    assert pay(client, loan, "10.00", attempt=fresh).status_code == 302  # a resend pays nothing more
    assert repayments(loan) == 1
