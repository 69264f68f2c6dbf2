"""A cashier's day at the till in a browser: open the day, sell by scanning (a serial from another
store refused on the spot), take cash and read the change on the receipt, hand a click-and-collect
order over with its pickup code, take a unit back, and close the day with the cash matching; the
ledger and the stock stay exact. A sale with JavaScript off, and the pages in Chinese and Hindi.
axe on every page, at 360 px and on a desktop."""

from __future__ import annotations

from decimal import Decimal

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import axe, sign_in


@pytest.fixture
def world(transactional_db):
    from millet.regions.models import Currency
    from millet.regions.services import clear_caches
    from tests.factories import build_world

    built = build_world()
    Currency.objects.filter(code="CNY").update(symbol="¥")
    clear_caches()
    return built


def on_shelf(world, sku: str, location: str = "SH-001") -> list[str]:
    from millet.inventory.models import SerialUnit

    return list(
        SerialUnit.objects.filter(
            location_id=world.locations[location], sku=world.skus[sku], status="in_stock"
        ).values_list("serial", flat=True)
    )


def scan(page, code: str) -> None:
    """What a keyboard-wedge scanner does: types into the focused field, then Enter."""
    field = page.get_by_label("Scan a serial number or type a product code")
    assert field.evaluate("el => el === document.activeElement")
    page.keyboard.type(code)
    with page.expect_navigation():
        page.keyboard.press("Enter")


def drawer() -> Decimal:
    from millet.finance.services import balances

    found = balances(["cash:till:SH-001:CNY"])["cash:till:SH-001:CNY"]
    return Decimal(found.debits_posted - found.credits_posted) / 100


def check(page, shot, name: str) -> None:
    assert axe(page) == [], name
    shot(page, f"till-{name}")


@pytest.mark.parametrize("viewport", ["desktop", "mobile"])
def test_a_cashiers_day(open_page, world, shot, viewport):
    from millet.accounts.actor import actor_for_user
    from millet.finance.services import total_balance_check
    from millet.inventory.models import SerialUnit
    from millet.sales import services
    from millet.sales.models import Order

    phone, cable_code = on_shelf(world, "MI6-64")[0], "CABLE-C"
    foreign = on_shelf(world, "MI6-64", "BJ-001")[0]
    camera = on_shelf(world, "CAM-C300")[-1]
    pickup = services.place_order(
        actor_for_user(world.users["alice"]),
        market="CN",
        channel="click_collect",
        store_code="SH-001",
        lines=[services.LineRequest("CAM-C300", 1)],
        payment_token="tok_ok",
    )

    page = open_page(viewport, language="en")
    sign_in(page, "cashier_sh", "pw-cashier_sh")
    page.goto("/staff/")
    page.get_by_role("link", name="Till").first.click()
    expect(page.get_by_role("heading", name="The day is not opened yet")).to_be_visible()
    check(page, shot, f"closed-{viewport}")
    page.get_by_role("button", name="Open the day").click()

    scan(page, foreign)
    expect(
        page.get_by_text("This unit belongs to another store's stock: it cannot be sold here.")
    ).to_be_visible()
    scan(page, phone)
    scan(page, cable_code)
    scan(page, phone)
    expect(page.get_by_text("This unit is already scanned.")).to_be_visible()
    page.goto("/till/SH-001/")
    expect(page.get_by_role("heading", name="2 items in this sale")).to_be_visible()
    expect(page.get_by_role("main").get_by_text(phone, exact=True)).to_be_visible()
    sale_quote = page.get_by_text("To pay").locator("xpath=following-sibling::dd[1]").inner_text()
    check(page, shot, f"sale-{viewport}")

    page.get_by_label("Cash", exact=True).check()
    page.get_by_label("Cash handed over").fill("5000")
    page.get_by_role("button", name="Take payment").click()
    sale = Order.objects.get(channel="pos")
    expect(page.get_by_role("heading", name=f"Receipt {sale.number}")).to_be_visible()
    assert sale_quote.replace(",", "") == f"¥{sale.total:.2f}"  # the till said what the receipt says
    expect(page.get_by_text(f"Serial {phone}")).to_be_visible()
    change = page.get_by_text("Change").locator("xpath=following-sibling::dd[1]")
    assert change.inner_text().replace(",", "") == f"¥{Decimal('5000') - sale.total:.2f}"
    expect(page.get_by_text("incl. VAT")).to_be_visible()
    check(page, shot, f"receipt-{viewport}")
    page.emulate_media(media="print")  # on the 80 mm printer: the receipt alone
    expect(page.get_by_role("banner")).not_to_be_visible()
    expect(page.get_by_role("link", name="Next sale")).not_to_be_visible()
    expect(page.get_by_role("heading", name=f"Receipt {sale.number}")).to_be_visible()
    shot(page, f"till-receipt-print-{viewport}")
    page.emulate_media(media="screen")

    page.get_by_role("link", name="Pickup").click()
    page.get_by_label("Order number").fill(pickup.number)
    page.get_by_label("Pickup code").fill("999999" if pickup.pickup_code != "999999" else "111111")
    page.get_by_label("Serial numbers handed over").fill(camera)
    page.get_by_role("button", name="Hand over").click()
    expect(page.get_by_text("The pickup code does not match this order.")).to_be_visible()
    check(page, shot, f"pickup-{viewport}")
    page.get_by_label("Pickup code").fill(pickup.pickup_code)
    page.get_by_label("Serial numbers handed over").fill(camera)
    page.get_by_role("button", name="Hand over").click()
    expect(page.get_by_text(f"Order {pickup.number} is handed over.")).to_be_visible()

    page.get_by_role("link", name="Return").click()
    page.get_by_label("Order number").fill(sale.number)
    page.get_by_label("Serial numbers taken back").fill(phone)
    page.get_by_role("button", name="Take back and refund").click()
    phone_line = sale.lines.get(sku=world.skus["MI6-64"])
    expect(page.get_by_text(f"to the payment of order {sale.number}")).to_be_visible()
    check(page, shot, f"return-{viewport}")

    page.get_by_role("link", name="Close the day").click()
    expected = sale.total - phone_line.total
    assert drawer() == expected
    refunded_in_cash = page.get_by_text("Refunded in cash").locator("xpath=following-sibling::dd[1]")
    assert refunded_in_cash.inner_text().replace(",", "") == f"¥{phone_line.total:.2f}"  # out of the drawer
    check(page, shot, f"z-report-{viewport}")
    page.get_by_label("Cash counted in the drawer").fill(f"{expected:.2f}")
    page.get_by_role("button", name="Close the day").click()
    expect(page.get_by_text("The day is closed.", exact=True)).to_be_visible()
    facts = page.locator("dl")
    expect(facts.get_by_text("Over (+) or short (−)")).to_be_visible()
    shot(page, f"z-report-closed-{viewport}")
    page.get_by_role("link", name="Sale").click()
    closed = "The day is closed: this till takes no more sales or cash refunds today."
    expect(page.get_by_text(closed)).to_be_visible()
    check(page, shot, f"closed-{viewport}")  # its Z report link read too faint on the tinted alert

    assert drawer() == expected
    assert total_balance_check() == 0
    assert SerialUnit.objects.get(serial=phone).status == "in_stock"
    assert SerialUnit.objects.get(serial=camera).status == "sold"
    assert SerialUnit.objects.get(serial=foreign).status == "in_stock"
    assert Order.objects.get(number=pickup.number).status == "fulfilled"
    assert Order.objects.get(number=sale.number).status == "partially_returned"


