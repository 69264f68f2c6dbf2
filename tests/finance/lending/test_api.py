"""The lending API: customers see only their own, risk officers see applications and models, bad
input gets a precise 4xx and moves no money."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Group
from django.test import Client

from millet.accounts.actor import SYSTEM
from millet.finance.models import LedgerTransfer
from millet.lending.models import Application, Loan
from millet.sales.services import get_order
from tests.finance.lending.conftest import BAD_FORM, BORDERLINE_FORM, GOOD_FORM, placed_order

pytestmark = pytest.mark.django_db


@pytest.fixture
def officer(credit):
    credit.users["bob"].groups.add(Group.objects.create(name="risk_officer"))
    return credit.client("bob")


def _apply(credit, user="alice", form=None, term=6, **extra):
    order = placed_order(credit, user=user)
    body = {
        "order_number": order.number,
        "product": "CN-EASY",
        "term_months": term,
        "form": form or GOOD_FORM,
    }
    return credit.client(user).post("/lending/applications", {**body, **extra})


def test_apply_and_repay_over_http(credit):
    alice = credit.client("alice")
    assert [p["code"] for p in alice.get("/lending/products").json()] == ["CN-EASY"]
    features = alice.get("/lending/features?market=CN").json()
    assert {f["name"] for f in features if f["supplied_by_platform"]} >= {"repayment_term", "credit_amount"}

    answer = _apply(credit)
    assert answer.status_code == 201, answer.content
    body = answer.json()
    assert body["status"] == "approved" and body["loan"] and body["decision_ms"] < 1000
    loan = alice.get(f"/lending/loans/{body['loan']}").json()
    assert len(loan["installments"]) == 6 and loan["status"] == "active"
    assert body["apr"] == loan["apr"] == "0.1800"  # the rate offered is the loan's
    first = loan["installments"][0]
    due = f"{int(first['principal_due_minor']) + int(first['interest_due_minor'])}"
    amount = f"{due[:-2]}.{due[-2:]}"
    pay = {"amount": amount, "currency": "CNY", "payment_token": "tok_ok"}
    paid = alice.post(f"/lending/loans/{body['loan']}/repayments", pay, HTTP_IDEMPOTENCY_KEY="r1")
    assert paid.status_code == 201, paid.content
    again = alice.post(f"/lending/loans/{body['loan']}/repayments", pay, HTTP_IDEMPOTENCY_KEY="r1")
    assert again.json() == paid.json()
    assert [e["kind"] for e in alice.get(f"/lending/loans/{body['loan']}/events").json()] == [
        "disbursement",
        "repayment",
    ]
    assert len(alice.get("/lending/loans").json()) == 1


def test_declines_explain_themselves(credit):
    answer = _apply(credit, form=BAD_FORM, term=12)
    assert answer.status_code == 201
    body = answer.json()
    assert body["status"] == "declined" and body["loan"] is None and body["reasons"][0]["text"]


def test_customers_see_only_their_own(credit):
    number = _apply(credit).json()["loan"]
    bob = credit.client("bob")
    assert bob.get(f"/lending/loans/{number}").status_code == 404
    pay = {"amount": "10.00", "currency": "CNY", "payment_token": "tok_ok"}
    transfers = LedgerTransfer.objects.count()
    assert bob.post(f"/lending/loans/{number}/repayments", pay, HTTP_IDEMPOTENCY_KEY="x").status_code == 404
    assert bob.get("/lending/applications").json() == []
    assert bob.get("/lending/loans").json() == []
    assert bob.get("/lending/models").status_code == 403
    assert bob.get("/lending/monitoring").status_code == 403
    assert LedgerTransfer.objects.count() == transfers


@pytest.mark.parametrize(
    "change, status, code",
    [
        ({"amount": "-10.00"}, 422, "malformed_money"),
        ({"amount": "abc"}, 422, "malformed_money"),
        ({"amount": "0"}, 422, "malformed_money"),
        ({"currency": "XYZ"}, 422, "unknown_currency"),
        ({"currency": "EUR"}, 422, "currency_mismatch"),
        ({"amount": "999999.00"}, 409, "exceeds_payoff"),
        ({"payment_token": "tok_declined"}, 402, "payment_declined"),
    ],
)
def test_bad_repayments_move_no_money(credit, change, status, code):
    number = _apply(credit).json()["loan"]
    transfers = LedgerTransfer.objects.count()
    pay = {"amount": "10.00", "currency": "CNY", "payment_token": "tok_ok", **change}
    answer = credit.client("alice").post(f"/lending/loans/{number}/repayments", pay, HTTP_IDEMPOTENCY_KEY="k")
    assert (answer.status_code, answer.json().get("error")) == (status, code)
    assert LedgerTransfer.objects.count() == transfers


def test_bad_applications_are_refused_precisely(credit):
    assert _apply(credit, term=9).json()["error"] == "term_not_offered"
    assert _apply(credit, product="NOPE").status_code == 404
    assert _apply(credit, form={**GOOD_FORM, "dependants": 500}).json()["error"] == "invalid_feature"
    assert _apply(credit, form={**GOOD_FORM, "age_in_years": 30}).json()["error"] == "protected_attribute"
    assert _apply(credit, form={**GOOD_FORM, "credit_amount": 5}).json()["error"] == "platform_feature"
    assert _apply(credit, form={**GOOD_FORM, "shoe_size": 42}).json()["error"] == "unknown_feature"
    other = placed_order(credit, user="bob")
    body = {"order_number": other.number, "product": "CN-EASY", "term_months": 6, "form": GOOD_FORM}
    assert credit.client("alice").post("/lending/applications", body).status_code == 404
    assert not Loan.objects.exists()


def test_missing_idempotency_key_is_refused(credit):
    number = _apply(credit).json()["loan"]
    pay = {"amount": "10.00", "currency": "CNY", "payment_token": "tok_ok"}
    assert credit.client("alice").post(f"/lending/loans/{number}/repayments", pay).status_code == 422


def test_risk_officers_see_applications_models_and_monitoring(credit, officer):
    _apply(credit)
    _apply(credit, form=BAD_FORM, term=12)
    assert len(officer.get("/lending/applications").json()) == 2
    assert len(officer.get("/lending/applications?status=declined").json()) == 1
    assert officer.get("/lending/applications?offset=10").json() == []
    assert officer.get("/lending/applications?offset=166851114361382895616").status_code == 422
    models = officer.get("/lending/models").json()
    assert len(models) == 1 and models[0]["status"] == "approved" and "auc" in models[0]["metrics"]
    report = officer.get("/lending/monitoring").json()
    assert report["live_applications"] == 2 and report["psi"] is not None
    assert abs(sum(b["training_share"] for b in report["buckets"]) - 1) < 1e-9
    (cohort,) = report["cohorts"]
    assert (cohort["applications"], cohort["approved"], cohort["approval_rate"]) == (2, 1, 0.5)
    assert officer.post(f"/lending/models/{models[0]['version']}/approve").status_code == 200
    assert credit.client("alice").post(f"/lending/models/{models[0]['version']}/approve").status_code == 403
    assert officer.post("/lending/models/nope/approve").status_code == 404


def test_only_staff_create_products(credit):
    body = {
        "code": "CN-12",
        "name": "Twelve",
        "currency": "CNY",
        "apr": "0.12",
        "terms": [12],
        "late_fee": "10.00",
        "min_amount": "100.00",
        "max_amount": "9000.00",
    }
    assert credit.client("alice").post("/lending/products", body).status_code == 403
    assert credit.client("staff").post("/lending/products", body).status_code == 201
    assert credit.client("staff").post("/lending/products", body).status_code == 409
    bad = {**body, "code": "CN-X", "currency": "XYZ"}
    assert credit.client("staff").post("/lending/products", bad).json()["error"] == "unknown_currency"


@pytest.mark.parametrize("first, status", [(BAD_FORM, "declined"), (BORDERLINE_FORM, "referred")])
def test_an_order_is_decided_once(credit, first, status):
    """A declined or referred order cannot be sent again with other answers until one passes (nor
    decided twice by a double submission): the second application is 409 and records nothing."""
    order = placed_order(credit)
    body = {"order_number": order.number, "product": "CN-EASY", "term_months": 12, "form": first}
    alice = credit.client("alice")
    assert alice.post("/lending/applications", body).json()["status"] == status
    again = alice.post("/lending/applications", {**body, "form": GOOD_FORM, "term_months": 6})
    assert (again.status_code, again.json()["error"]) == (409, "already_decided")
    assert [a.status for a in Application.objects.filter(order_number=order.number)] == [status]
    assert not Loan.objects.exists() and get_order(SYSTEM, order.number).status == "placed"


def test_the_pay_page_sent_again_after_a_decline_keeps_the_first_decision(credit):
    order = placed_order(credit)
    browser = Client()
    browser.force_login(credit.users["alice"])
    answers = {"product": "CN-EASY", "term": "12"}
    declined = browser.post(f"/lending/pay/{order.number}/", {**answers, **_page_answers(BAD_FORM)})
    assert declined.status_code == 200 and 'value="card"' in declined.content.decode()
    again = browser.post(f"/lending/pay/{order.number}/", {**answers, **_page_answers(GOOD_FORM)})
    assert again.status_code == 200
    assert [a.status for a in Application.objects.filter(order_number=order.number)] == ["declined"]
    assert not Loan.objects.exists() and get_order(SYSTEM, order.number).status == "placed"


def _page_answers(form: dict) -> dict:
    return {k: "" if v is None else str(v) for k, v in form.items()}


def test_the_pay_page_says_when_an_approved_loan_could_not_pay_the_order(credit):
    """The stock hold lapsed before the decision: the approval cannot pay the order (409
    ``hold_expired``) and nothing is kept; the page says so rather than showing the form again
    as if nothing had been sent."""
    from millet.inventory.models import Reservation

    order = placed_order(credit)
    Reservation.objects.filter(reference__startswith=f"{order.number}/").update(status="expired")
    browser = Client()
    browser.force_login(credit.users["alice"])
    answers = {"product": "CN-EASY", "term": "6", **_page_answers(GOOD_FORM)}
    refused = browser.post(f"/lending/pay/{order.number}/", answers)
    assert refused.status_code == 409 and 'role="alert"' in refused.content.decode()
    assert not Application.objects.exists() and not Loan.objects.exists()


@pytest.mark.parametrize("approve", ["yes", "true", 1, "1", None])
def test_a_review_decides_only_on_a_json_boolean(credit, officer, approve):
    """Approving a loan moves money: "yes", 1 or "true" are refused (422), never read as approval."""
    number = _apply(credit, form=BORDERLINE_FORM, term=12).json()["number"]
    answer = officer.post(f"/lending/applications/{number}/review", {"approve": approve, "reason": "fine"})
    assert answer.status_code == 422, answer.content
    assert Application.objects.get(number=number).status == "referred" and not Loan.objects.exists()
