"""Orders through the HTTP API, every channel, with the stock and ledger effects checked."""

from __future__ import annotations

from decimal import Decimal

import pytest

from millet.accounts.actor import SYSTEM
from millet.catalog import services as catalog
from millet.finance.models import LedgerTransfer
from millet.finance.services import balance, total_balance_check
from millet.inventory.models import SerialUnit, Stock
from millet.sales.models import Order

pytestmark = pytest.mark.django_db


def stock(world, sku: str, location: str) -> tuple[int, int]:
    row = Stock.objects.get(sku=world.skus[sku], location_id=world.locations[location])
    return row.quantity, row.reserved


def buy(world, user="alice", lines=(("MI6-64", 1),), **extra):
    body = {
        "market": "CN",
        "lines": [{"sku": s, "quantity": q} for s, q in lines],
        "payment_token": "tok_ok",
        **extra,
    }
    return world.client(user).post("/sales/orders", body)


def test_web_order_holds_nearest_warehouse_then_ships_with_serials_and_books_revenue_and_vat(world):
    # Buyer in Beijing: the Beijing warehouse is nearest.
    response = buy(world, latitude="39.9", longitude="116.4")
    assert response.status_code == 201, response.content
    order = response.json()
    assert order["status"] == "paid"
    assert Decimal(order["total"]) == Decimal("2499.00")
    assert Decimal(order["tax"]) == Decimal("287.50")  # 2499 * 0.13 / 1.13, half-up
    assert stock(world, "MI6-64", "WH-CN-BJ") == (3, 1)
    assert stock(world, "MI6-64", "WH-CN-SH") == (5, 0)

    shipped = world.client("staff").post(f"/sales/orders/{order['number']}/fulfil")
    assert shipped.status_code == 200, shipped.content
    serials = shipped.json()["lines"][0]["serials"]
    assert len(serials) == 1
    assert SerialUnit.objects.get(serial=serials[0]).status == "sold"
    assert stock(world, "MI6-64", "WH-CN-BJ") == (2, 0)
    revenue = balance("revenue:web:CN:CNY")
    vat = balance("tax:CN:VAT:CNY")
    assert revenue.credits_posted - revenue.debits_posted == 221150
    assert vat.credits_posted - vat.debits_posted == 28750
    assert total_balance_check() == 0


def test_pos_sale_scans_serial_and_takes_unit_from_that_store(world):
    serial = (
        SerialUnit.objects.filter(location_id=world.locations["SH-001"], sku=world.skus["MI6-64"])
        .first()
        .serial
    )
    response = world.client("cashier_sh").post(
        "/sales/pos/sales",
        {
            "store_code": "SH-001",
            "serials": [serial],
            "payment_token": "tok_ok",
            "lines": [{"sku": "CABLE-C", "quantity": 2}],
        },
    )
    assert response.status_code == 201, response.content
    order = response.json()
    assert order["status"] == "fulfilled" and order["channel"] == "pos"
    assert Decimal(order["total"]) == Decimal("2538.80")
    assert stock(world, "MI6-64", "SH-001") == (2, 0)
    assert stock(world, "CABLE-C", "SH-001") == (18, 0)
    revenue = balance("revenue:store:SH-001:CNY")
    assert revenue.credits_posted > 0
    # The same serial cannot be sold twice.
    again = world.client("cashier_sh").post(
        "/sales/pos/sales", {"store_code": "SH-001", "serials": [serial], "payment_token": "tok_ok"}
    )
    assert again.status_code == 409