def test_a_card_sale_with_javascript_off(open_page, world, shot):
    phone = on_shelf(world, "MI6-64")[0]
    page = open_page("mobile", language="en", javascript=False)
    sign_in(page, "cashier_sh", "pw-cashier_sh")
    page.goto("/till/SH-001/")
    page.get_by_role("button", name="Open the day").click()
    page.get_by_label("Scan a serial number or type a product code").fill(phone)
    page.get_by_label("Scan a serial number or type a product code").press("Enter")
    page.get_by_label("Card", exact=True).check()
    page.get_by_label("Card terminal token").fill("tok_declined")
    page.get_by_role("button", name="Take payment").click()
    expect(page.get_by_text("The card was declined.")).to_be_visible()
    page.get_by_label("Card", exact=True).check()
    page.get_by_label("Card terminal token").fill("tok_ok")
    page.get_by_role("button", name="Take payment").click()
    expect(page.get_by_text(f"Serial {phone}")).to_be_visible()
    expect(page.get_by_text("Paid by card")).to_be_visible()
    shot(page, "till-receipt-card-nojs")


@pytest.mark.parametrize(("language", "heading"), [("zh-hans", "销售"), ("hi", "बिक्री"), ("de", "Verkauf")])
def test_the_till_speaks_the_cashiers_language(open_page, world, shot, language, heading):
    page = open_page("mobile", language=language)
    sign_in(page, "cashier_sh", "pw-cashier_sh")
    page.goto("/till/SH-001/")
    expect(page.get_by_role("heading", name=heading, exact=True)).to_be_visible()
    assert axe(page) == []
    shot(page, f"till-{language}")


def test_a_voucher_at_the_till_is_shown_before_the_card_is_charged(open_page, world, shot):
    """In Hindi on a phone-sized tablet: the voucher typed with the payment is applied and its
    total shown first, nothing charged; the card is charged at that total when payment is taken
    again."""
    from millet.sales.models import Order

    page = open_page("mobile", language="hi")
    sign_in(page, "cashier_sh", "pw-cashier_sh")
    page.goto("/till/SH-001/")
    page.locator("button[name=action][value=open]").click()
    scan_field = page.locator("input[name=scan]")
    scan_field.fill(on_shelf(world, "MI6-64")[0])
    with page.expect_navigation():
        scan_field.press("Enter")
    page.locator("input[name=voucher]").fill("WELCOME10")
    page.locator("input[name=method][value=card]").check()
    page.locator("input[name=card_token]").fill("tok_ok")
    page.locator("button[name=action][value=pay]").click()
    expect(page.get_by_text("वाउचर लागू हो गया है")).to_be_visible()
    expect(page.locator(".till-total")).to_contain_text("WELCOME10")
    assert not Order.objects.exists()
    shown = page.locator(".till-total strong").inner_text()
    check(page, shot, "voucher-hi")
    page.locator("input[name=card_token]").fill("tok_ok")
    page.locator("button[name=action][value=pay]").click()
    page.wait_for_url("**/receipt/**")
    sale = Order.objects.get(channel="pos")
    assert sale.total == Decimal("2249.10") and "2,249.10" in shown
