"""Many buyers race for the last units on PostgreSQL: each unit is sold exactly once."""

from __future__ import annotations

import pytest

from millet.accounts.actor import actor_for_user
from millet.core.errors import DomainError
from millet.inventory.models import SerialUnit, Stock
from millet.sales import services
from millet.sales.models import Order, OrderUnit, Voucher
from tests.concurrency import behind_open_transaction, held_at_call, race
from tests.sales.test_checkout_pages import CN_ADDRESS

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.postgres]

BUYERS = 24


def test_concurrent_web_checkouts_and_pos_sales_sell_each_unit_once(world, require_postgres):
    from django.contrib.auth import get_user_model

    buyers = [get_user_model().objects.create_user(f"buyer{i}") for i in range(BUYERS)]
    cashier = actor_for_user(world.users["cashier_sh"])
    store_serials = list(
        SerialUnit.objects.filter(
            location_id=world.locations["SH-001"], sku=world.skus["MI6-64"]
        ).values_list("serial", flat=True)
    )
    # Web orders ship from warehouses (5 + 3 units); cashiers sell SH-001's three units. BJ-001 is untouched.
    sellable = ["WH-CN-SH", "WH-CN-BJ", "SH-001"]
    total_units = sum(
        Stock.objects.filter(sku=world.skus["MI6-64"], location__code__in=sellable).values_list(
            "quantity", flat=True
        )
    )
    assert total_units == 11

    def attempt(i: int):
        if i % 4 == 0:  # a cashier scanning one of the store's units (several cashiers scan the same unit)
            return services.pos_sale(
                cashier,
                store_code="SH-001",
                serials=[store_serials[i % len(store_serials)]],
                payment_token="tok_ok",
            )
        order = services.place_order(
            actor_for_user(buyers[i]),
            market="CN",
            lines=[services.LineRequest("MI6-64", 1)],
            payment_token="tok_ok",
        )
        return services.fulfil_order(actor_for_user(world.users["staff"]), order.number)

    results = race(BUYERS, attempt)
    won = [r for r in results if isinstance(r, Order)]
    lost = [r for r in results if isinstance(r, DomainError)]
    assert len(won) + len(lost) == BUYERS
    assert len(won) == total_units
    assert all(e.status_code == 409 for e in lost)
    assert OrderUnit.objects.count() == total_units
    assert OrderUnit.objects.values("serial").distinct().count() == total_units
    assert SerialUnit.objects.filter(sku=world.skus["MI6-64"], status="sold").count() == total_units
    for row in Stock.objects.filter(sku=world.skus["MI6-64"], location__code__in=sellable):
        assert row.quantity == 0 and row.reserved == 0
    assert Stock.objects.get(sku=world.skus["MI6-64"], location__code="BJ-001").quantity == 2


def test_one_customer_parallel_voucher_use_counts_once(world, require_postgres):
    alice = actor_for_user(world.users["alice"])

    def attempt(i: int):
        return services.place_order(
            alice,
            market="CN",
            lines=[services.LineRequest("CABLE-C", 1)],
            voucher_code="WELCOME10",
            payment_token="tok_ok",
        )

    results = race(8, attempt)
    assert sum(isinstance(r, Order) for r in results) == 1
    assert Order.objects.filter(voucher__code="WELCOME10").count() == 1


def test_one_checkout_attempt_sent_many_times_at_once_makes_one_order_and_one_charge(world, require_postgres):
    """A double click at its worst: the same cart and idempotency key in parallel requests. Each
    gets the one order back: the twins wait on the cart for the first to commit, then replay it."""
    from millet.finance.services import payments_for

    alice = actor_for_user(world.users["alice"])
    cart = services.open_cart(alice, "CN")
    services.set_cart_line(alice, cart.pk, "MI6-64", 1)
    key = "a" * 32

    def attempt(i: int):
        return services.checkout_cart(
            alice, cart.pk, payment_token="tok_ok", shipping_method="express", idempotency_key=key
        )

    results = race(6, attempt)
    orders = {r.number for r in results if isinstance(r, Order)}
    assert len(orders) == 1
    assert all(isinstance(r, Order) for r in results), results
    [number] = orders
    assert attempt(7).number == number  # the same request sent again replays the order
    assert services.replayed_order(alice, key).number == number  # the page's lookup by its attempt key
    assert Order.objects.count() == 1
    assert [p.amount for p in payments_for(number)] == [Order.objects.get().total]
    assert sum(Stock.objects.filter(sku=world.skus["MI6-64"]).values_list("reserved", flat=True)) == 1


def test_first_adds_to_a_cart_at_once_share_one_cart(world, require_postgres):
    """Two tabs adding a customer's first items at once: both lines land in the one open cart (two
    carts were made, and the lines of the one not shown were lost)."""
    alice = actor_for_user(world.users["alice"])
    skus = ["MI6-64", "CABLE-C", "BAND2", "CAM-C300"]

    def add(i: int):
        cart = services.open_cart(alice, "CN")
        return services.set_cart_line(alice, cart.pk, skus[i], 1)

    results = race(len(skus), add)
    assert len({cart.pk for cart in results}) == 1, results
    cart = services.open_cart(alice, "CN")
    assert sorted(line.sku.code for line in cart.lines.all()) == sorted(skus)


