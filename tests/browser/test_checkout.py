"""Buying in a browser, one market each, as a shopper would (docs/WEB.md, "Browser tests"):

- CN: card, delivery to a new address, express shipping (JavaScript off, 360 px);
- IN: instant credit, the state chosen (Maharashtra, while the warehouse is in Karnataka: IGST),
  the market's credit form and its decision with reasons at once (Hindi, 360 px);
- DE: card, click-and-collect at a store that shows its hours and has the item (desktop);
- a double click, the back button and a resend after paying: one order, one payment.

Each checks the stock and the ledger after the purchase, and axe (which needs JavaScript, so not
in the CN run) finds no serious or critical violation on the cart, checkout, credit and
confirmation pages at 360 px (IN) and on a desktop (DE). The product pages are another
helper's: ``add_to_cart`` posts what their "Add to cart" form posts (``sales:cart-add``).
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from django.utils import translation
from playwright.sync_api import expect

from tests.browser.conftest import axe, sign_in

GOOD_CREDIT_FORM = {  # lending.form's answers the scorecard approves (tests/finance/lending)
    "current_account_balance": "",
    "savings": "1500000.00",
    "employed_for": "7_years_or_more",
    "installment_share": "under_20_percent",
    "guarantor": "guarantor",
    "years_at_address": "7_years_or_more",
    "property": "real_estate",
    "other_installment_plans": "none",
    "housing": "own",
    "dependants": "1",
    "telephone": "yes",
}


@pytest.fixture
def stocked(shop):
    """The shop plus a warehouse per market (CN Shanghai, IN Karnataka, DE Berlin) holding
    10 of each product, and a Berlin store with hours holding 2 phones."""
    from millet.accounts.actor import SYSTEM
    from millet.catalog.services import sku_info
    from millet.inventory import services as inventory
    from millet.stores.services import open_store

    skus = sku_info([sku for *_, sku, _prices in shop])
    for code, market, city, state, lat, lon in (
        ("WH-CN-SH", "CN", "Shanghai", "CN-SH", "31.2304", "121.4737"),
        ("WH-IN-KA", "IN", "Bengaluru", "IN-KA", "12.9716", "77.5946"),
        ("WH-DE-BE", "DE", "Berlin", "DE-BE", "52.5200", "13.4050"),
    ):
        location = inventory.create_location(
            code=code,
            name=code,
            kind="warehouse",
            market=market,
            city=city,
            state=state,
            latitude=Decimal(lat),
            longitude=Decimal(lon),
        )
        for info in skus.values():
            inventory.receive_units(sku_id=info.id, location_id=location.pk, quantity=10, reference="test")
    store = open_store(
        actor=SYSTEM,
        code="BER-001",
        name="Mi Store Alexanderplatz",
        market="DE",
        city="Berlin",
        address="Alexanderplatz 1",
        latitude=Decimal("52.5219"),
        longitude=Decimal("13.4132"),
        opening_hours={day: ["10:00", "20:00"] for day in ("mon", "tue", "wed", "thu", "fri", "sat")},
        opened_on=date(2024, 1, 1),
    )
    inventory.receive_units(
        sku_id=skus["PHONE-6"].id, location_id=store.location_id, quantity=2, reference="test"
    )
    return skus


@pytest.fixture
def india_credit(stocked):
    """An approved scorecard and India's installment plan (Mi Credit EMI, 3 to 12 months)."""
    from millet.accounts.actor import SYSTEM
    from millet.lending import services as lending
    from tests.factories import trained_scorecard

    model = lending.register_model(trained_scorecard().artifact, metrics={"auc": 0.78})
    lending.approve_model(SYSTEM, model.version)
    lending.create_product(
        SYSTEM,
        code="IN-EMI",
        name="Mi Credit EMI",
        currency="INR",
        apr=Decimal("0.1600"),
        terms=[3, 6, 12],
        late_fee=Decimal("300.00"),
        min_amount=Decimal("3000.00"),
        max_amount=Decimal("500000.00"),
    )
    return stocked


