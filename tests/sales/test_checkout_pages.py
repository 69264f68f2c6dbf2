"""The cart and checkout pages, through Django's test client: post/redirect/get, vouchers refused
with their reason, shipping priced per market and booked, India's state deciding IGST vs CGST +
SGST, click-and-collect, and a checkout sent twice making one order and one payment."""

import re
from datetime import date
from decimal import Decimal

import pytest
from django.test import Client
from django.utils import translation

from millet.accounts.actor import actor_for_user
from millet.finance.models import Payment
from millet.sales import services
from millet.sales.models import Order
from millet.sales.problems import MESSAGES
from tests.core.damaged_attempts import DAMAGED_KEYS, fresh_key_after_damaged

pytestmark = pytest.mark.django_db

CN_ADDRESS = {
    "recipient": "Li Lei",
    "phone": "138 0013 8000",
    "line1": "88 Century Avenue",
    "city": "Shanghai",
    "state": "Shanghai",
    "postal_code": "200120",
}


@pytest.fixture
def alice(world):
    client = Client()
    client.cookies["django_language"] = "en"  # the page's language is the visitor's choice, else the market's
    client.force_login(world.users["alice"])
    return client


def add(client, market: str, sku: str, quantity: int = 1):
    return client.post(f"/shop/{market}/cart/add/", {"sku": sku, "quantity": quantity})


def checkout_form(client, market: str, **fields) -> dict:
    page = client.get(f"/shop/{market}/checkout/")
    assert page.status_code == 200
    quoted = {"attempt": page.context["attempt"], "quote": page.context["quote"]}  # the page's hidden fields
    return {**quoted, "card_token": "tok_ok", "payment": "card", **fields}


def test_adding_lands_on_the_cart_priced_as_the_order_will_be(world, alice):
    response = add(alice, "cn", "MI6-64", 2)
    assert response.status_code == 302 and response["Location"] == "/shop/cn/cart/"
    summary = alice.get("/shop/cn/cart/").context["summary"]
    assert (summary.subtotal, summary.total, summary.quantity) == (Decimal("4998.00"), Decimal("4998.00"), 2)
    assert summary.tax == sum(summary.tax_components.values()) and summary.tax > 0
    add(alice, "cn", "MI6-64", 1)  # adds to the line
    assert alice.get("/shop/cn/cart/").context["summary"].quantity == 3
    alice.post("/shop/cn/cart/line/", {"sku": "MI6-64", "quantity": 0})
    assert alice.get("/shop/cn/cart/").context["summary"].lines == []


def test_a_quantity_typed_in_any_script_s_digits_is_that_quantity(world, alice):
    """The product page's quantity was a number input, which drops Devanagari digits (the cart got
    one unit for "३"); it is a text input read by ``core.typed_numbers``: "३" and "３" are 3."""
    product = alice.get("/shop/cn/product/mi-6/").content.decode()
    assert 'name="quantity" value="1" inputmode="numeric"' in product and 'type="number"' not in product
    assert add(alice, "cn", "MI6-64", "३").status_code == 302
    assert alice.get("/shop/cn/cart/").context["summary"].quantity == 3
    alice.post("/shop/cn/cart/line/", {"sku": "MI6-64", "quantity": "５"})
    cart = alice.get("/shop/cn/cart/")
    assert cart.context["summary"].quantity == 5 and 'type="number"' not in cart.content.decode()
    refused = alice.post("/shop/cn/cart/line/", {"sku": "MI6-64", "quantity": "\u00b2"})
    assert refused.status_code < 500 and alice.get("/shop/cn/cart/").context["summary"].quantity == 5


def test_every_store_page_links_the_cart_with_its_count(world, alice):
    add(alice, "cn", "MI6-64", 2)
    add(alice, "cn", "CABLE-C", 1)
    for path in ("/shop/cn/", "/shop/cn/search/?q=mi", "/shop/cn/cart/", "/shop/cn/checkout/"):
        page = alice.get(path).content.decode()
        assert 'href="/shop/cn/cart/" aria-label="Cart, 3 items"' in page, path
    assert 'aria-label="Cart, 0 items"' in alice.get("/shop/in/").content.decode()  # each market its own
    visitor = Client()
    visitor.cookies["django_language"] = "zh-hans"
    assert 'aria-label="购物车，0 件商品"' in visitor.get("/shop/cn/").content.decode()


def test_htmx_is_sent_to_the_cart_and_visitors_to_sign_in(world, alice):
    response = alice.post("/shop/cn/cart/add/", {"sku": "MI6-64"}, HTTP_HX_REQUEST="true")
    assert response.status_code == 204 and response["HX-Redirect"] == "/shop/cn/cart/"
    visitor = Client().post("/shop/cn/cart/add/", {"sku": "MI6-64"})
    assert visitor.status_code == 302 and visitor["Location"] == "/account/login/?next=%2Fshop%2Fcn%2Fcart%2F"


