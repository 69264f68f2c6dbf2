"""A purchase order names each SKU once, when it is placed and when a delivery is booked: a SKU
named twice was kept as two lines (the answer showed one, and receiving could only ever reach the
last, so the order never closed) or, on receiving, all but its last line were dropped unbooked."""

from __future__ import annotations

import pytest

from millet.inventory.models import PurchaseOrder, PurchaseOrderLine, SerialUnit, Stock, StockMovement

pytestmark = pytest.mark.django_db


def on_hand(world, sku: str, location: str) -> int:
    return Stock.objects.get(sku=world.skus[sku], location_id=world.locations[location]).quantity


def test_a_sku_named_twice_on_a_new_purchase_order_is_refused_and_nothing_is_ordered(world, api_client):
    staff = api_client(world.tokens["staff"])
    lines = [{"sku": "CABLE-C", "quantity": 1}, {"sku": "CABLE-C", "quantity": 2}]
    answer = staff.post(
        "/inventory/purchase-orders", {"supplier": "Foxconn", "location": "WH-CN-SH", "lines": lines}
    )
    assert answer.status_code == 422
    assert answer.json()["error"] == "duplicate_line"
    assert not PurchaseOrder.objects.exists() and not PurchaseOrderLine.objects.exists()


def test_a_sku_named_twice_in_a_delivery_is_refused_and_nothing_is_booked(world, api_client):
    staff = api_client(world.tokens["staff"])
    body = {"supplier": "Foxconn", "location": "WH-CN-SH", "lines": [{"sku": "CABLE-C", "quantity": 5}]}
    po = staff.post("/inventory/purchase-orders", body).json()
    before, movements = on_hand(world, "CABLE-C", "WH-CN-SH"), StockMovement.objects.count()
    twice = [{"sku": "CABLE-C", "quantity": 2}, {"sku": "CABLE-C", "quantity": 3}]
    answer = staff.post(f"/inventory/purchase-orders/{po['id']}/receive", {"lines": twice})
    assert answer.status_code == 422
    assert answer.json()["error"] == "duplicate_line"
    assert on_hand(world, "CABLE-C", "WH-CN-SH") == before and StockMovement.objects.count() == movements
    assert PurchaseOrderLine.objects.get().quantity_received == 0
    # Named once, the same delivery is booked and closes the order.
    once = staff.post(
        f"/inventory/purchase-orders/{po['id']}/receive", {"lines": [{"sku": "CABLE-C", "quantity": 5}]}
    )
    assert once.status_code == 200 and once.json()["status"] == "received"
    assert on_hand(world, "CABLE-C", "WH-CN-SH") == before + 5


def test_serials_for_a_sku_without_serials_are_refused_and_its_stock_stays_movable(world, api_client):
    """Serials booked for a SKU that has none made its stock half serialized: every later transfer
    of it picked from the few serial units and failed (409 serials_mismatch) for more than those."""
    staff = api_client(world.tokens["staff"])
    body = {"supplier": "Foxconn", "location": "WH-CN-SH", "lines": [{"sku": "CABLE-C", "quantity": 5}]}
    po = staff.post("/inventory/purchase-orders", body).json()
    before = on_hand(world, "CABLE-C", "WH-CN-SH")
    lines = [{"sku": "CABLE-C", "quantity": 5, "serials": ["CAB-1"]}]
    answer = staff.post(f"/inventory/purchase-orders/{po['id']}/receive", {"lines": lines})
    assert answer.status_code == 422 and answer.json()["error"] == "serials_not_expected"
    assert (
        on_hand(world, "CABLE-C", "WH-CN-SH") == before
        and not SerialUnit.objects.filter(serial="CAB-1").exists()
    )
    moved = staff.post(
        "/inventory/transfers",
        {"sku": "CABLE-C", "source": "WH-CN-SH", "destination": "SH-001", "quantity": 2},
    )
    assert moved.status_code == 201
