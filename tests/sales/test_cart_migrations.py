"""Migration 0014 folds a customer's open carts in a market into the newest before 0015 allows only
one: nothing a customer put in a cart is dropped."""

from __future__ import annotations

import pytest

from millet.sales.models import Cart, CartLine

BEFORE, AFTER = ("sales", "0013_checkout_indexes"), ("sales", "0015_one_open_cart")


@pytest.mark.django_db(transaction=True)  # migrations run outside a test's transaction
def test_open_carts_made_twice_before_0014_are_folded_into_the_newest(world, migrate):
    alice, bob = world.users["alice"], world.users["bob"]
    sku = world.skus
    migrate(BEFORE)
    older = Cart.objects.create(customer=alice, market_id="CN", voucher_code="WELCOME10")
    newest = Cart.objects.create(customer=alice, market_id="CN")
    elsewhere = Cart.objects.create(customer=alice, market_id="IN")
    done = Cart.objects.create(customer=alice, market_id="CN", checked_out=True)
    bobs = Cart.objects.create(customer=bob, market_id="CN")
    CartLine.objects.create(cart=older, sku=sku["CABLE-C"], quantity=2)
    CartLine.objects.create(cart=older, sku=sku["MI6-64"], quantity=5)
    CartLine.objects.create(cart=newest, sku=sku["MI6-64"], quantity=1)
    CartLine.objects.create(cart=done, sku=sku["BAND2"], quantity=1)
    migrate(AFTER)
    assert not Cart.objects.filter(pk=older.pk).exists()
    lines = dict(CartLine.objects.filter(cart=newest).values_list("sku__code", "quantity"))
    assert lines == {"CABLE-C": 2, "MI6-64": 1}  # the newest cart's own quantity wins
    assert Cart.objects.get(pk=newest.pk).voucher_code == "WELCOME10"  # the older cart's voucher moves
    assert set(Cart.objects.values_list("pk", flat=True)) == {newest.pk, elsewhere.pk, done.pk, bobs.pk}
