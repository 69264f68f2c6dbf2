"""After the sale in a browser: the order page's timeline, cancelling before shipping (with
JavaScript off; sent again from another tab, the order says it is cancelled), and a return from
the shopper's request through staff approval and receipt to the refund the shopper sees, with
stock and the ledger checked. axe at 360 px and on a desktop."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import axe, sign_in


@pytest.fixture
def world(transactional_db):
    """The sales test world (markets, stock in CN warehouses and stores) and its sellers."""
    from millet.regions.models import Currency
    from millet.regions.services import clear_caches
    from millet.sales.models import Seller
    from tests.factories import build_world

    built = build_world()
    Currency.objects.filter(code="CNY").update(symbol="¥")  # as the real markets write it
    clear_caches()
    Seller.objects.get_or_create(
        market="CN",
        defaults={"legal_name": "Millet Beijing", "address": "1 Main St", "tax_id": "91110108MA01XYZ12K"},
    )
    return built


def shipped_order(world, buyer, quantity=1, ship=True):
    from millet.accounts.actor import actor_for_user
    from millet.sales import services

    order = services.place_order(
        actor_for_user(buyer),
        market="CN",
        lines=[services.LineRequest("MI6-64", quantity)],
        payment_token="tok_ok",
    )
    if ship:
        staff = actor_for_user(world.users["staff"])
        services.fulfil_order(staff, order.number, carrier="SF Express", tracking_number="SF1234567890")
    return order


def test_a_return_from_request_to_refund(open_page, world, make_user, shot):
    from millet.finance.services import payments_for, total_balance_check
    from millet.inventory.models import SerialUnit

    buyer = make_user("mei", email="mei@example.com")
    make_user("sam", email="sam@example.com", staff=True)
    order = shipped_order(world, buyer, quantity=2)

    page = open_page("mobile", language="en")
    sign_in(page, "mei")
    page.goto("/orders/")
    page.get_by_role("link", name=order.number).click()
    expect(page.get_by_role("heading", name=f"Order {order.number}")).to_be_visible()
    timeline = page.get_by_role("list", name="Order status")
    for step in ("Order placed", "Paid", "Shipped"):
        expect(timeline.get_by_text(step, exact=True)).to_be_visible()
    expect(timeline.get_by_text("SF Express · SF1234567890")).to_be_visible()
    expect(page.get_by_role("link", name="Cancel the order")).to_have_count(0)
    assert axe(page) == []
    shot(page, "order-shipped-mobile")

    page.get_by_role("link", name="Return items").click()
    page.get_by_label("It is defective or does not work").check()
    page.get_by_label("Mi 6").fill("1")
    page.get_by_label("Anything we should know").fill("The screen stays black.")
    assert axe(page) == []
    shot(page, "return-request-mobile")
    page.get_by_role("button", name="Request the return").click()
    expect(page.get_by_text("Your return request is sent.")).to_be_visible()
    expect(page.get_by_text("Waiting for approval")).to_be_visible()

    staff = open_page("desktop", language="en")
    sign_in(staff, "sam")
    staff.goto("/orders/returns/")
    assert axe(staff) == []
    staff.get_by_role("link", name=order.number).click()
    expect(staff.get_by_text("The screen stays black.")).to_be_visible()
    assert axe(staff) == []
    staff.get_by_role("button", name="Approve the return").click()
    expect(staff.get_by_text("The return is approved.")).to_be_visible()
    staff.get_by_label("Warehouse code").fill("WH-CN-SH")
    serial = staff.get_by_role("group", name="Units of Mi 6 that came back").get_by_role("checkbox").first
    returned_serial = serial.get_attribute("value")
    serial.check()
    assert axe(staff) == []
    shot(staff, "return-receive-desktop")
    staff.get_by_role("button", name="Receive and refund").click()
    expect(staff.get_by_text("The units are received and the refund is booked.")).to_be_visible()

    page.goto(f"/orders/{order.number}/")
    expect(page.get_by_text("Refunded ¥2,499.00 to your card.")).to_be_visible()
    expect(
        page.get_by_role("list", name="Order status").get_by_text("Units received, refunded")
    ).to_be_visible()
    assert axe(page) == []
    shot(page, "order-refunded-mobile")
    assert SerialUnit.objects.get(serial=returned_serial).status == "in_stock"
    [payment] = payments_for(order.number)
    assert (payment.captured, payment.refunded) == (2 * 2499, 2499)
    assert total_balance_check() == 0

    # The other unit taken back at the warehouse without a request: the timeline ends with it.
    from millet.accounts.actor import actor_for_user
    from millet.sales import services

    sam = actor_for_user(world.users["staff"])
    (left,) = [u.serial for u in services.sold_units(sam, order.number) if u.serial != returned_serial]
    line = services.ReturnRequest(order.lines.get().pk, 1, (left,))
    services.return_order(sam, order.number, lines=[line], warehouse_code="WH-CN-SH")
    page.reload()
    current = page.get_by_role("list", name="Order status").locator("[aria-current=step]")
    expect(current).to_contain_text("Returned, refunded")
    expect(current).to_contain_text("1 unit · to your card")
    returns = page.get_by_role("region", name="Returns", exact=True).get_by_role("listitem")
    expect(returns).to_have_count(2)  # the request and the return taken without one, newest first
    expect(returns.first).to_contain_text("1 unit taken back")
    expect(returns.first).to_contain_text("Refunded ¥2,499.00 to your card.")
    expect(returns.last).to_contain_text("Refunded ¥2,499.00 to your card.")
    assert axe(page) == []
    shot(page, "order-returned-at-warehouse-mobile")


def test_cancel_before_shipping_without_javascript(open_page, world, make_user, shot):
    from millet.finance.services import payments_for
    from millet.inventory.models import Stock
    from millet.sales.models import Order

    buyer = make_user("li", email="li@example.com")
    order = shipped_order(world, buyer, ship=False)
    held = sum(Stock.objects.filter(sku=world.skus["MI6-64"]).values_list("reserved", flat=True))
    shipped = shipped_order(world, buyer)

    looking = open_page("mobile", language="en")  # axe needs JavaScript: it looks first
    sign_in(looking, "li")
    looking.goto(f"/orders/{order.number}/")
    expect(
        looking.get_by_role("list", name="Order status").get_by_text("Shipped")
    ).to_be_visible()  # upcoming
    assert axe(looking) == []
    shot(looking, "order-paid-mobile")
    looking.get_by_role("link", name="Cancel the order").click()
    assert axe(looking) == []
    shot(looking, "cancel-confirm-mobile")
    looking.goto(f"/orders/{shipped.number}/cancel/")  # too late: the page says so instead
    expect(looking.get_by_role("alert").get_by_text("can no longer be cancelled")).to_be_visible()
    assert axe(looking) == []
    looking.goto(f"/orders/{order.number}/cancel/")  # left open while the other tab cancels

    page = open_page("desktop", language="en", javascript=False)
    sign_in(page, "li")
    page.goto(f"/orders/{order.number}/")
    page.get_by_role("link", name="Cancel the order").click()
    page.get_by_role("button", name="Yes, cancel the order").click()
    expect(page.get_by_text(f"Order {order.number} is cancelled.")).to_be_visible()
    expect(page.get_by_role("list", name="Order status").get_by_text("Cancelled")).to_be_visible()
    expect(page.get_by_role("link", name="Cancel the order")).to_have_count(0)
    assert Order.objects.get(number=order.number).status == "cancelled"
    assert [p.status for p in payments_for(order.number)] == ["voided"]
    assert sum(Stock.objects.filter(sku=world.skus["MI6-64"]).values_list("reserved", flat=True)) == held - 1
    shot(page, "order-cancelled-desktop")

    # The confirmation left open in the first tab, sent after all: the order says it is cancelled.
    looking.get_by_role("button", name="Yes, cancel the order").click()
    expect(looking.get_by_text("This order is already cancelled: nothing more to do.")).to_be_visible()
    expect(looking.get_by_role("heading", name=f"Order {order.number}")).to_be_visible()
    expect(looking.get_by_role("list", name="Order status").get_by_text("Cancelled")).to_be_visible()
    expect(looking.get_by_text("can no longer be cancelled")).to_have_count(0)
    assert axe(looking) == []
    shot(looking, "cancel-again-mobile")