def test_a_till_sale_is_made_at_the_total_quoted_or_not_at_all(world):
    """POST /pos/quotes prices a basket as the sale will, changing nothing; the sale's
    ``expected_total`` refuses any other total with 409 ``price_changed``, before a unit or money moves."""
    serial = SerialUnit.objects.filter(location_id=world.locations["SH-001"], sku=world.skus["MI6-64"])[
        0
    ].serial
    basket = {"store_code": "SH-001", "serials": [serial], "lines": [{"sku": "CABLE-C", "quantity": 2}]}
    cashier = world.client("cashier_sh")
    quoted = cashier.post("/sales/pos/quotes", basket)
    assert quoted.status_code == 200, quoted.content
    assert quoted.json()["currency"] == "CNY" and Decimal(quoted.json()["total"]) == Decimal("2538.80")
    assert stock(world, "MI6-64", "SH-001") == (3, 0) and not Order.objects.exists()

    catalog.set_price("CN", "CABLE-C", Decimal("29.90"), actor=SYSTEM)  # while the buyer listens
    before = (
        stock(world, "MI6-64", "SH-001"),
        stock(world, "CABLE-C", "SH-001"),
        LedgerTransfer.objects.count(),
    )
    sale = {**basket, "payment_token": "tok_ok", "expected_total": quoted.json()["total"]}
    refused = cashier.post("/sales/pos/sales", sale)
    assert refused.status_code == 409 and refused.json()["error"] == "price_changed", refused.content
    after = (
        stock(world, "MI6-64", "SH-001"),
        stock(world, "CABLE-C", "SH-001"),
        LedgerTransfer.objects.count(),
    )
    assert after == before and not Order.objects.exists() and total_balance_check() == 0

    again = cashier.post("/sales/pos/quotes", basket).json()["total"]
    assert Decimal(again) == Decimal("2558.80")
    made = cashier.post("/sales/pos/sales", {**sale, "expected_total": again})
    assert made.status_code == 201 and Decimal(made.json()["total"]) == Decimal("2558.80")
    assert world.client("cashier_bj").post("/sales/pos/quotes", basket).status_code == 403
    unknown = cashier.post("/sales/pos/quotes", {**basket, "serials": ["NOPE"]})
    assert unknown.status_code == 404 and unknown.json()["error"] == "unknown_serial"


def test_cashier_cannot_sell_from_another_store(world):
    serial = SerialUnit.objects.filter(location_id=world.locations["SH-001"]).first().serial
    before = stock(world, "MI6-64", "SH-001")
    response = world.client("cashier_bj").post(
        "/sales/pos/sales", {"store_code": "SH-001", "serials": [serial], "payment_token": "tok_ok"}
    )
    assert response.status_code == 403
    assert stock(world, "MI6-64", "SH-001") == before
    assert not Order.objects.exists()


def test_customer_cannot_ring_up_a_pos_sale(world):
    response = world.client("alice").post(
        "/sales/pos/sales",
        {"store_code": "SH-001", "lines": [{"sku": "CABLE-C", "quantity": 1}], "payment_token": "tok_ok"},
    )
    assert response.status_code == 403


def test_click_and_collect_waits_at_store_then_is_collected(world):
    response = buy(world, channel="click_collect", store_code="SH-001", lines=(("CAM-C300", 1),))
    assert response.status_code == 201, response.content
    number = response.json()["number"]
    assert response.json()["status"] == "ready_for_pickup"
    assert stock(world, "CAM-C300", "SH-001") == (2, 1)
    assert world.client("cashier_bj").post(f"/sales/orders/{number}/collect").status_code in (403, 404)
    serial = SerialUnit.objects.filter(location_id=world.locations["SH-001"], sku=world.skus["CAM-C300"])
    scanned = serial.first().serial
    collected = world.client("cashier_sh").post(f"/sales/orders/{number}/collect", {"serials": [scanned]})
    assert collected.status_code == 200, collected.content
    assert collected.json()["status"] == "fulfilled"
    assert collected.json()["lines"][0]["serials"] == [scanned]  # the unit scanned is the unit sold
    assert stock(world, "CAM-C300", "SH-001") == (1, 0)


def test_click_and_collect_refuses_when_store_has_none(world):
    response = buy(world, channel="click_collect", store_code="BJ-001", lines=(("CAM-C300", 1),))
    assert response.status_code == 409
    assert response.json()["error"] == "out_of_stock"
    assert not Order.objects.exists()


def test_cancel_puts_stock_back_and_voids_payment(world):
    number = buy(world).json()["number"]
    assert world.client("alice").post(f"/sales/orders/{number}/cancel").json()["status"] == "cancelled"
    assert stock(world, "MI6-64", "WH-CN-SH")[1] == 0 and stock(world, "MI6-64", "WH-CN-BJ")[1] == 0
    assert balance("customer-funds:CNY").credits_pending == 0
    assert world.client("alice").post(f"/sales/orders/{number}/cancel").status_code == 409


def test_unpaid_order_expires_and_releases_stock(world, settings):
    from datetime import timedelta

    from django.utils import timezone

    from millet.inventory.models import Reservation
    from millet.sales.services import expire_unpaid_orders

    body = {"market": "CN", "lines": [{"sku": "BAND2", "quantity": 2}]}
    number = world.client("alice").post("/sales/orders", body).json()["number"]
    assert stock(world, "BAND2", "WH-CN-SH") == (2, 2)
    Reservation.objects.update(expires_at=timezone.now() - timedelta(seconds=1))
    assert expire_unpaid_orders() == 1
    assert stock(world, "BAND2", "WH-CN-SH") == (2, 0)
    assert Order.objects.get(number=number).status == "cancelled"
    late = world.client("alice").post(f"/sales/orders/{number}/pay", {"payment_token": "tok_ok"})
    assert late.status_code == 409


