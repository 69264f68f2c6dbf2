"""The back office through the browser: every page renders, read-only stays read-only, lists do not
query per row, and the order and token actions go through the services."""

from __future__ import annotations

import pytest
from django.contrib import admin
from django.contrib.auth.models import Permission
from django.contrib.messages import get_messages
from django.db import models
from django.test import Client
from django.urls import reverse
from django.utils import translation
from django.utils.translation import ngettext

from millet.accounts.actor import actor_for_user
from millet.accounts.models import ApiToken
from millet.accounts.services import user_for_token
from millet.finance.models import Payment
from millet.inventory.models import Location, Stock
from millet.sales.models import Cart, Order, Seller, Voucher
from millet.sales.services import LineRequest, place_order, set_cart_voucher
from millet.sales.views import REFUSALS
from tests.admin.conftest import buy

pytestmark = pytest.mark.django_db

APPS = ("inventory", "sales", "accounts", "finance")
EDITABLE = {"inventory.location", "inventory.supplier", "sales.voucher", "sales.seller"}
ADDED_THROUGH_SERVICES = {
    "inventory.stocktransfer",
    "inventory.purchaseorder",
}  # tests/admin/test_daily_work.py


def registered() -> list[type]:
    return [model for model in admin.site._registry if model._meta.app_label in APPS]


def url(model, view: str, *args) -> str:
    return reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_{view}", args=args)


def test_every_model_of_these_apps_is_registered():
    names = {model._meta.label_lower for model in registered()}
    assert names == {
        "accounts.apitoken",
        "finance.ledgeraccount",
        "finance.ledgertransfer",
        "finance.payment",
        "inventory.location",
        "inventory.stock",
        "inventory.reservation",
        "inventory.stockmovement",
        "inventory.serialunit",
        "inventory.stocktransfer",
        "inventory.supplier",
        "inventory.purchaseorder",
        "inventory.backorder",
        "sales.voucher",
        "sales.voucherredemption",
        "sales.order",
        "sales.cart",
        "sales.return",
        "sales.seller",
    }


@pytest.mark.parametrize("label", sorted(m._meta.label_lower for m in registered()))
def test_changelist_and_change_page_render(populated, admin_client, label):
    model = next(m for m in registered() if m._meta.label_lower == label)
    row = model.objects.order_by("pk").first()
    assert row is not None, f"the fixture made no {label}"
    assert admin_client.get(url(model, "changelist")).status_code == 200
    assert admin_client.get(url(model, "changelist"), {"q": "x"}).status_code == 200
    assert admin_client.get(url(model, "change", row.pk)).status_code == 200


def test_only_master_data_can_be_added_or_edited(admin_client):
    for model in registered():
        label = model._meta.label_lower
        expected = 200 if label in EDITABLE | ADDED_THROUGH_SERVICES else 403
        assert admin_client.get(url(model, "add")).status_code == expected, label


def test_order_page_lists_lines_and_sold_serials(populated, admin_client):
    order = Order.objects.get(returns__isnull=False)
    serial = order.lines.get().units.get().serial
    page = admin_client.get(url(Order, "change", order.pk)).content.decode()
    assert f"MI6-64: {serial} (returned)" in page
    assert "Quantity fulfilled" in page


def test_token_page_never_shows_the_hash(world, admin_client):
    token = ApiToken.objects.get(user=world.users["alice"])
    page = admin_client.get(url(ApiToken, "change", token.pk)).content.decode()
    assert token.prefix in page
    assert token.key_hash not in page


def test_order_admin_grants_no_add_change_or_delete(populated, admin_client, admin_user, rf):
    order = Order.objects.first()
    request = rf.get("/admin/")
    request.user = admin_user
    model_admin = admin.site._registry[Order]
    assert not model_admin.has_add_permission(request)
    assert not model_admin.has_change_permission(request, order)
    assert not model_admin.has_delete_permission(request, order)
    assert admin_client.post(url(Order, "change", order.pk), {"status": "cancelled"}).status_code == 403
    assert admin_client.post(url(Order, "delete", order.pk), {"post": "yes"}).status_code == 403
    order.refresh_from_db()
    assert order.status == Order.Status.PAID


