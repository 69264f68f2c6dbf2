"""Instant credit at the till in a browser: the cashier chooses Instant credit for a known
customer, fills the market's credit form with them, and reads the decision with its reasons at
once; declined, the cashier takes cash on the same page and the receipt shows the change. axe on
the credit page, at 360 px and on a desktop."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import axe, sign_in
from tests.browser.test_till import check, on_shelf, scan, world  # noqa: F401 (the world fixture)


@pytest.mark.parametrize("viewport", ["mobile", "desktop"])
def test_credit_declined_at_the_counter_then_cash(open_page, world, shot, viewport):  # noqa: F811
    from millet.finance.services import total_balance_check
    from millet.sales.models import Order
    from tests.factories import trained_scorecard
    from tests.finance.lending.conftest import BAD_FORM, open_credit

    open_credit(trained_scorecard().artifact)
    phone = on_shelf(world, "MI6-64")[0]
    page = open_page(viewport, language="en")
    sign_in(page, "cashier_sh", "pw-cashier_sh")
    page.goto("/till/SH-001/")
    page.get_by_role("button", name="Open the day").click()
    scan(page, phone)
    page.get_by_label("Instant credit").check()
    page.get_by_role("button", name="Take payment").click()
    expect(page.get_by_text("Instant credit is for a known customer")).to_be_visible()
    page.get_by_label("Instant credit").check()
    page.get_by_label("Customer's username").fill("alice")
    page.get_by_role("button", name="Take payment").click()
    expect(page.get_by_role("heading", name="Instant credit at the till")).to_be_visible()
    check(page, shot, f"credit-form-{viewport}")

    form = page.locator("form", has=page.get_by_role("button", name="Get a decision"))
    for name, value in BAD_FORM.items():
        field = form.locator(f"[name={name}]")
        if value is None:
            continue
        if field.evaluate("el => el.tagName") == "SELECT":
            field.select_option(str(value))
        else:
            field.fill(str(value))
    page.get_by_role("button", name="Get a decision").click()
    expect(page.get_by_role("heading", name="Declined")).to_be_visible()
    expect(page.get_by_role("heading", name="What weighed most in the decision")).to_be_visible()
    assert axe(page) == []
    shot(page, f"till-credit-declined-{viewport}")

    page.get_by_label("Cash handed over").fill("1e5")
    page.get_by_role("button", name="Take cash").click()
    expect(page.get_by_text("Type the cash handed over, or the card terminal's token.")).to_be_visible()
    page.get_by_label("Cash handed over").fill("3000")
    page.get_by_role("button", name="Take cash").click()
    sale = Order.objects.get(channel="pos")
    expect(page.get_by_role("heading", name=f"Receipt {sale.number}")).to_be_visible()
    expect(page.get_by_text(f"Serial {phone}")).to_be_visible()
    page.go_back()  # back to the credit page after paying: it sends to the receipt, nothing twice
    page.reload()
    expect(page.get_by_role("heading", name=f"Receipt {sale.number}")).to_be_visible()
    assert Order.objects.get(channel="pos").status == "fulfilled"
    assert total_balance_check() == 0