def test_pay_later_then_ship(world):
    number = (
        world.client("alice")
        .post("/sales/orders", {"market": "CN", "lines": [{"sku": "CABLE-C", "quantity": 3}]})
        .json()["number"]
    )
    paid = world.client("alice").post(f"/sales/orders/{number}/pay", {"payment_token": "tok_ok"})
    assert paid.json()["status"] == "paid"
    assert world.client("staff").post(f"/sales/orders/{number}/fulfil").json()["status"] == "fulfilled"


def test_declined_payment_changes_nothing(world):
    response = buy(world, payment_token="tok_declined")
    assert response.status_code == 402
    assert not Order.objects.exists()
    assert stock(world, "MI6-64", "WH-CN-SH") == (5, 0)


def test_backorder_when_sold_out_filled_when_stock_arrives(world):
    response = buy(world, lines=(("BAND2", 3),))
    assert response.status_code == 201, response.content
    order = response.json()
    assert order["status"] == "backordered" and order["lines"][0]["backordered"]
    assert world.client("staff").post(f"/sales/orders/{order['number']}/fulfil").status_code == 409
    po = (
        world.client("staff")
        .post(
            "/inventory/purchase-orders",
            {"supplier": "Huami", "location": "WH-CN-SH", "lines": [{"sku": "BAND2", "quantity": 5}]},
        )
        .json()
    )
    serials = [f"BANDX{i:04d}" for i in range(5)]
    received = world.client("staff").post(
        f"/inventory/purchase-orders/{po['id']}/receive",
        {"lines": [{"sku": "BAND2", "quantity": 5, "serials": serials}]},
    )
    assert received.status_code == 200, received.content
    assert received.json()["status"] == "received"
    shipped = world.client("staff").post(f"/sales/orders/{order['number']}/fulfil")
    assert shipped.status_code == 200, shipped.content
    assert len(shipped.json()["lines"][0]["serials"]) == 3


def test_cart_checkout_with_voucher_and_idempotent_replay(world):
    client = world.client("alice")
    cart = client.post("/sales/carts", {"market": "CN"}).json()
    client.put(f"/sales/carts/{cart['id']}/lines/MI6-64", {"quantity": 1})
    client.put(f"/sales/carts/{cart['id']}/lines/CABLE-C", {"quantity": 2})
    body = {"payment_token": "tok_ok", "voucher_code": "WELCOME10"}
    first = client.post(f"/sales/carts/{cart['id']}/checkout", body, HTTP_IDEMPOTENCY_KEY="k-1")
    assert first.status_code == 201, first.content
    order = first.json()
    assert Decimal(order["discount"]) == Decimal("253.88")
    assert Decimal(order["total"]) == Decimal("2538.80") - Decimal("253.88")
    assert sum(Decimal(line["discount"]) for line in order["lines"]) == Decimal("253.88")
    assert client.post(f"/sales/carts/{cart['id']}/checkout", body).status_code == 409
    replay = client.post(f"/sales/carts/{cart['id']}/checkout", body, HTTP_IDEMPOTENCY_KEY="k-1")
    assert replay.status_code == 201 and replay.json()["number"] == order["number"]
    other = client.post(
        "/sales/orders",
        {"market": "CN", "lines": [{"sku": "MI6-64", "quantity": 1}]},
        HTTP_IDEMPOTENCY_KEY="k-1",
    )
    assert (other.status_code, other.json()["error"]) == (409, "idempotency_key_reused")
    assert Order.objects.count() == 1


def test_a_key_that_ordered_one_cart_does_not_check_out_another_with_nothing_ordered(world):
    """A client that reuses its idempotency key for a new cart with the same contents was answered
    with the first cart's order, and the new cart was checked out with nothing ordered for it: its
    lines were gone. The key belongs to the first cart's checkout: 409, and the new cart stays open."""
    from millet.sales.models import Cart

    client = world.client("alice")
    body = {"payment_token": "tok_ok"}
    carts = []
    for _ in range(2):
        cart = client.post("/sales/carts", {"market": "CN"}).json()
        client.put(f"/sales/carts/{cart['id']}/lines/MI6-64", {"quantity": 1})
        placed = client.post(f"/sales/carts/{cart['id']}/checkout", body, HTTP_IDEMPOTENCY_KEY="k-2")
        carts.append(cart["id"])
        if len(carts) == 1:
            assert placed.status_code == 201, placed.content
    assert (placed.status_code, placed.json()["error"]) == (409, "idempotency_key_reused")
    assert Order.objects.count() == 1
    second = Cart.objects.get(pk=carts[1])
    assert not second.checked_out and second.lines.count() == 1
    fresh = client.post(f"/sales/carts/{carts[1]}/checkout", body, HTTP_IDEMPOTENCY_KEY="k-3")
    assert fresh.status_code == 201 and Order.objects.count() == 2


