"""A flash sale in a browser, on both gates (database, and Redis in the PostgreSQL pass): from the
countdown to payment at 360 px with JavaScript (htmx swaps in the button and the payment form),
the same without JavaScript (reload and refresh links), and sold out with the waitlist. A double
click sends once with JavaScript and claims once without; stock and the ledger stay exact."""

from __future__ import annotations

from decimal import Decimal

from playwright.sync_api import expect

from millet.finance.models import Payment
from millet.finance.services import total_balance_check
from millet.flashsale.models import Claim, WaitlistEntry
from millet.flashsale.services import gate
from millet.sales.models import Order
from tests.browser.conftest import axe, sign_in
from tests.flashsale import conftest as flash
from tests.flashsale.test_flashsale import stock, write_all

# The flash-sale tests' fixtures: both gates, and a running campaign on CABLE-C (tests.factories).
require_redis, gate_mode, make_campaign = flash.require_redis, flash.gate_mode, flash.make_campaign


def sale_path(campaign) -> str:
    return f"/shop/cn/flash/{campaign.code}/"


def paid_once(campaign, customer) -> Order:
    [claim] = Claim.objects.filter(campaign=campaign, customer=customer)
    assert claim.status == "paid"
    order = Order.objects.get(number=claim.order_number)
    assert order.status == "paid" and order.total == Decimal("9.90")
    [payment] = Payment.objects.filter(reference=order.number)
    assert payment.amount == Decimal("9.90")
    assert total_balance_check() == 0
    return order


def test_countdown_to_payment_with_javascript(open_page, world, make_campaign, shot):
    page = open_page("mobile", language="en")
    sign_in(page, "alice", "pw-alice")
    campaign = make_campaign(2, limit=2, starts_in=12, window=600)
    page.goto(sale_path(campaign))
    expect(page.get_by_role("heading", name="The sale starts soon")).to_be_visible()
    expect(page.get_by_role("timer", name="Time until the sale starts")).to_be_visible()
    menu = page.get_by_role("navigation", name="Main menu")
    expect(menu.get_by_role("link", name="Flash sale")).to_be_visible()
    expect(page.get_by_role("button", name="Buy now")).to_have_count(0)
    assert axe(page) == []
    shot(page, "flash-countdown-mobile")

    buy = page.get_by_role("button", name="Buy now")
    buy.wait_for(timeout=20_000)  # the countdown ends, htmx fetches the button
    held = []  # the claim requests, held until the second click has had its chance to send
    page.route("**/claim", lambda route: held.append(route))
    box = buy.bounding_box()
    x, y = box["x"] + box["width"] / 2, box["y"] + box["height"] / 2
    page.mouse.click(x, y)
    while not held:
        page.wait_for_timeout(20)
    page.mouse.click(x, y)  # while the first is on its way: the page sends nothing more
    page.wait_for_timeout(300)
    assert len(held) == 1
    held[0].continue_()
    page.unroute("**/claim")
    page.wait_for_url("**/claims/**")
    if gate.redis_enabled():  # the order waits for the writer
        expect(page.get_by_text("Your place in the queue: 1")).to_be_visible()
        assert axe(page) == []
        shot(page, "flash-queue-mobile")
        write_all()
    page.get_by_role("heading", name="Pay to keep your unit").wait_for()  # htmx polled it in
    assert Claim.objects.filter(campaign=campaign).count() == 1  # a double click claims once
    expect(page.get_by_role("timer", name="Time left to pay")).to_be_visible()
    assert axe(page) == []
    shot(page, "flash-pay-mobile")

    page.get_by_label("Card token").fill("tok_declined")
    page.get_by_role("button", name="Pay CN¥9.90").click()
    expect(page.get_by_text("The card was declined.")).to_be_visible()
    assert page.get_by_label("Card token").get_attribute("aria-invalid") == "true"
    page.get_by_label("Card token").fill("tok_ok")
    page.get_by_role("button", name="Pay CN¥9.90").click()
    expect(page.get_by_role("heading", name="Paid. The unit is yours.")).to_be_visible()
    assert axe(page) == []
    shot(page, "flash-paid-mobile")
    page.go_back()  # the payment form again: paying once more charges nothing
    page.reload()
    expect(page.get_by_role("heading", name="Paid. The unit is yours.")).to_be_visible()
    paid_once(campaign, world.users["alice"])
    assert stock(world) == (100, 2)  # one unit in the sale, one in the paid order


def test_countdown_to_payment_without_javascript(open_page, world, make_campaign, shot):
    upcoming = make_campaign(2, starts_in=3600)
    page = open_page("desktop", language="en", javascript=False)
    sign_in(page, "bob", "pw-bob")
    page.goto(sale_path(upcoming))
    expect(page.get_by_role("timer", name="Time until the sale starts")).to_be_visible()
    expect(page.get_by_text("It opens at")).to_be_visible()
    assert page.get_by_role("link", name="Reload the page").get_attribute("href") == sale_path(upcoming)
    shot(page, "flash-countdown-desktop-nojs")

    campaign = make_campaign(2, window=600)
    page.goto(sale_path(campaign))
    page.get_by_role("button", name="Buy now").dblclick(no_wait_after=True)  # two form submissions
    page.get_by_role("heading", name="Your flash-sale claim").wait_for()
    if gate.redis_enabled():
        expect(page.get_by_text("Your place in the queue: 1")).to_be_visible()
        write_all()
        page.get_by_role("link", name="Refresh").click()
    page.get_by_role("heading", name="Pay to keep your unit").wait_for()
    assert Claim.objects.filter(campaign=campaign).count() == 1
    shot(page, "flash-pay-desktop-nojs")  # axe needs JavaScript: the JS pass checks these pages
    page.get_by_label("Card token").fill("tok_ok")
    page.get_by_role("button", name="Pay CN¥9.90").dblclick(no_wait_after=True)
    page.get_by_role("heading", name="Paid. The unit is yours.").wait_for()
    paid_once(campaign, world.users["bob"])


def test_sold_out_and_the_waitlist(open_page, world, make_campaign, shot):
    from millet.accounts.actor import actor_for_user
    from millet.flashsale import services

    campaign = make_campaign(1)
    services.claim_unit(actor_for_user(world.users["alice"]), campaign.code)
    write_all()
    for viewport, javascript in (("desktop", True), ("mobile", False)):
        page = open_page(viewport, language="en", javascript=javascript)
        page.goto(sale_path(campaign))
        expect(page.get_by_role("heading", name="Sold out")).to_be_visible()
        expect(page.get_by_role("button", name="Buy now")).to_have_count(0)
        page.get_by_role("link", name="Sign in to join the waitlist").click()
        sign_in(page, "bob", "pw-bob", next_url=page.url.split("next=")[1])
        assert page.url.endswith(sale_path(campaign))
        if javascript:
            page.get_by_role("button", name="Join the waitlist").click()
        expect(page.get_by_text("You are on the waitlist. 0 people are ahead of you.")).to_be_visible()
        if javascript:  # axe runs in the page
            assert axe(page) == []
        shot(page, f"flash-sold-out-{viewport}")
    assert WaitlistEntry.objects.filter(campaign=campaign).count() == 1
    assert stock(world) == (100, 1)
