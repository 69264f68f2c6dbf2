"""An order number is drawn at random (core.numbers); a keyed request whose draw meets an existing
order's number draws again, and is never told a twin placed its order."""

from __future__ import annotations

import re

import pytest

from millet.accounts.actor import actor_for_user
from millet.core import numbers
from millet.sales import services
from millet.sales.models import Order
from millet.sales.services import orders as orders_module
from tests.sales.test_checkout_pages import CN_ADDRESS, add, alice, checkout_form  # noqa: F401 - a fixture

pytestmark = pytest.mark.django_db


@pytest.fixture
def bobs_number(world) -> str:
    bob = actor_for_user(world.users["bob"])
    return services.place_order(bob, market="CN", lines=[services.LineRequest("CABLE-C", 1)]).number


@pytest.fixture
def first_draw_clashes(monkeypatch, bobs_number):
    """The next order number drawn is bob's; the draws after it are random again."""
    draws = []

    def drawn(prefix: str, marker: str = "") -> str:
        draws.append(prefix)
        return bobs_number if len(draws) == 1 else numbers.document_number(prefix, marker)

    monkeypatch.setattr(orders_module, "document_number", drawn)
    return draws


def test_a_checkout_page_whose_order_number_clashes_still_places_the_order(
    world,
    alice,  # noqa: F811 - the signed-in client fixture
    first_draw_clashes,
):
    """It was a 409 on the page ("We could not do that"), the number clash taken for a twin's order."""
    add(alice, "cn", "MI6-64")
    form = checkout_form(
        alice, "cn", fulfilment="delivery", address="new", shipping_method="express", **CN_ADDRESS
    )
    page = alice.post("/shop/cn/checkout/", form)
    assert page.status_code == 302, page.context and page.context["form"].non_field_errors()
    assert Order.objects.filter(customer=world.users["alice"]).count() == 1
    assert len(first_draw_clashes) == 2


def test_a_keyed_api_order_whose_number_clashes_draws_again(world, first_draw_clashes, bobs_number):
    order = services.place_order(
        actor_for_user(world.users["alice"]),
        market="CN",
        lines=[services.LineRequest("MI6-64", 1)],
        payment_token="tok_ok",
        idempotency_key="9" * 32,
    )
    assert order.customer_id == world.users["alice"].pk and order.number != bobs_number


def test_a_number_has_48_random_bits_after_its_date():
    assert re.fullmatch(r"CN\d{6}-F[0-9A-F]{12}", numbers.document_number("CN", "F"))
    assert len(numbers.document_number("AP", "F")) <= 24  # every number column holds 24 characters