def test_cart_checkout_charges_the_shipping_method_chosen_and_refuses_an_unknown_one(world):
    client = world.client("alice")
    methods = client.get("/sales/shipping-methods?market=IN").json()
    assert [(m["code"], m["price"], m["currency"]) for m in methods] == [
        ("standard", "49.00", "INR"),
        ("express", "149.00", "INR"),
    ]
    assert client.get("/sales/shipping-methods?market=XX").status_code == 404
    cart = client.post("/sales/carts", {"market": "IN"}).json()
    client.put(f"/sales/carts/{cart['id']}/lines/MI6-64", {"quantity": 1})
    body = {"payment_token": "tok_ok", "shipping_state": "IN-KA", "shipping_method": "drone"}
    refused = client.post(f"/sales/carts/{cart['id']}/checkout", body)
    assert refused.status_code == 422 and refused.json()["error"] == "unknown_shipping_method"
    assert Order.objects.count() == 0  # nothing placed, nothing charged: the cart is still open
    body["shipping_method"] = "express"
    placed = client.post(f"/sales/carts/{cart['id']}/checkout", body)
    assert placed.status_code == 201, placed.content
    order = placed.json()
    assert (order["shipping_method"], Decimal(order["shipping_fee"])) == ("express", Decimal("149.00"))
    assert Decimal(order["total"]) == Decimal("19999.00") + Decimal("149.00")
    assert client.get(f"/sales/orders/{order['number']}").json()["shipping_fee"] == "149.00"


def test_returns_refund_exactly_what_was_paid(world):
    order = buy(world, lines=(("CABLE-C", 3),), voucher_code="WELCOME10").json()
    number = order["number"]
    world.client("staff").post(f"/sales/orders/{number}/fulfil")
    line_id = order["lines"][0]["id"]
    refunds = Decimal(0)
    for _ in range(3):
        r = world.client("cashier_sh").post(
            f"/sales/orders/{number}/returns",
            {"store_code": "SH-001", "lines": [{"line_id": line_id, "quantity": 1}]},
        )
        assert r.status_code == 201, r.content
        refunds += Decimal(r.json()["refund_amount"])
    assert refunds == Decimal(order["total"])
    assert r.json()["status"] == "returned"
    assert stock(world, "CABLE-C", "SH-001") == (23, 0)
    over = world.client("cashier_sh").post(
        f"/sales/orders/{number}/returns",
        {"store_code": "SH-001", "lines": [{"line_id": line_id, "quantity": 1}]},
    )
    assert over.status_code == 409
    for code in ("revenue:web:CN:CNY", "tax:CN:VAT:CNY"):
        b = balance(code)
        assert b.credits_posted == b.debits_posted
    assert total_balance_check() == 0


def test_return_of_serialized_unit_puts_that_serial_back_in_stock(world):
    order = buy(world).json()
    shipped = world.client("staff").post(f"/sales/orders/{order['number']}/fulfil").json()
    serial = shipped["lines"][0]["serials"][0]
    r = world.client("manager_sh").post(
        f"/sales/orders/{order['number']}/returns",
        {
            "store_code": "SH-001",
            "lines": [{"line_id": shipped["lines"][0]["id"], "quantity": 1, "serials": [serial]}],
        },
    )
    assert r.status_code == 201, r.content
    unit = SerialUnit.objects.get(serial=serial)
    assert unit.status == "in_stock" and unit.location_id == world.locations["SH-001"]


def test_fulfilment_sends_the_serials_to_subscribers(world):
    from millet.sales.events import order_fulfilled

    seen = []

    def listener(sender, **kwargs):
        seen.append(kwargs)

    order_fulfilled.connect(listener)
    try:
        from django.test import TestCase

        with TestCase.captureOnCommitCallbacks(execute=True):
            number = buy(world).json()["number"]
            world.client("staff").post(f"/sales/orders/{number}/fulfil")
    finally:
        order_fulfilled.disconnect(listener)
    assert seen and seen[0]["order_number"] == number and seen[0]["customer_id"] == world.users["alice"].pk


