"""A world with at least one row of every model the back office shows, all made through services."""

from __future__ import annotations

import pytest

from millet.accounts.actor import actor_for_user
from millet.inventory import services as inventory
from millet.sales.models import Order, Seller
from millet.sales.services import (
    LineRequest,
    ReturnRequest,
    fulfil_order,
    open_cart,
    place_order,
    return_order,
    set_cart_line,
)


def buy(world, sku: str = "CABLE-C", quantity: int = 1, user: str = "alice", **extra) -> Order:
    return place_order(
        actor_for_user(world.users[user]),
        market="CN",
        lines=[LineRequest(sku, quantity)],
        payment_token="tok_ok",
        **extra,
    )


@pytest.fixture
def populated(world):
    staff = actor_for_user(world.users["staff"])
    buy(world)  # paid, stock reserved
    buy(world, "BAND2", 3)  # more than on hand: back-ordered
    sold = buy(world, "MI6-64", voucher_code="WELCOME10")
    fulfil_order(staff, sold.number)
    line = sold.lines.get()
    serial = line.units.get().serial
    return_order(staff, sold.number, lines=[ReturnRequest(line.pk, 1, (serial,))], warehouse_code="WH-CN-SH")
    inventory.transfer_stock(
        actor=staff,
        sku_id=world.skus["CABLE-C"].pk,
        source_id=world.locations["WH-CN-SH"],
        destination_id=world.locations["BJ-001"],
        quantity=5,
    )
    inventory.create_purchase_order(
        actor=staff,
        supplier="Huami",
        location_id=world.locations["WH-CN-SH"],
        lines=[(world.skus["BAND2"].pk, 10)],
    )
    alice = actor_for_user(world.users["alice"])
    set_cart_line(alice, open_cart(alice, "CN").pk, "CAM-C300", 2)
    # A migration seeds the demo sellers, but a transactional test earlier on the same worker flushes
    # them; the back office edits them (master data), so the fixture makes its own.
    Seller.objects.get_or_create(
        market="CN", defaults={"legal_name": "Millet CN Ltd", "address": "Beijing", "tax_id": "91110000TEST"}
    )
    return world