def test_order_changelist_queries_do_not_grow_with_rows(world, admin_client, django_assert_max_num_queries):
    for user in ("alice", "bob") * 15:
        buy(world, user=user)
    assert Order.objects.count() == 30
    with django_assert_max_num_queries(12):
        response = admin_client.get(url(Order, "changelist"))
    assert response.status_code == 200
    assert response.context["cl"].result_count == 30


def test_stock_changelist_queries_do_not_grow_with_rows(world, admin_client, django_assert_max_num_queries):
    for sku in world.skus:
        for location in world.locations:
            world.receive(sku, location, 1)
    assert Stock.objects.count() == len(world.skus) * len(world.locations)
    with django_assert_max_num_queries(12):
        response = admin_client.get(url(Stock, "changelist"), {"o": "5"})  # sorted by available
    assert response.status_code == 200
    assert response.context["cl"].result_count == Stock.objects.count()


def cancel(client: Client, *orders: Order):
    return client.post(
        url(Order, "changelist"),
        {"action": "cancel_orders", "_selected_action": [o.pk for o in orders]},
        follow=True,
    )


def test_cancel_action_puts_reserved_stock_back_and_voids_payment(world, admin_client):
    order = place_order(
        actor_for_user(world.users["alice"]),
        market="CN",
        lines=[LineRequest("CABLE-C", 1)],
        payment_token="tok_ok",
    )
    assert order.status == Order.Status.PAID
    assert reserved() == 1

    response = cancel(admin_client, order)

    assert response.status_code == 200
    order.refresh_from_db()
    assert order.status == Order.Status.CANCELLED
    assert reserved() == 0
    assert Payment.objects.get(reference=order.number).status == "voided"
    assert [str(m) for m in get_messages(response.wsgi_request)] == [f"Order cancelled: {order.number}"]


def test_cancel_action_reports_each_refusal_and_still_cancels_the_rest(populated, admin_client):
    """Each refusal is said in the admin's language after its order's number: it was the service's
    English detail ("an order that is returned cannot be cancelled") in a Chinese admin."""
    shipped = Order.objects.get(returns__isnull=False)
    paid = Order.objects.filter(status=Order.Status.PAID).first()
    admin_client.cookies["django_language"] = "zh-hans"

    response = cancel(admin_client, shipped, paid)

    texts = [str(m) for m in get_messages(response.wsgi_request)]
    with translation.override("zh-hans"):
        assert f"{shipped.number}：{REFUSALS['not_cancellable']}" in texts
        assert (
            ngettext("Order cancelled: %(numbers)s", "Orders cancelled: %(numbers)s", 1)
            % {"numbers": paid.number}
            in texts
        )
    assert not any("cannot be cancelled" in text for text in texts)
    shipped.refresh_from_db()
    paid.refresh_from_db()
    assert (shipped.status, paid.status) == (Order.Status.RETURNED, Order.Status.CANCELLED)


def test_revoke_action_deletes_tokens_so_they_stop_working(world, admin_client):
    raw = world.tokens["alice"]
    token = ApiToken.objects.get(user=world.users["alice"])
    assert user_for_token(raw) == world.users["alice"]

    response = admin_client.post(
        url(ApiToken, "changelist"),
        {"action": "revoke_tokens", "_selected_action": [token.pk]},
        follow=True,
    )

    assert response.status_code == 200
    assert user_for_token(raw) is None
    assert ApiToken.objects.count() == len(world.tokens) - 1


def test_staff_who_may_only_view_tokens_cannot_revoke(world):
    viewer = world.users["staff"]
    viewer.user_permissions.add(Permission.objects.get(codename="view_apitoken"))
    client = Client()
    client.force_login(viewer)
    page = client.get(url(ApiToken, "changelist"))
    assert page.status_code == 200
    assert "revoke_tokens" not in page.content.decode()
    client.post(
        url(ApiToken, "changelist"),
        {"action": "revoke_tokens", "_selected_action": list(ApiToken.objects.values_list("pk", flat=True))},
    )
    assert ApiToken.objects.count() == len(world.tokens)


