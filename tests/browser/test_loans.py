"""A borrower's loans in a browser (docs/WEB.md, "Browser tests"): from the account to My loans,
then the loan, whose next installment is paid through its form; the installment then reads paid,
the ledger is balanced, and axe finds no serious or critical violation at 360 px."""

from __future__ import annotations

from decimal import Decimal

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import axe, sign_in
from tests.browser.test_checkout import t
from tests.finance.lending.conftest import GOOD_FORM, open_credit


@pytest.fixture
def loan(shop, make_user):
    """Mei's 6-month loan (18% APR) for a Mi Phone 6 bought in China (¥1,999.00), made today."""
    from millet.accounts.actor import actor_for_user
    from millet.catalog.services import sku_info
    from millet.inventory import services as inventory
    from millet.lending import services as lending
    from millet.sales.services import LineRequest, place_order
    from tests.factories import trained_scorecard

    warehouse = inventory.create_location(
        code="WH-CN-SH",
        name="Shanghai",
        kind="warehouse",
        market="CN",
        city="Shanghai",
        state="CN-SH",
        latitude=Decimal("31.2304"),
        longitude=Decimal("121.4737"),
    )
    inventory.receive_units(
        sku_id=sku_info(["PHONE-6"])["PHONE-6"].id, location_id=warehouse.pk, quantity=5, reference="test"
    )
    open_credit(trained_scorecard().artifact)
    mei = actor_for_user(make_user("mei"))
    order = place_order(mei, market="CN", lines=[LineRequest("PHONE-6", 1)])
    application = lending.apply_for_credit(
        mei, order_number=order.number, product_code="CN-EASY", term_months=6, form=GOOD_FORM
    )
    assert application.status == "approved"
    return application.loan


def test_the_borrower_pays_the_next_installment_from_the_account(open_page, loan):
    from millet.finance.services import total_balance_check
    from millet.lending import services as lending

    page = open_page("mobile", language="en")
    sign_in(page, "mei")
    page.goto("/account/")
    page.get_by_role("main").get_by_role("link", name="My loans").first.click()

    expect(page.get_by_role("heading", name="My loans", level=1)).to_be_visible()
    expect(page.get_by_text("On time")).to_be_visible()
    assert axe(page) == []
    page.get_by_role("link", name=loan.order_number).click()

    heading = t(page, "Loan for order %(number)s") % {"number": loan.order_number}
    expect(page.get_by_role("heading", name=heading, level=1)).to_be_visible()
    expect(page.get_by_role("heading", name="The terms you agreed to")).to_be_visible()
    amount = page.get_by_label("Amount to pay")
    first = lending.installments(loan)[0]
    due = Decimal(first.principal_due_minor + first.interest_due_minor).scaleb(-2)
    expect(amount).to_have_value(str(due))  # the next installment, proposed
    assert axe(page) == []
    page.get_by_role("button", name="Pay now").click()

    expect(page.get_by_text(f"¥{due:,} paid on the loan for order {loan.order_number}.")).to_be_visible()
    schedule = page.get_by_role("region", name="Schedule")
    expect(schedule.get_by_role("row").nth(1)).to_contain_text("Paid")
    expect(page.get_by_role("region", name="History")).to_contain_text("Your payment")
    assert axe(page) == []
    loan.refresh_from_db()
    assert lending.installments(loan)[0].settled and total_balance_check() == 0
