"""Random sequences of receive/reserve/release/sell/return keep the stock equations true."""

from __future__ import annotations

import pytest
from django.db import transaction
from django.db.models import Sum
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from millet.inventory import services as inventory
from millet.inventory.models import Reservation, SerialUnit, Stock, StockMovement

pytestmark = pytest.mark.django_db

operation = st.one_of(
    st.tuples(st.just("receive"), st.sampled_from(["WH-CN-SH", "SH-001"]), st.integers(1, 4)),
    st.tuples(st.just("reserve"), st.sampled_from(["WH-CN-SH", "SH-001"]), st.integers(1, 6)),
    st.tuples(st.just("release"), st.integers(0, 20), st.just(0)),
    st.tuples(st.just("sell"), st.integers(0, 20), st.just(0)),
    st.tuples(st.just("return"), st.sampled_from(["WH-CN-SH", "SH-001"]), st.integers(0, 20)),
    st.tuples(st.just("expire"), st.just(""), st.just(0)),
)


def check_equations(sku_id: int) -> None:
    for row in Stock.objects.filter(sku_id=sku_id):
        moved = StockMovement.objects.filter(sku_id=sku_id, location_id=row.location_id).aggregate(
            s=Sum("delta")
        )["s"]
        assert row.quantity == (moved or 0)
        assert 0 <= row.reserved <= row.quantity
        held = Reservation.objects.filter(stock=row, status="active").aggregate(s=Sum("quantity"))["s"] or 0
        assert row.reserved == held
        in_stock = SerialUnit.objects.filter(
            sku_id=sku_id, location_id=row.location_id, status="in_stock"
        ).count()
        assert in_stock == row.quantity


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(ops=st.lists(operation, max_size=25))
def test_stock_equations_hold(world, ops):
    sku = world.skus["MI6-64"]
    with transaction.atomic():
        references: list[str] = []
        sold: list[str] = []
        for i, (op, where, n) in enumerate(ops):
            if op == "receive":
                world.receive("MI6-64", where, n)
            elif op == "reserve":
                ref = f"T/{i}"
                store = world.locations["SH-001"] if where == "SH-001" else None
                try:
                    with transaction.atomic():
                        inventory.reserve_stock(
                            sku_id=sku.pk,
                            quantity=n,
                            market="CN",
                            reference=ref,
                            store_location_id=store,
                            only_store=store is not None,
                            ttl_seconds=60,
                        )
                    references.append(ref)
                except inventory.OutOfStock:
                    pass
            elif op == "release" and references:
                inventory.release_reservations(references.pop(where % len(references)))
            elif op == "sell" and references:
                sold += inventory.consume_reservations(
                    references.pop(where % len(references)), serialized=True
                )
            elif op == "return" and sold:
                serial = sold.pop(n % len(sold))
                inventory.return_units(
                    sku_id=sku.pk,
                    location_id=world.locations[where],
                    quantity=1,
                    reference="R",
                    serials=[serial],
                )
            elif op == "expire":
                from datetime import timedelta

                from django.utils import timezone

                expired = inventory.expire_reservations(timezone.now() + timedelta(seconds=61))
                references = [r for r in references if r not in expired]
            check_equations(sku.pk)
        total_received = (
            StockMovement.objects.filter(sku=sku, delta__gt=0)
            .exclude(reason="return")
            .aggregate(s=Sum("delta"))["s"]
        )
        assert SerialUnit.objects.filter(sku=sku).count() == total_received
        assert SerialUnit.objects.filter(sku=sku, status="sold").count() == len(sold)
        transaction.set_rollback(True)