def test_amounts_are_answered_at_the_currencys_scale(world):
    order = buy(world, lines=(("CABLE-C", 1),)).json()
    for field in ("subtotal", "discount", "tax", "total", "refunded"):
        assert len(order[field].split(".")[1]) == 2, (field, order[field])


@pytest.mark.parametrize(
    "extra",
    [
        {"lines": (("MI6-64", 1), ("CABLE-C", 2))},  # paid, two lines
        {"channel": "click_collect", "store_code": "SH-001", "lines": (("CAM-C300", 1),)},
        {"lines": (("BAND2", 3),)},  # back-ordered: the one case that still updates the order
        {"payment_token": None, "lines": (("MI6-64", 1),)},  # placed, unpaid
        {"shipping_method": "standard", "shipping_state": "IN-KA", "market": "IN", "lines": (("MI6-64", 1),)},
    ],
    ids=["paid", "click_collect", "backordered", "unpaid", "shipping"],
)
def test_the_answer_to_placing_is_the_order_as_stored(world, extra):
    """The answer is built from what placing wrote, not read back: it must say what a read says."""
    body = {"market": "CN", "payment_token": "tok_ok", **extra}
    body["lines"] = [{"sku": s, "quantity": q} for s, q in body["lines"]]
    body = {k: v for k, v in body.items() if v is not None}
    client = world.client("alice")
    placed = client.post("/sales/orders", body)
    assert placed.status_code == 201, placed.content
    assert placed.json() == client.get(f"/sales/orders/{placed.json()['number']}").json()
    replay = client.post("/sales/orders", body, HTTP_IDEMPOTENCY_KEY="same")
    assert client.post("/sales/orders", body, HTTP_IDEMPOTENCY_KEY="same").json() == replay.json()


def test_a_paid_checkout_writes_the_order_once(world):
    """Paid at once: the order is written with its status, not written and then updated."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as ran:
        assert buy(world).json()["status"] == "paid"
    order_writes = [q["sql"] for q in ran if 'UPDATE "sales_order"' in q["sql"]]
    assert order_writes == []
    assert Order.objects.get().paid_at is not None


def test_an_order_priced_otherwise_than_expected_is_refused_with_nothing_held_or_charged(world):
    """``expected_total``: the total a client showed its buyer. Any other total now is 409
    ``price_changed``, before stock is held or a card asked; the expected total places the order."""
    before = stock(world, "MI6-64", "WH-CN-BJ"), LedgerTransfer.objects.count()
    refused = buy(world, expected_total="2399.00", shipping_method="express")
    assert refused.status_code == 409 and refused.json()["error"] == "price_changed"
    assert "2519.00" in refused.json()["detail"]  # the total it would be now
    assert (stock(world, "MI6-64", "WH-CN-BJ"), LedgerTransfer.objects.count()) == before
    assert not Order.objects.exists() and total_balance_check() == 0
    placed = buy(world, expected_total="2519.00", shipping_method="express")
    assert placed.status_code == 201 and Decimal(placed.json()["total"]) == Decimal("2519.00")
    assert buy(world, expected_total=2519, shipping_method="express").status_code == 201  # a JSON integer
    for bad in ("-1", "2519.001", "1e3", True):
        answer = buy(world, expected_total=bad)
        assert answer.status_code == 422, (bad, answer.content)


def test_a_cart_priced_otherwise_than_expected_stays_open(world):
    client = world.client("alice")
    cart = client.post("/sales/carts", {"market": "CN"}).json()
    client.put(f"/sales/carts/{cart['id']}/lines/MI6-64", {"quantity": 2})
    body = {"payment_token": "tok_ok", "expected_total": "2499.00"}  # what one unit cost
    refused = client.post(f"/sales/carts/{cart['id']}/checkout", body, HTTP_IDEMPOTENCY_KEY="q-1")
    assert refused.status_code == 409 and refused.json()["error"] == "price_changed"
    assert not Order.objects.exists()
    placed = client.post(
        f"/sales/carts/{cart['id']}/checkout",
        {**body, "expected_total": "4998.00"},
        HTTP_IDEMPOTENCY_KEY="q-1",
    )  # the key placed nothing: it may be sent again with the total the buyer now agrees to
    assert placed.status_code == 201 and Decimal(placed.json()["total"]) == Decimal("4998.00")
