"""Every bad request gets a precise 4xx and changes nothing."""

from __future__ import annotations

import pytest

from millet.finance.models import LedgerTransfer
from millet.inventory.models import Reservation, Stock
from millet.sales.models import Order, Voucher

pytestmark = pytest.mark.django_db


def snapshot():
    return (
        list(Stock.objects.order_by("pk").values_list("quantity", "reserved")),
        Order.objects.count(),
        Reservation.objects.count(),
        LedgerTransfer.objects.count(),
    )


def order(world, user="alice", **body):
    return world.client(user).post("/sales/orders", {"market": "CN", "payment_token": "tok_ok", **body})


@pytest.mark.parametrize(
    ("lines", "status"),
    [
        ([{"sku": "MI6-64", "quantity": -1}], 422),
        ([{"sku": "MI6-64", "quantity": 0}], 422),
        ([{"sku": "MI6-64", "quantity": 10**9}], 422),
        # One SKU's lines together ask no more than one line may (a hold may keep more: a campaign's)
        ([{"sku": "MI6-64", "quantity": 6000}, {"sku": "MI6-64", "quantity": 6000}], 422),
        ([{"sku": "MI6-64", "quantity": "two"}], 422),
        ([{"sku": "MI6-64", "quantity": 1.5}], 422),
        ([], 422),
        ([{"sku": "NOPE", "quantity": 1}], 404),
        ([{"sku": "MI6-64", "quantity": 100}], 409),
    ],
)
def test_bad_lines(world, lines, status):
    before = snapshot()
    response = order(world, lines=lines)
    assert response.status_code == status, response.content
    assert snapshot() == before


def test_unknown_market_and_wrong_market_store(world):
    before = snapshot()
    assert order(world, market="XX", lines=[{"sku": "MI6-64", "quantity": 1}]).status_code == 404
    r = order(
        world,
        market="IN",
        channel="click_collect",
        store_code="SH-001",
        lines=[{"sku": "MI6-64", "quantity": 1}],
    )
    assert r.status_code == 422
    assert snapshot() == before


def test_anonymous_cannot_order(world):
    from tests.factories import ApiClient

    assert (
        ApiClient()
        .post("/sales/orders", {"market": "CN", "lines": [{"sku": "MI6-64", "quantity": 1}]})
        .status_code
        == 401
    )
    assert ApiClient("mlt_forged").get("/sales/orders").status_code == 401


def test_another_customers_order_is_invisible(world):
    number = order(world, lines=[{"sku": "CABLE-C", "quantity": 1}]).json()["number"]
    bob = world.client("bob")
    assert bob.get(f"/sales/orders/{number}").status_code == 404
    assert bob.post(f"/sales/orders/{number}/cancel").status_code == 404
    assert bob.post(f"/sales/orders/{number}/pay", {"payment_token": "tok_ok"}).status_code == 404
    assert bob.get("/sales/orders").json() == []
    assert Order.objects.get(number=number).status == "paid"


def test_customer_cannot_fulfil_or_return(world):
    number = order(world, lines=[{"sku": "CABLE-C", "quantity": 1}]).json()["number"]
    assert world.client("alice").post(f"/sales/orders/{number}/fulfil").status_code == 403
    before = snapshot()
    r = world.client("alice").post(
        f"/sales/orders/{number}/returns", {"store_code": "SH-001", "lines": [{"line_id": 1, "quantity": 1}]}
    )
    assert r.status_code == 403
    assert snapshot() == before


def test_another_stores_stock_is_off_limits(world):
    # Another store's location, or a warehouse, answers as an unknown code (404); a customer, whose
    # role never sees stock by location, is refused before any lookup (403).
    assert world.client("cashier_bj").get("/inventory/locations/SH-001/stock").status_code == 404
    assert world.client("cashier_sh").get("/inventory/locations/SH-001/stock").status_code == 200
    assert world.client("alice").get("/inventory/locations/SH-001/stock").status_code == 403
    assert world.client("cashier_sh").get("/inventory/locations/WH-CN-SH/stock").status_code == 404
    before = snapshot()
    r = world.client("cashier_bj").post(
        "/inventory/transfers", {"sku": "MI6-64", "source": "SH-001", "destination": "BJ-001", "quantity": 1}
    )
    assert r.status_code == 404
    # A cashier of the store itself is not its manager either.
    r = world.client("cashier_sh").post(
        "/inventory/transfers", {"sku": "MI6-64", "source": "SH-001", "destination": "BJ-001", "quantity": 1}
    )
    assert r.status_code == 403
    assert snapshot() == before


