"""Cash over the JSON API (``POST /sales/pos/sales``): what was handed over and the change come back,
short cash is 422 ``cash_short``, cash before the day is opened or after it closed is 409, a body
that names no payment (or both) is 422 ``payment_method``, and a resend with the same key is one
sale. Every refusal moves nothing."""

from __future__ import annotations

from decimal import Decimal

import pytest

from millet.sales import services
from tests.sales.test_till_day import cashier, drawer
from tests.sales.test_till_scans import everything, shelf

pytestmark = pytest.mark.django_db


def sell(world, body: dict, **headers):
    return world.client("cashier_sh").post("/sales/pos/sales", {"store_code": "SH-001", **body}, **headers)


def test_cash_sale_answers_with_the_change_and_a_resend_is_the_same_sale(world):
    services.open_till_day(cashier(world), "SH-001")
    body = {"serials": [shelf(world, "MI6-64")[0]], "cash_tendered": "3000"}
    first = sell(world, body, HTTP_IDEMPOTENCY_KEY="cash-1")
    assert first.status_code == 201, first.content
    sale = first.json()
    assert sale["status"] == "fulfilled"
    assert Decimal(sale["cash_tendered"]) == Decimal("3000")
    assert Decimal(sale["change"]) == Decimal("3000") - Decimal(sale["total"])
    assert drawer() == Decimal(sale["total"])
    again = sell(world, body, HTTP_IDEMPOTENCY_KEY="cash-1")
    assert again.status_code == 201 and again.json() == sale
    assert drawer() == Decimal(sale["total"])
    card = sell(world, {"lines": [{"sku": "CABLE-C", "quantity": 1}], "payment_token": "tok_ok"})
    assert card.status_code == 201 and card.json()["change"] is None and card.json()["cash_tendered"] is None


@pytest.mark.parametrize(
    ("body", "status", "code"),
    [
        ({"cash_tendered": "1"}, 422, "cash_short"),
        ({}, 422, "payment_method"),
        ({"cash_tendered": "5000", "payment_token": "tok_ok"}, 422, "payment_method"),
        ({"cash_tendered": "-5"}, 422, "malformed_money"),
        ({"cash_tendered": "1e9"}, 422, "malformed_money"),
        ({"cash_tendered": 12.5}, 422, "malformed_money"),
        ({"cash_tendered": "10.001"}, 422, "malformed_money"),
        ({"cash_tendered": "abc"}, 422, "malformed_money"),
    ],
)
def test_wrong_cash_is_refused_precisely_and_moves_nothing(world, body, status, code):
    services.open_till_day(cashier(world), "SH-001")
    before = everything()
    response = sell(world, {"serials": [shelf(world, "MI6-64")[0]], **body})
    assert response.status_code == status, response.content
    assert response.json()["error"] == code
    assert everything() == before


def test_cash_needs_the_day_open_and_not_closed(world):
    phone = shelf(world, "MI6-64")[0]
    before = everything()
    not_open = sell(world, {"serials": [phone], "cash_tendered": "5000"})
    assert (not_open.status_code, not_open.json()["error"]) == (409, "till_not_open")
    services.open_till_day(cashier(world), "SH-001")
    services.close_till_day(cashier(world), "SH-001", counted_cash=Decimal("0"))
    before = everything()
    closed = sell(world, {"serials": [phone], "cash_tendered": "5000"})
    assert (closed.status_code, closed.json()["error"]) == (409, "till_day_closed")
    assert everything() == before