def test_a_checkout_with_a_voucher_beside_a_cancel_of_another_order_with_it_both_go_through(
    world, require_postgres, monkeypatch
):
    """Lock order: a checkout took the voucher's row before the stock, while a cancel (and the expiry
    of unpaid orders) gives the stock back before the voucher, so the two deadlocked and PostgreSQL
    failed one (found by a reviewer). Every writer now takes stock rows before the voucher row."""
    from millet.sales.services import orders

    bob, alice = (actor_for_user(world.users[name]) for name in ("bob", "alice"))
    bobs = services.place_order(
        bob,
        market="CN",
        lines=[services.LineRequest("CABLE-C", 1)],
        voucher_code="WELCOME10",
        payment_token="tok_ok",
    )
    cart = services.open_cart(alice, "CN")
    services.set_cart_line(alice, cart.pk, "CABLE-C", 1)
    services.set_cart_voucher(alice, cart.pk, "WELCOME10")

    checkout, cancel = held_at_call(
        monkeypatch,
        orders,
        "create_order",
        lambda: services.checkout_cart(alice, cart.pk, payment_token="tok_ok", shipping_method="express"),
        lambda: services.cancel_order(bob, bobs.number),
    )
    assert isinstance(checkout, Order), checkout
    assert isinstance(cancel, Order) and cancel.status == "cancelled", cancel
    assert Voucher.objects.get(code="WELCOME10").used_count == 1


def test_a_checkout_sent_again_while_its_twin_is_still_placing_the_order_gets_that_order(
    world, require_postgres
):
    """The twin of a keyed checkout that arrives before the first commits waits for it and replays
    its order. It once read the cart as open, met the committed order by its key, and then found the
    cart closed under it: a 409 ``cart_checked_out`` for a double click (seen in CI)."""
    alice = actor_for_user(world.users["alice"])
    cart = services.open_cart(alice, "CN")
    services.set_cart_line(alice, cart.pk, "MI6-64", 1)

    def attempt():
        return services.checkout_cart(
            alice, cart.pk, payment_token="tok_ok", shipping_method="express", idempotency_key="b" * 32
        )

    first, second = behind_open_transaction(attempt, attempt)
    assert isinstance(first, Order)
    assert isinstance(second, Order) and second.number == first.number
    assert Order.objects.count() == 1


def test_a_line_set_while_its_cart_checks_out_is_refused_not_lost(world, require_postgres):
    """A line added in another tab while the cart checks out either makes the order or is refused:
    it must not land in a cart that has already become an order."""
    alice = actor_for_user(world.users["alice"])
    cart = services.open_cart(alice, "CN")
    services.set_cart_line(alice, cart.pk, "MI6-64", 1)

    first, second = behind_open_transaction(
        lambda: services.checkout_cart(alice, cart.pk, payment_token="tok_ok", shipping_method="express"),
        lambda: services.set_cart_line(alice, cart.pk, "CABLE-C", 2),
    )
    assert isinstance(first, Order)
    assert isinstance(second, DomainError) and second.code == "cart_checked_out"
    assert [line.sku_id for line in first.lines.all()] == [world.skus["MI6-64"].pk]
    assert not services.get_cart(alice, cart.pk).lines.filter(sku=world.skus["CABLE-C"]).exists()


def test_a_checkout_page_sent_while_its_twin_is_still_placing_the_order_replays_that_order(
    world, require_postgres, monkeypatch
):
    """The page's double click at its worst, made to happen every time: the first request has placed
    the order but not committed when the second arrives, so the second waits on the cart and then
    replays the order. A replay must be the very same request (the card, the delivery, the shipping
    method): anything less is a different request for that key, and was a 500 (seen in a browser
    test)."""
    from django.test import Client

    from millet.sales.services import carts

    user = world.users["alice"]
    clicks = [Client(), Client()]
    for click in clicks:
        click.force_login(user)
    clicks[0].post("/shop/cn/cart/add/", {"sku": "MI6-64", "quantity": 1})
    page = clicks[0].get("/shop/cn/checkout/")
    form = {
        "attempt": page.context["attempt"],
        "quote": page.context["quote"],
        "card_token": "tok_ok",
        "payment": "card",
        "fulfilment": "delivery",
        "address": "new",
        "shipping_method": "express",
        **CN_ADDRESS,
    }
    answers = held_at_call(
        monkeypatch,
        carts,
        "place_order_with_lines",
        lambda: clicks[0].post("/shop/cn/checkout/", form),
        lambda: clicks[1].post("/shop/cn/checkout/", form),
    )
    order = Order.objects.get(customer=user)
    for answer in answers:
        assert getattr(answer, "status_code", None) == 302, answer
        assert answer["Location"] == f"/orders/{order.number}/confirmation/"