def test_bad_lines_are_refused_precisely(world, alice):
    assert add(alice, "cn", "NO-SUCH-SKU").status_code == 404
    assert add(alice, "de", "MI6-64").status_code == 409  # not sold in Germany
    assert add(alice, "cn", "MI6-64", 11).status_code == 422
    assert alice.get("/shop/xx/cart/").status_code == 404
    assert alice.get("/shop/cn/cart/add/").status_code == 405


def test_a_refused_voucher_says_why_and_a_good_one_applies(world, alice):
    add(alice, "cn", "CABLE-C")
    refused = alice.post("/shop/cn/cart/voucher/", {"code": "NOPE"})
    assert refused.status_code == 404
    assert "There is no voucher with this code" in refused.content.decode()
    applied = alice.post("/shop/cn/cart/voucher/", {"code": "welcome10"})
    assert applied.status_code == 302
    summary = alice.get("/shop/cn/cart/").context["summary"]
    assert summary.voucher_code == "WELCOME10" and summary.discount == Decimal("1.99")


def test_card_checkout_with_delivery_sent_twice_makes_one_order_and_one_payment(world, alice):
    add(alice, "cn", "MI6-64")
    form = checkout_form(
        alice, "cn", fulfilment="delivery", address="new", shipping_method="express", **CN_ADDRESS
    )
    first = alice.post("/shop/cn/checkout/", form)
    again = alice.post("/shop/cn/checkout/", form)  # a double click, or the back button and resend
    assert first.status_code == again.status_code == 302
    assert first["Location"] == again["Location"]
    order = Order.objects.get(customer=world.users["alice"])
    assert first["Location"] == f"/orders/{order.number}/confirmation/"
    assert (order.status, order.shipping_method, order.shipping_fee) == ("paid", "express", Decimal("20.00"))
    assert order.total == Decimal("2519.00")
    # The fee is taxed as its goods are (13% VAT inside 20.00) and counted in the order's tax.
    assert order.shipping_tax_components == {"VAT": "2.30"}
    assert order.tax == order.lines.get().tax + Decimal("2.30")
    assert (order.shipping_recipient, order.shipping_postal_code, order.shipping_region) == (
        "Li Lei",
        "200120",
        "Shanghai",
    )
    assert Payment.objects.filter(reference=order.number).count() == 1
    assert alice.get(first["Location"]).status_code == 200
    bob = Client()
    bob.force_login(world.users["bob"])
    assert bob.get(first["Location"]).status_code == 404
    # The capture books the shipping fee too: postings add up to the payment, or it refuses.
    services.fulfil_order(actor_for_user(world.users["staff"]), order.number)
    assert Payment.objects.get(reference=order.number).captured == Decimal("2519.00")


def test_a_declined_card_places_nothing_and_says_so(world, alice):
    add(alice, "cn", "MI6-64")
    form = checkout_form(
        alice, "cn", fulfilment="delivery", address="new", shipping_method="standard", **CN_ADDRESS
    )
    response = alice.post("/shop/cn/checkout/", {**form, "card_token": "tok_declined"})
    assert response.status_code == 402
    assert "Your card was declined" in response.content.decode()
    assert not Order.objects.exists()


def test_missing_address_fields_are_marked(world, alice):
    add(alice, "cn", "MI6-64")
    form = checkout_form(alice, "cn", fulfilment="delivery", address="new", shipping_method="standard")
    response = alice.post("/shop/cn/checkout/", {**form, "recipient": "Li Lei"})
    assert response.status_code == 422
    assert response.context["address_form"].errors.keys() >= {"phone", "line1", "city", "postal_code"}
    assert not Order.objects.exists()


@pytest.mark.parametrize(("gst_state", "components"), [("29", {"CGST", "SGST"}), ("27", {"IGST"})])
def test_indias_state_decides_the_gst(world, alice, gst_state, components):
    """The warehouse is in Karnataka (29): delivery there is intra-state, to Maharashtra inter-state."""
    add(alice, "in", "MI6-64")
    address = {**CN_ADDRESS, "phone": "98765 43210", "postal_code": "560001", "state": gst_state}
    form = checkout_form(
        alice, "in", fulfilment="delivery", address="new", shipping_method="standard", **address
    )
    assert alice.post("/shop/in/checkout/", form).status_code == 302
    order = Order.objects.get()
    assert order.shipping_state == {"29": "IN-KA", "27": "IN-MH"}[gst_state]
    assert set(order.lines.get().tax_components) == components
    assert set(order.shipping_tax_components) == components  # the fee follows its goods
    assert order.total == Decimal("19999.00") + Decimal("49.00")