def t(page, text: str) -> str:
    """``text`` as the page's language writes it (Millet's catalogs)."""
    with translation.override(page.locator("html").get_attribute("lang")):
        return translation.gettext(text)


def add_to_cart(page, market: str, sku: str, quantity: int = 1) -> None:
    """What a product page's "Add to cart" form sends (POST with the CSRF token), then the cart."""
    page.goto(f"/shop/{market}/cart/")
    token = next(c["value"] for c in page.context.cookies() if c["name"] == "csrftoken")
    response = page.context.request.post(
        f"/shop/{market}/cart/add/",
        form={"sku": sku, "quantity": str(quantity), "csrfmiddlewaretoken": token},
        headers={"Referer": page.url},
    )
    assert response.ok
    page.goto(f"/shop/{market}/cart/")


def stock(sku_id: int, location: str) -> tuple[int, int]:
    """(on hand, reserved) of a SKU at a location."""
    from millet.inventory.services import stock_levels

    [level] = [lv for lv in stock_levels(sku_ids=[sku_id]) if lv.location_code == location]
    return level.quantity, level.reserved


def the_order(username: str):
    from millet.accounts.actor import SYSTEM
    from millet.sales.services import list_orders

    [order] = [o for o in list_orders(SYSTEM, limit=100) if o.customer.username == username]
    return order


def payments_of(order) -> list:
    from millet.finance.services import payments_for

    return list(payments_for(order.number))


def ledger_is_balanced() -> bool:
    from millet.finance.services import total_balance_check

    return total_balance_check() == 0


def test_cn_card_delivery_with_javascript_off(open_page, stocked, make_user, shot):
    make_user("li")
    page = open_page("mobile", language="en", javascript=False)
    sign_in(page, "li")
    add_to_cart(page, "cn", "PHONE-6")
    expect(page.get_by_role("heading", name="Cart", level=1)).to_be_visible()
    expect(page.get_by_text("¥1,999.00").first).to_be_visible()
    shot(page, "cart-cn-mobile")

    page.get_by_role("link", name="Check out").click()
    expect(page.get_by_role("heading", name="Checkout", level=1)).to_be_visible()
    page.get_by_label("Delivery to an address").check()
    page.get_by_label("Recipient").fill("Li Lei")
    page.get_by_label("Mobile number").fill("138 0013 8000")
    page.get_by_label("Province").fill("Shanghai")
    page.get_by_label("City").fill("Shanghai")
    page.get_by_label("Address", exact=True).fill("88 Century Avenue")
    page.get_by_label("Postal code").fill("200120")
    page.get_by_label("Express delivery").check()
    expect(page.get_by_text("tok_declined")).to_be_visible()  # the test gateway's tokens, explained
    shot(page, "checkout-cn-mobile")
    page.get_by_role("button", name="Place order").click()

    expect(page.get_by_role("heading", name="Thank you for your order")).to_be_visible()
    expect(page.get_by_text("¥2,019.00").first).to_be_visible()  # 1,999.00 + express 20.00
    shot(page, "confirmation-cn-mobile")
    order = the_order("li")
    assert (order.status, order.total, order.shipping_fee) == ("paid", Decimal("2019.00"), Decimal("20.00"))
    [payment] = payments_of(order)
    assert (payment.status, payment.amount) == ("authorized", Decimal("2019.00"))
    assert stock(stocked["PHONE-6"].id, "WH-CN-SH") == (10, 1)  # held, not yet shipped
    assert ledger_is_balanced()


