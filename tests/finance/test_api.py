from __future__ import annotations

import json
from decimal import Decimal

import pytest
from django.test import Client

from millet.finance.services import TransferSpec, authorize_payment, balance, create_transfers


def call(token: str | None, method: str, path: str, body: dict | None = None):
    headers = {"HTTP_AUTHORIZATION": f"Bearer {token}"} if token else {}
    if body is not None:
        headers.update(data=json.dumps(body), content_type="application/json")
    return getattr(Client(), method)(f"/api/finance{path}", **headers)


def manual(**changes) -> dict:
    return {
        "debit": "cash:CNY",
        "credit": "sales:CNY",
        "amount": "12.50",
        "currency": "CNY",
        "code": "adjustment",
        "reference": "ADJ-1",
        "idempotency_key": "adj-1",
        **changes,
    }


@pytest.mark.parametrize(
    ("method", "path", "body"),
    [
        ("get", "/accounts", None),
        ("get", "/accounts/cash:CNY", None),
        ("get", "/transfers", None),
        ("post", "/transfers", manual()),
        ("get", "/payments?reference=SO-1", None),
    ],
)
def test_back_office_only(accounts, customer_token, snapshot, method, path, body):
    before = snapshot()
    assert call(None, method, path, body).status_code == 401
    response = call(customer_token, method, path, body)
    assert response.status_code == 403 and response.json()["error"] == "forbidden"
    assert snapshot() == before


def test_accounts_with_balances_filtered_and_paginated(accounts, staff_token):
    create_transfers([TransferSpec("cash:CNY", "sales:CNY", 1250, "CNY", "sale")])
    body = call(staff_token, "get", "/accounts?prefix=cash:&currency=CNY").json()
    assert body["count"] == 1
    (cash,) = body["items"]
    assert (cash["code"], cash["debits_posted"], cash["net_posted"]) == ("cash:CNY", 1250, "12.50")
    page = call(staff_token, "get", "/accounts?limit=2&offset=1").json()
    assert page["count"] == 4 and len(page["items"]) == 2
    one = call(staff_token, "get", "/accounts/sales:CNY").json()
    assert one["credits_posted"] == 1250 and one["net_posted"] == "-12.50"


@pytest.mark.parametrize(
    ("path", "status"),
    [
        ("/accounts/nope:CNY", 404),
        ("/accounts?currency=cny", 422),
        ("/accounts?limit=0", 422),
        ("/transfers?offset=-1", 422),
        ("/payments", 422),
    ],
)
def test_bad_queries(accounts, staff_token, path, status):
    assert call(staff_token, "get", path).status_code == status


def test_manual_transfer_and_listing(accounts, staff_token):
    response = call(staff_token, "post", "/transfers", manual())
    assert response.status_code == 201
    created = response.json()
    assert (created["debit"], created["amount"], created["amount_minor"]) == ("cash:CNY", "12.50", 1250)
    replay = call(staff_token, "post", "/transfers", manual())
    assert replay.status_code == 201 and replay.json()["id"] == created["id"]
    assert balance("cash:CNY").debits_posted == 1250

    create_transfers([TransferSpec("cash:CNY", "sales:CNY", 1, "CNY", "sale", reference="SO-7")])
    listed = call(staff_token, "get", "/transfers?reference=ADJ-1").json()
    assert listed["count"] == 1 and listed["items"][0]["id"] == created["id"]
    by_account = call(staff_token, "get", "/transfers?account=sales:CNY&limit=1").json()
    assert by_account["count"] == 2 and len(by_account["items"]) == 1


@pytest.mark.parametrize(
    ("changes", "status", "error"),
    [
        ({"amount": 12.5}, 422, None),
        ({"amount": "abc"}, 422, "malformed_money"),
        ({"amount": "1.001"}, 422, "malformed_money"),
        ({"amount": "-1"}, 422, "malformed_money"),
        ({"amount": "0"}, 422, "malformed_money"),
        ({"idempotency_key": ""}, 422, None),
        ({"currency": "XX"}, 422, None),
        ({"currency": "XXX"}, 422, "unknown_currency"),
        ({"debit": "nope:CNY"}, 404, "unknown_account"),
        ({"credit": "cash:EUR"}, 422, "currency_mismatch"),
        ({"credit": "cash:CNY"}, 422, "same_account"),
        ({"debit": "wallet:CNY"}, 409, "exceeds_balance_limit"),
        ({"code": "x" * 33}, 422, None),
    ],
)
def test_bad_manual_transfers_change_nothing(accounts, staff_token, snapshot, changes, status, error):
    before = snapshot()
    response = call(staff_token, "post", "/transfers", manual(**changes))
    assert response.status_code == status
    if error:
        assert response.json()["error"] == error
    assert snapshot() == before


def test_missing_idempotency_key_is_refused(accounts, staff_token, snapshot):
    body = manual()
    del body["idempotency_key"]
    before = snapshot()
    assert call(staff_token, "post", "/transfers", body).status_code == 422
    assert snapshot() == before


def test_reused_key_is_a_conflict(accounts, staff_token, snapshot):
    call(staff_token, "post", "/transfers", manual())
    before = snapshot()
    response = call(staff_token, "post", "/transfers", manual(amount="13.00"))
    assert response.status_code == 409 and response.json()["error"] == "idempotency_key_reused"
    assert snapshot() == before


def test_payments_by_reference(currencies, staff_token):
    authorize_payment(reference="SO-5", amount=Decimal("10.00"), currency="CNY", payment_token="tok_ok")
    (payment,) = call(staff_token, "get", "/payments?reference=SO-5").json()
    assert (payment["status"], payment["amount"], payment["gateway"]) == ("authorized", "10.00", "test")
    assert call(staff_token, "get", "/payments?reference=SO-6").json() == []
