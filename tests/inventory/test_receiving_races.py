"""Two deliveries booked at once carrying the same serial: the second is the 409 the check gives
one at a time. Each purchase order is locked on its own row, so both passed the "serial known?"
check; the second then met the unique serial as an IntegrityError (a 500)."""

from __future__ import annotations

import pytest

from millet.accounts.actor import SYSTEM
from millet.core.errors import Conflict
from millet.inventory import services
from millet.inventory.models import PurchaseOrder, SerialUnit, Stock
from tests.concurrency import behind_open_transaction

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.postgres]


def test_one_serial_received_on_two_purchase_orders_at_once_is_409_duplicate_serial(world, require_postgres):
    sku = world.skus["MI6-64"].pk
    orders = [
        services.create_purchase_order(
            actor=SYSTEM, supplier="Foxconn", location_id=world.locations["WH-CN-SH"], lines=[(sku, 1)]
        )
        for _ in range(2)
    ]
    stock = Stock.objects.get(sku_id=sku, location_id=world.locations["WH-CN-SH"])
    before = stock.quantity

    def receive(po: PurchaseOrder):
        return lambda: services.receive_purchase_order(
            SYSTEM, po.pk, {sku: 1}, serials={sku: ["RACE-SN-1"]}, serialized_skus={sku}
        )

    first, second = behind_open_transaction(receive(orders[0]), receive(orders[1]))
    assert isinstance(first, PurchaseOrder), first
    assert isinstance(second, Conflict) and second.code == "duplicate_serial", repr(second)
    assert SerialUnit.objects.filter(serial="RACE-SN-1").count() == 1
    assert PurchaseOrder.objects.get(pk=orders[1].pk).status == PurchaseOrder.Status.OPEN  # nothing booked
    stock.refresh_from_db()
    assert stock.quantity == before + 1