def test_in_instant_credit_with_the_state_deciding_gst(open_page, india_credit, make_user, shot):
    stocked = india_credit
    make_user("ravi")
    page = open_page("mobile", language="hi")
    sign_in(page, "ravi")
    add_to_cart(page, "in", "NOTE-PRO")
    expect(page.get_by_text("₹1,24,999.00").first).to_be_visible()
    expect(page.get_by_text("CGST").first).to_be_visible()  # before the state is known: as within one
    page.get_by_role("link", name=t(page, "Check out")).click()

    page.get_by_label(t(page, "Recipient")).fill("Ravi Kumar")
    page.get_by_label(t(page, "Mobile number")).fill("98765 43210")
    page.get_by_label(t(page, "Address"), exact=True).fill("12 Marine Drive")
    page.get_by_label(t(page, "City")).fill("Mumbai")
    page.get_by_label(t(page, "State or union territory")).select_option("27")  # Maharashtra
    page.get_by_label(t(page, "PIN code")).fill("400001")
    page.get_by_label(t(page, "Instant credit")).check()
    assert axe(page) == []
    shot(page, "checkout-in-mobile")
    page.get_by_role("button", name=t(page, "Place order")).click()

    expect(page.get_by_role("heading", name=t(page, "Pay by instant credit"), level=1)).to_be_visible()
    from millet.lending.services import application_form

    with translation.override("hi"):
        questions = {q["name"]: q for q in application_form("IN") if not q["supplied_by_platform"]}
    for name, answer in GOOD_CREDIT_FORM.items():
        field = page.get_by_label(questions[name]["label"])  # "(optional)" may follow it
        field.select_option(answer) if questions[name]["kind"] == "choice" else field.fill(answer)
    assert axe(page) == []
    page.get_by_role("button", name=t(page, "Get a decision")).click()

    expect(page.get_by_role("heading", name=t(page, "Approved"))).to_be_visible()
    expect(page.get_by_role("heading", name=t(page, "What weighed most in the decision"))).to_be_visible()
    assert axe(page) == []
    shot(page, "credit-in-mobile")
    page.reload()  # the POST again: no second application, no second loan
    expect(page.get_by_role("heading", name=t(page, "Approved"))).to_be_visible()
    page.get_by_role("link", name=t(page, "See your order")).click()

    expect(page.get_by_text("IGST").first).to_be_visible()  # Karnataka's warehouse to Maharashtra
    expect(page.get_by_text("महाराष्ट्र").first).to_be_visible()
    assert axe(page) == []
    shot(page, "confirmation-in-mobile")
    order = the_order("ravi")
    assert (order.status, order.shipping_state, order.total) == ("paid", "IN-MH", Decimal("125048.00"))
    assert set(order.lines.get().tax_components) == {"IGST"}
    [payment] = payments_of(order)
    assert (payment.gateway, payment.amount) == ("credit", order.total)
    from millet.lending.services import applications_for_order

    assert applications_for_order(order.number).count() == 1
    assert stock(stocked["NOTE-PRO"].id, "WH-IN-KA") == (10, 1)
    assert ledger_is_balanced()


def test_de_card_click_and_collect(open_page, stocked, make_user, shot):
    make_user("anna")
    page = open_page("desktop", language="de")
    sign_in(page, "anna")
    add_to_cart(page, "de", "PHONE-6")
    expect(page.get_by_text("1.234,56 €").first).to_be_visible()
    assert axe(page) == []
    shot(page, "cart-de-desktop")
    page.get_by_role("link", name=t(page, "Check out")).click()

    page.get_by_label(t(page, "Click and collect at a Mi Home store")).check()
    store = page.get_by_label("Mi Store Alexanderplatz")
    expect(store).to_be_visible()
    expect(page.get_by_text(t(page, "Has your items")).first).to_be_visible()
    expect(page.get_by_text("10:00–20:00").first).to_be_visible()
    store.check()
    assert axe(page) == []
    shot(page, "checkout-de-desktop")
    page.get_by_role("button", name=t(page, "Place order")).click()

    expect(page.get_by_role("heading", name=t(page, "Thank you for your order"))).to_be_visible()
    expect(page.get_by_text("Alexanderplatz 1")).to_be_visible()
    assert axe(page) == []
    shot(page, "confirmation-de-desktop")
    order = the_order("anna")
    assert (order.channel, order.status, order.total) == (
        "click_collect",
        "ready_for_pickup",
        Decimal("1234.56"),
    )
    assert [p.amount for p in payments_of(order)] == [Decimal("1234.56")]
    from millet.stores.services import get_store

    assert stock(stocked["PHONE-6"].id, get_store(None, "BER-001").location.code) == (
        2,
        1,
    )  # held on its shelf
    assert stock(stocked["PHONE-6"].id, "WH-DE-BE") == (10, 0)
    assert ledger_is_balanced()