def test_voucher_edit_keeps_the_use_counter(world, admin_client):
    voucher = Voucher.objects.get(code="WELCOME10")
    Voucher.objects.filter(pk=voucher.pk).update(used_count=7)
    response = admin_client.post(
        url(Voucher, "change", voucher.pk),
        {
            "code": "WELCOME10",
            "market": "CN",
            "kind": "percent",
            "value": "15",
            "min_spend": "0",
            "max_uses": "100",
            "max_uses_per_customer": "1",
            "used_count": "0",
            "is_active": "on",
        },
    )
    assert response.status_code == 302, response.content
    voucher.refresh_from_db()
    assert (voucher.value, voucher.used_count) == (15, 7)


def test_non_staff_user_is_sent_to_the_admin_login(world):
    client = Client()
    client.force_login(world.users["alice"])
    changelist = url(Order, "changelist")
    response = client.get(changelist)
    assert response.status_code == 302
    assert response["Location"] == f"{reverse('admin:login')}?next={changelist}"


def reserved() -> int:
    return sum(Stock.objects.values_list("reserved", flat=True))


def location_form(location, **changes) -> dict:
    fields = ("code", "name", "kind", "market", "city", "state", "latitude", "longitude")
    data = {name: getattr(location, name + "_id" if name == "market" else name) for name in fields}
    return {**data, "is_active": "on", **changes}


@pytest.mark.parametrize("state", ["IN-XX", "DE-BY", "in-ka"])
def test_a_locations_state_is_one_of_its_markets_as_create_location_requires(world, admin_client, state):
    """The state decides India's IGST: a typo would book an inter-state supply as intra-state."""
    location = Location.objects.get(code="WH-IN-BLR")
    response = admin_client.post(url(Location, "change", location.pk), location_form(location, state=state))
    assert response.status_code == 200
    location.refresh_from_db()
    assert location.state == "IN-KA"
    response = admin_client.post(url(Location, "change", location.pk), location_form(location, state="IN-MH"))
    assert response.status_code == 302
    location.refresh_from_db()
    assert location.state == "IN-MH"


def test_a_location_with_stock_keeps_its_market(world, admin_client):
    """Its stock is sold, reserved and priced in its market; moved, India's units would sell in DE."""
    location = Location.objects.get(code="WH-IN-BLR")
    assert Stock.objects.filter(location=location).exists()
    response = admin_client.post(
        url(Location, "change", location.pk), location_form(location, market="DE", state="", city="Berlin")
    )
    assert response.status_code == 302, response.content
    location.refresh_from_db()
    assert (location.market_id, location.city) == ("IN", "Berlin")


@pytest.mark.parametrize(("market", "state"), [("IN", "IN-XX"), ("IN", "DE-BY"), ("XX", "")])
def test_a_seller_is_in_a_known_market_and_its_state(populated, admin_client, market, state):
    """An Indian store sale's place of supply is the seller's state (``_place_of_supply``): a typo
    would print no GST state, or another country's, on the invoice."""
    Seller.objects.filter(market=market).delete()  # a migration may have seeded the demo's
    response = admin_client.post(
        url(Seller, "add"),
        {
            "market": market,
            "legal_name": "Millet",
            "address": "Bengaluru",
            "tax_id": "29AAAAA0000A1Z5",
            "state": state,
        },
    )
    assert response.status_code == 200
    assert not Seller.objects.filter(market=market).exists()


def test_a_seller_with_its_markets_state_is_saved(populated, admin_client):
    Seller.objects.filter(market="IN").delete()
    data = {"market": "IN", "legal_name": "Millet IN", "address": "Bengaluru", "tax_id": "29AAAAA0000A1Z5"}
    response = admin_client.post(url(Seller, "add"), {**data, "state": "IN-KA"})
    assert response.status_code == 302, response.content
    assert Seller.objects.get(market="IN").state == "IN-KA"


def voucher_form(**changes) -> dict:
    data = {
        "code": "SPRING",
        "market": "CN",
        "kind": "percent",
        "value": "15",
        "min_spend": "0",
        "max_uses_per_customer": "1",
        "is_active": "on",
    }
    return {**data, **changes}