def test_click_and_collect_shows_each_store_and_holds_its_shelf(world, alice):
    store = world.stores["SH-001"]
    store.opened_on, store.opening_hours = date(2020, 1, 1), {"mon": ["10:00", "22:00"]}
    store.save()
    add(alice, "cn", "MI6-64")
    page = alice.get("/shop/cn/checkout/")
    [row] = page.context["pickup"]
    assert row["option"].has_items and row["hours"][0].endswith(" 10:00–22:00")
    form = checkout_form(alice, "cn", fulfilment="collect", store="SH-001")
    assert alice.post("/shop/cn/checkout/", form).status_code == 302
    order = Order.objects.get()
    assert (order.channel, order.status, order.shipping_fee) == ("click_collect", "ready_for_pickup", 0)


@pytest.mark.django_db(transaction=True)
def test_the_header_count_is_kept_until_the_cart_changes(world, alice, require_shared_cache):
    """The count every page's header shows is kept in the shared cache (no query), and a line added,
    changed or removed, or the checkout, shows at once on the next page."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    shopper = actor_for_user(world.users["alice"])
    add(alice, "cn", "MI6-64", 2)
    assert services.cart_units(shopper, "CN") == 2
    with CaptureQueriesContext(connection) as kept:
        assert services.cart_units(shopper, "CN") == 2
        assert services.cart_units(shopper, "IN") == 0  # each market its own, kept too
        assert services.cart_units(shopper, "IN") == 0
    assert len(kept) == 1
    add(alice, "cn", "MI6-64", 1)
    assert 'aria-label="Cart, 3 items"' in alice.get("/shop/cn/").content.decode()
    alice.post("/shop/cn/cart/line/", {"sku": "MI6-64", "quantity": 0})
    assert 'aria-label="Cart, 0 items"' in alice.get("/shop/cn/").content.decode()
    cart = services.open_cart(shopper, "CN")
    services.set_cart_line(shopper, cart.pk, "CABLE-C", 4)
    assert services.cart_units(shopper, "CN") == 4
    services.checkout_cart(shopper, cart.pk, payment_token="tok_ok", shipping_method="express")
    assert services.cart_units(shopper, "CN") == 0
    assert services.cart_units(actor_for_user(world.users["bob"]), "CN") == 0  # nobody else's count


@pytest.mark.parametrize("attempt", DAMAGED_KEYS)
def test_a_damaged_checkout_key_is_said_in_words_and_the_next_send_orders_once(world, alice, attempt):
    """A damaged hidden ``attempt`` said "(Hidden field attempt) Enter a valid value." and the page
    came back with the same damaged key, refused on every send: the shopper could not order. Now the
    page says it in their words (German here) and carries a fresh key, which orders once."""
    add(alice, "cn", "MI6-64")
    form = checkout_form(
        alice, "cn", fulfilment="delivery", address="new", shipping_method="standard", **CN_ADDRESS
    )
    alice.cookies["django_language"] = "de"
    fresh = fresh_key_after_damaged(
        alice.post("/shop/cn/checkout/", {**form, "attempt": attempt}), attempt, "de"
    )
    assert not Order.objects.exists()
    first = alice.post("/shop/cn/checkout/", {**form, "attempt": fresh})
    again = alice.post("/shop/cn/checkout/", {**form, "attempt": fresh})
    assert first.status_code == again.status_code == 302 and first["Location"] == again["Location"]
    assert Order.objects.count() == 1


def test_a_damaged_key_that_is_an_api_orders_key_is_refused_as_damaged_not_looked_up(world, alice):
    """The page looked an order up by any 32-character ``attempt``, though only keys of the page's
    own shape (``attempt_keys.KEY_SHAPE``) are the page's: a damaged key that happened to be
    another person's API idempotency key answered 404 instead of the form's own refusal."""
    damaged = "A" * 32  # 32 characters, but not the page's lower-case hex
    bob = actor_for_user(world.users["bob"])
    cart = services.open_cart(bob, "CN")
    services.set_cart_line(bob, cart.pk, "CABLE-C", 1)
    services.checkout_cart(
        bob, cart.pk, payment_token="tok_ok", shipping_method="express", idempotency_key=damaged
    )
    add(alice, "cn", "MI6-64")
    form = checkout_form(
        alice, "cn", fulfilment="delivery", address="new", shipping_method="standard", **CN_ADDRESS
    )
    fresh_key_after_damaged(alice.post("/shop/cn/checkout/", {**form, "attempt": damaged}), damaged, "en")
    assert not Order.objects.filter(customer=world.users["alice"]).exists()


def test_a_checkout_sent_again_for_a_cart_filled_since_is_not_answered_with_the_first_order(world, alice):
    """The back button brings the checkout back with the key that placed the first order: sent
    again after the shopper filled a new cart, it was answered with the first order's confirmation,
    though nothing of the new cart was ordered. The key placed an order that is not this cart's, as
    the API's 409 ``idempotency_key_reused`` says: the page says so in the shopper's words, places
    nothing, and draws the checkout again with a fresh key that orders the new cart."""
    add(alice, "cn", "MI6-64")
    form = checkout_form(
        alice, "cn", fulfilment="delivery", address="new", shipping_method="standard", **CN_ADDRESS
    )
    first = alice.post("/shop/cn/checkout/", form)
    assert first.status_code == 302
    ordered = Order.objects.get()
    add(alice, "cn", "MI6-64", 2)  # a new cart, as the first is ordered
    alice.cookies["django_language"] = "zh-hans"
    resent = alice.post("/shop/cn/checkout/", form)
    html = resent.content.decode()
    assert resent.status_code == 409 and ordered.number not in html
    words = {
        language: translation.override(language)(str)(MESSAGES["idempotency_key_reused"])
        for language in ("en", "zh-hans")
    }
    assert words["zh-hans"] in html and words["zh-hans"] != words["en"]
    assert Order.objects.count() == 1
    fresh = resent.context["attempt"]
    assert re.fullmatch(r"[0-9a-f]{32}", fresh) and fresh != form["attempt"]
    placed = alice.post("/shop/cn/checkout/", {**form, "attempt": fresh, "quote": resent.context["quote"]})
    assert placed.status_code == 302 and placed["Location"] != first["Location"]
    assert Order.objects.exclude(pk=ordered.pk).get().lines.get().quantity == 2
    alice.get("/shop/cn/cart/")  # the cart is empty again: the old form still answers with its order
    assert alice.post("/shop/cn/checkout/", form)["Location"] == first["Location"]


def test_a_price_changed_since_the_page_was_opened_orders_nothing_and_shows_the_new_total(world, alice):
    """The buyer agreed to the total the page showed: priced higher when sent (a price edited, a
    promotion over), the order was placed and charged at the new total without a word. Now nothing is
    placed or charged, and the page comes back with the new total in the buyer's language; sent from
    there, the order is placed at it."""
    from millet.accounts.actor import SYSTEM
    from millet.catalog import services as catalog
    from millet.finance.services import total_balance_check

    add(alice, "cn", "MI6-64")
    form = checkout_form(
        alice, "cn", fulfilment="delivery", address="new", shipping_method="express", **CN_ADDRESS
    )
    catalog.set_price("CN", "MI6-64", Decimal("2599.00"), actor=SYSTEM)
    alice.cookies["django_language"] = "hi"
    changed = alice.post("/shop/cn/checkout/", form)
    html = changed.content.decode()
    assert changed.status_code == 409
    assert translation.override("hi")(str)(MESSAGES["price_changed"]) in html
    assert changed.context["summary"].total == Decimal("2599.00") and not Order.objects.exists()
    assert not Payment.objects.exists() and total_balance_check() == 0
    placed = alice.post("/shop/cn/checkout/", {**form, "quote": changed.context["quote"]})
    assert placed.status_code == 302
    assert Order.objects.get().total == Decimal("2619.00")  # 2599.00 and express delivery's 20.00


@pytest.mark.parametrize(
    ("quote", "method"),
    [
        ("", "express"),  # a page from before quoting
        ("not json", "express"),
        ('{"goods": "2499.00"}', "express"),  # no fee quoted for the method chosen
        ('{"goods": "NaN", "express": "20.00"}', "express"),
        ('{"goods": "-1", "express": "20.00"}', "express"),
        ('{"goods": ["2499"], "express": "20.00"}', "express"),
    ],
)
def test_a_missing_or_damaged_quote_shows_the_total_again_instead_of_guessing(world, alice, quote, method):
    add(alice, "cn", "MI6-64")
    form = checkout_form(
        alice, "cn", fulfilment="delivery", address="new", shipping_method=method, **CN_ADDRESS
    )
    sent = alice.post("/shop/cn/checkout/", {**form, "quote": quote})
    assert sent.status_code == 409 and str(MESSAGES["price_changed"]) in sent.content.decode()
    assert not Order.objects.exists()
    assert alice.post("/shop/cn/checkout/", {**form, "quote": sent.context["quote"]}).status_code == 302