def test_a_double_click_the_back_button_and_a_resend_make_one_order(open_page, stocked, make_user):
    make_user("mei")
    page = open_page("desktop", language="en")
    sign_in(page, "mei")
    add_to_cart(page, "cn", "BAND-3")
    page.get_by_role("link", name="Check out").click()
    page.get_by_label("Recipient").fill("Han Mei")
    page.get_by_label("Mobile number").fill("13900139000")
    page.get_by_label("City").fill("Shanghai")
    page.get_by_label("Address", exact=True).fill("1 Nanjing Road")
    page.get_by_label("Postal code").fill("200001")
    page.get_by_role("button", name="Place order").dblclick()
    page.get_by_role("heading", name="Thank you for your order").wait_for()
    confirmation = page.url
    page.go_back()  # the checkout page again: sending it once more replays the first order
    if page.get_by_role("button", name="Place order").count():
        page.get_by_role("button", name="Place order").click()
    page.goto(confirmation)
    page.reload()
    order = the_order("mei")
    assert [p.amount for p in payments_of(order)] == [Decimal("169.00")]
    assert stock(stocked["BAND-3"].id, "WH-CN-SH") == (10, 1)
    assert ledger_is_balanced()


def test_a_price_raised_while_the_checkout_is_open_is_shown_before_anything_is_charged(
    open_page, stocked, make_user, shot
):
    """The buyer agreed to the total the page showed. Raised while the page was open, the price was
    charged without a word; now the page comes back in the buyer's language with the new total, and
    placing the order from there charges what it shows."""
    from millet.accounts.actor import SYSTEM
    from millet.catalog.services import set_price

    make_user("asha")
    page = open_page("mobile", language="hi")
    sign_in(page, "asha")
    add_to_cart(page, "in", "BAND-3")
    page.get_by_role("link", name=t(page, "Check out")).click()
    page.get_by_label(t(page, "Recipient")).fill("Asha Rao")
    page.get_by_label(t(page, "Mobile number")).fill("98765 43210")
    page.get_by_label(t(page, "Address"), exact=True).fill("4 MG Road")
    page.get_by_label(t(page, "City")).fill("Bengaluru")
    page.get_by_label(t(page, "State or union territory")).select_option("29")  # Karnataka
    page.get_by_label(t(page, "PIN code")).fill("560001")
    set_price("IN", "BAND-3", Decimal("2199"), actor=SYSTEM)  # meanwhile, in the back office
    page.get_by_role("button", name=t(page, "Place order")).click()

    from millet.sales.problems import MESSAGES

    with translation.override("hi"):
        expect(page.get_by_text(str(MESSAGES["price_changed"]))).to_be_visible()
    expect(page.get_by_text("₹2,199.00").first).to_be_visible()  # the summary, priced anew
    from millet.sales.services import list_orders

    assert not [o for o in list_orders(SYSTEM, limit=100) if o.customer.username == "asha"]
    expect(page.get_by_label(t(page, "PIN code"))).to_have_value("560001")  # what the buyer typed is kept
    assert axe(page) == []
    shot(page, "checkout-price-changed-in-mobile")
    page.get_by_role("button", name=t(page, "Place order")).click()
    expect(page.get_by_role("heading", name=t(page, "Thank you for your order"))).to_be_visible()
    order = the_order("asha")
    assert order.total == Decimal("2199.00") + order.shipping_fee
    assert ledger_is_balanced()