@pytest.mark.parametrize(
    "changes",
    [
        {"value": "150"},  # more than the whole order off
        {"kind": "amount", "value": "1000000000.00"},  # beyond any amount the platform books
        {"min_spend": "-5.00"},
        {
            "valid_from_0": "2026-05-01",
            "valid_from_1": "00:00",
            "valid_until_0": "2026-04-01",
            "valid_until_1": "00:00",
        },
    ],
)
def test_the_voucher_form_refuses_a_voucher_check_voucher_refuses(world, admin_client, changes):
    response = admin_client.post(url(Voucher, "add"), voucher_form(**changes))
    assert response.status_code == 200
    assert not Voucher.objects.filter(code="SPRING").exists()


def test_a_sales_and_an_inventory_forms_refusal_is_in_the_admins_language(world, admin_client):
    """The voucher and location forms showed the service's English detail ('a percent voucher takes
    more than 0 ...', "'IN-XX' is not an ISO 3166-2 state of IN") in a German or Hindi admin."""
    admin_client.cookies["django_language"] = "de"
    voucher = admin_client.post(url(Voucher, "add"), voucher_form(value="150")).content.decode()
    assert "Ein Prozentgutschein zieht mehr als 0 und höchstens 100 Prozent ab" in voucher
    assert "a percent voucher takes" not in voucher
    admin_client.cookies["django_language"] = "hi"
    location = Location.objects.get(code="WH-IN-BLR")
    state = admin_client.post(
        url(Location, "change", location.pk), location_form(location, state="IN-XX")
    ).content.decode()
    assert "IN-XX, IN का राज्य नहीं है: उसका ISO 3166-2 कोड लिखें" in state
    assert "is not an ISO 3166-2 state" not in state


def test_a_voucher_the_rules_allow_is_saved(world, admin_client):
    response = admin_client.post(
        url(Voucher, "add"), voucher_form(kind="amount", value="20.00", min_spend="100")
    )
    assert response.status_code == 302, response.content
    assert Voucher.objects.get(code="SPRING").value == 20


def test_a_voucher_typed_in_devanagari_or_full_width_digits_is_saved(world, admin_client):
    """The back office drew number inputs, which drop Devanagari digits ("२०" was sent as nothing):
    its number fields now read what is typed by the one rule (``core.typed_numbers``)."""
    form = admin_client.get(url(Voucher, "add")).content.decode()
    assert 'name="value" inputmode="decimal"' in form and 'type="number"' not in form
    response = admin_client.post(
        url(Voucher, "add"),
        voucher_form(kind="amount", value="२०.००", min_spend="１００", max_uses_per_customer="१"),
    )
    assert response.status_code == 302, response.content
    saved = Voucher.objects.get(code="SPRING")
    assert (saved.value, saved.min_spend, saved.max_uses_per_customer) == (20, 100, 1)


def test_every_admin_reads_its_numbers_by_the_one_rule():
    """Each admin and inline of the back office, so a new one cannot follow another rule."""
    from millet.core.typed_numbers import DecimalNumberField, WholeNumberField

    for model, model_admin in admin.site._registry.items():
        inlines = [inline(model, admin.site) for inline in model_admin.inlines]
        for each in [model_admin, *inlines]:
            for field in each.model._meta.get_fields():
                if isinstance(field, models.IntegerField | models.DecimalField) and not field.choices:
                    if field.auto_created or not field.editable:
                        continue
                    drawn = each.formfield_for_dbfield(field, request=None)
                    assert isinstance(drawn, WholeNumberField | DecimalNumberField), (each, field)


def test_a_voucher_keeps_its_code_and_market(populated, admin_client):
    """Carts hold a voucher by its code: renamed, the cart that holds WELCOME10 would lose it; moved
    to another market, its amounts would be read in another currency."""
    voucher = Voucher.objects.get(code="WELCOME10")
    alice = actor_for_user(populated.users["alice"])
    cart = set_cart_voucher(
        alice, Cart.objects.get(customer__username="alice", checked_out=False).pk, "WELCOME10"
    )
    data = voucher_form(code="WELCOME20", market="IN", value="20", max_uses="100")
    response = admin_client.post(url(Voucher, "change", voucher.pk), data)
    assert response.status_code == 302, response.content
    voucher.refresh_from_db()
    assert (voucher.code, voucher.market_id, voucher.value) == ("WELCOME10", "CN", 20)
    cart.refresh_from_db()
    assert Voucher.objects.get(code=cart.voucher_code) == voucher