def test_transfer_more_than_available_is_refused(world):
    before = snapshot()
    r = world.client("manager_sh").post(
        "/inventory/transfers", {"sku": "MI6-64", "source": "SH-001", "destination": "BJ-001", "quantity": 4}
    )
    assert r.status_code == 409
    assert snapshot() == before
    ok = world.client("manager_sh").post(
        "/inventory/transfers", {"sku": "MI6-64", "source": "SH-001", "destination": "BJ-001", "quantity": 2}
    )
    assert ok.status_code == 201, ok.content
    assert (
        world.client("cashier_bj").post(f"/inventory/transfers/{ok.json()['id']}/receive").status_code == 200
    )
    assert Stock.objects.get(sku=world.skus["MI6-64"], location_id=world.locations["BJ-001"]).quantity == 4


def test_voucher_used_past_its_limit(world):
    first = order(world, lines=[{"sku": "MI6-64", "quantity": 1}], voucher_code="ONCE50")
    assert first.status_code == 201
    before = snapshot()
    second = order(world, user="bob", lines=[{"sku": "MI6-64", "quantity": 1}], voucher_code="ONCE50")
    assert second.status_code == 409 and second.json()["error"] == "voucher_limit_reached"
    assert snapshot() == before
    assert Voucher.objects.get(code="ONCE50").used_count == 1


def test_voucher_once_per_customer_and_given_back_on_cancel(world):
    first = order(world, lines=[{"sku": "CABLE-C", "quantity": 1}], voucher_code="WELCOME10").json()
    again = order(world, lines=[{"sku": "CABLE-C", "quantity": 1}], voucher_code="WELCOME10")
    assert again.status_code == 409
    world.client("alice").post(f"/sales/orders/{first['number']}/cancel")
    assert (
        order(world, lines=[{"sku": "CABLE-C", "quantity": 1}], voucher_code="WELCOME10").status_code == 201
    )


def test_unknown_voucher_and_unknown_order(world):
    assert order(world, lines=[{"sku": "CABLE-C", "quantity": 1}], voucher_code="NOPE").status_code == 404
    assert world.client("alice").get("/sales/orders/CN000000-XXXX").status_code == 404


def test_malformed_json_and_types(world):
    client = world.client("alice")
    r = client.client.post(
        "/api/sales/orders", data="{not json", content_type="application/json", **client.headers
    )
    assert r.status_code in (400, 422)
    assert order(world, lines=[{"sku": "MI6-64", "quantity": 1}], latitude="north").status_code == 422
    assert order(world, lines=[{"sku": "MI6-64", "quantity": 1}], channel="pos").status_code == 422


def test_return_to_wrong_place_or_unknown_line(world):
    number = order(world, lines=[{"sku": "CABLE-C", "quantity": 1}]).json()["number"]
    world.client("staff").post(f"/sales/orders/{number}/fulfil")
    before = snapshot()
    staff = world.client("staff")
    assert (
        staff.post(f"/sales/orders/{number}/returns", {"lines": [{"line_id": 1, "quantity": 1}]}).status_code
        == 422
    )
    r = staff.post(
        f"/sales/orders/{number}/returns",
        {"warehouse_code": "WH-CN-SH", "lines": [{"line_id": 999999, "quantity": 1}]},
    )
    assert r.status_code == 422
    assert snapshot() == before


def test_unknown_transfer_and_purchase_order(world):
    staff = world.client("staff")
    assert staff.post("/inventory/transfers/999999/receive").status_code == 404
    before = snapshot()
    r = staff.post(
        "/inventory/purchase-orders/999999/receive", {"lines": [{"sku": "CABLE-C", "quantity": 1}]}
    )
    assert r.status_code == 404
    r = staff.post(
        "/inventory/purchase-orders",
        {"supplier": "X", "location": "WH-CN-SH", "lines": [{"sku": "CABLE-C", "quantity": -5}]},
    )
    assert r.status_code == 422
    assert snapshot() == before
