"""Every route that takes an Idempotency-Key: the same key with the same request replays the first
answer and changes nothing; the same key with a different request is a 409 ``idempotency_key_reused``
and changes nothing (issue 8, fault 6). The services behind them (payments, repayments) keep the
same rule when they are called directly."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal

import pytest

from millet.accounts.actor import actor_for_user
from millet.finance import services as finance
from millet.finance.models import LedgerTransfer, Payment
from millet.lending import services as lending
from millet.lending.models import LoanEvent
from millet.sales.models import Order
from tests.factories import ApiClient
from tests.finance.lending.conftest import GOOD_FORM, credit, credit_artifact, placed_order  # noqa: F401

pytestmark = pytest.mark.django_db


@dataclass
class Keyed:
    """A route, the body of its first request, and bodies that differ from it in one parameter."""

    client: ApiClient
    path: str | Callable[[dict], str]
    first: dict
    others: list[dict]


def _place_order(request, world) -> Keyed:
    # The example: one unpaid unit, then the same key with five units and tok_ok.
    one = {"market": "CN", "lines": [{"sku": "MI6-64", "quantity": 1}]}
    return Keyed(
        world.client("alice"),
        "/sales/orders",
        one,
        [
            {"market": "CN", "lines": [{"sku": "MI6-64", "quantity": 5}], "payment_token": "tok_ok"},
            {**one, "payment_token": "tok_ok"},
            {**one, "voucher_code": "WELCOME10"},
            {**one, "shipping_city": "Beijing"},
            {"market": "CN", "lines": [{"sku": "CABLE-C", "quantity": 1}]},
        ],
    )


def _checkout(request, world) -> Keyed:
    alice = world.client("alice")
    cart = alice.post("/sales/carts", {"market": "CN"}).json()
    alice.put(f"/sales/carts/{cart['id']}/lines/CABLE-C", {"quantity": 2})
    first = {"payment_token": "tok_ok"}
    return Keyed(
        alice,
        f"/sales/carts/{cart['id']}/checkout",
        first,
        [{"payment_token": "tok_declined"}, {**first, "voucher_code": "WELCOME10"}, {}],
    )


def _pos_sale(request, world) -> Keyed:
    first = {"store_code": "SH-001", "lines": [{"sku": "CABLE-C", "quantity": 1}], "payment_token": "tok_ok"}
    return Keyed(
        world.client("cashier_sh"),
        "/sales/pos/sales",
        first,
        [
            {**first, "lines": [{"sku": "CABLE-C", "quantity": 2}]},
            {**first, "customer_id": world.users["alice"].pk},
            {**first, "voucher_code": "WELCOME10"},
        ],
    )


def _ledger_transfer(request, world) -> Keyed:
    for code, kind in (("cash:CNY", "asset"), ("sales:CNY", "revenue")):
        finance.ensure_account(code, "CNY", kind)
    first = {
        "debit": "cash:CNY",
        "credit": "sales:CNY",
        "amount": "12.50",
        "currency": "CNY",
        "code": "adjustment",
        "reference": "ADJ-1",
        "idempotency_key": "k1",  # this route takes its key in the body
    }
    return Keyed(
        world.client("staff"),
        "/finance/transfers",
        first,
        [
            {**first, "amount": "12.51"},
            {**first, "reference": "ADJ-2"},
            {**first, "debit": "sales:CNY", "credit": "cash:CNY"},
        ],
    )


def _repayment(request, world) -> Keyed:
    request.getfixturevalue("credit")
    loan = lending.apply_for_credit(
        actor_for_user(world.users["alice"]),
        order_number=placed_order(world).number,
        product_code="CN-EASY",
        term_months=6,
        form=GOOD_FORM,
    ).loan
    other = lending.apply_for_credit(
        actor_for_user(world.users["alice"]),
        order_number=placed_order(world, sku="CAM-C300").number,
        product_code="CN-EASY",
        term_months=6,
        form=GOOD_FORM,
    ).loan
    first = {"amount": "10.00", "currency": "CNY", "payment_token": "tok_ok"}
    return Keyed(
        world.client("alice"),
        lambda body: f"/lending/loans/{body.pop('loan', loan.number)}/repayments",
        first,
        [
            {**first, "amount": "10.01"},
            {**first, "payment_token": "tok_ok_2"},
            {**first, "loan": other.number},
        ],
    )


ROUTES = {
    "POST /sales/orders": _place_order,
    "POST /sales/carts/{id}/checkout": _checkout,
    "POST /sales/pos/sales": _pos_sale,
    "POST /finance/transfers": _ledger_transfer,
    "POST /lending/loans/{number}/repayments": _repayment,
}


def _state() -> tuple:
    return (
        list(Order.objects.order_by("pk").values_list("pk", "status", "total")),
        LedgerTransfer.objects.count(),
        list(Payment.objects.order_by("pk").values_list("pk", "status", "amount")),
        LoanEvent.objects.count(),
    )


def _send(keyed: Keyed, body: dict):
    body = dict(body)
    path = keyed.path(body) if callable(keyed.path) else keyed.path
    return keyed.client.post(path, body, HTTP_IDEMPOTENCY_KEY="k1")


@pytest.mark.parametrize("route", ROUTES)
def test_a_reused_key_replays_the_same_request_and_refuses_another(request, world, route):
    keyed = ROUTES[route](request, world)
    first = _send(keyed, keyed.first)
    assert first.status_code == 201, first.content
    after_first = _state()

    replay = _send(keyed, keyed.first)
    assert (replay.status_code, replay.json()) == (201, first.json())
    assert _state() == after_first

    for other in keyed.others:
        answer = _send(keyed, other)
        assert (answer.status_code, answer.json().get("error")) == (409, "idempotency_key_reused"), other
        assert _state() == after_first, other


def test_a_reused_key_is_refused_across_routes(world):
    """An order key is one key: a checkout cannot take over the key a direct order used."""
    alice = world.client("alice")
    placed = alice.post(
        "/sales/orders",
        {"market": "CN", "lines": [{"sku": "CABLE-C", "quantity": 1}]},
        HTTP_IDEMPOTENCY_KEY="k",
    )
    assert placed.status_code == 201
    cart = alice.post("/sales/carts", {"market": "CN"}).json()
    alice.put(f"/sales/carts/{cart['id']}/lines/MI6-64", {"quantity": 1})
    answer = alice.post(
        f"/sales/carts/{cart['id']}/checkout", {"payment_token": "tok_ok"}, HTTP_IDEMPOTENCY_KEY="k"
    )
    assert (answer.status_code, answer.json()["error"]) == (409, "idempotency_key_reused")
    assert Order.objects.count() == 1


def test_another_customer_cannot_replay_a_key(world):
    body = {"market": "CN", "lines": [{"sku": "CABLE-C", "quantity": 1}]}
    assert world.client("alice").post("/sales/orders", body, HTTP_IDEMPOTENCY_KEY="k").status_code == 201
    answer = world.client("bob").post("/sales/orders", body, HTTP_IDEMPOTENCY_KEY="k")
    assert (answer.status_code, answer.json()["error"]) == (409, "idempotency_key_reused")
    assert Order.objects.count() == 1


@pytest.mark.parametrize(
    "change",
    [{"amount": Decimal("10.01")}, {"currency": "EUR"}, {"reference": "SO-2"}, {"payment_token": "tok_ok_2"}],
)
def test_a_payment_key_reused_for_another_authorization_is_refused(world, change):
    first = {"reference": "SO-1", "amount": Decimal("10.00"), "currency": "CNY", "payment_token": "tok_ok"}
    payment = finance.authorize_payment(**first, idempotency_key="pay-1")
    assert finance.authorize_payment(**first, idempotency_key="pay-1").pk == payment.pk
    transfers = LedgerTransfer.objects.count()
    with pytest.raises(Exception) as refused:
        finance.authorize_payment(**{**first, **change}, idempotency_key="pay-1")
    assert getattr(refused.value, "code", None) == "idempotency_key_reused"
    assert (Payment.objects.count(), LedgerTransfer.objects.count()) == (1, transfers)
