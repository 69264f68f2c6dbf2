"""``reserve_many``: an order's lines held set-based, with the allocation rule of one line at a time,
and a stock row emptied by a concurrent checkout between the read and the take still handled."""

from __future__ import annotations

import pytest
from django.db.models import F, Sum

from millet.core.errors import Unprocessable
from millet.inventory import services as inventory
from millet.inventory.models import Reservation, Stock
from millet.inventory.services import reservations

pytestmark = pytest.mark.django_db


def stock(world, sku: str, location: str) -> Stock:
    return Stock.objects.get(sku=world.skus[sku], location_id=world.locations[location])


def held(reference: str) -> int:
    active = Reservation.objects.filter(reference=reference, status="active")
    return active.aggregate(s=Sum("quantity"))["s"] or 0


def test_lines_are_held_together_in_allocation_order(world):
    """The world has 100 cables and 2 bands in Shanghai's warehouse."""
    world.receive("CABLE-C", "WH-CN-BJ", 3)
    cable, band = world.skus["CABLE-C"].pk, world.skus["BAND2"].pk
    shanghai = (31.23, 121.47)
    holds = inventory.reserve_many(
        [inventory.HoldRequest(cable, 102, "SO-1/1"), inventory.HoldRequest(band, 2, "SO-1/2")],
        market="CN",
        near=shanghai,
    )
    assert [[(h.location_id, h.quantity) for h in line] for line in holds] == [
        [(world.locations["WH-CN-SH"], 100), (world.locations["WH-CN-BJ"], 2)],  # nearest, then split
        [(world.locations["WH-CN-SH"], 2)],
    ]
    assert stock(world, "CABLE-C", "WH-CN-SH").reserved == 100
    assert stock(world, "CABLE-C", "WH-CN-BJ").reserved == 2
    assert held("SO-1/1") == 102 and held("SO-1/2") == 2


def test_a_short_backorderable_line_holds_nothing_and_the_others_still_hold(world):
    cable, band = world.skus["CABLE-C"].pk, world.skus["BAND2"].pk
    holds = inventory.reserve_many(
        [
            inventory.HoldRequest(cable, 2, "SO-2/1"),
            inventory.HoldRequest(band, 3, "SO-2/2", backorder_ok=True),
        ],
        market="CN",
    )
    assert holds[1] is None and held("SO-2/2") == 0
    assert stock(world, "BAND2", "WH-CN-SH").reserved == 0
    assert held("SO-2/1") == 2


def test_a_short_line_without_backorder_is_out_of_stock(world):
    with pytest.raises(inventory.OutOfStock):  # 100 in the warehouse; the store's 20 are for walk-ins
        inventory.reserve_many([inventory.HoldRequest(world.skus["CABLE-C"].pk, 101, "SO-3/1")], market="CN")


def test_one_request_per_sku(world):
    cable = world.skus["CABLE-C"].pk
    twice = [inventory.HoldRequest(cable, 1, "SO-4/1"), inventory.HoldRequest(cable, 1, "SO-4/2")]
    with pytest.raises(Unprocessable) as refused:
        inventory.reserve_many(twice, market="CN")
    assert refused.value.code == "duplicate_sku"


@pytest.mark.parametrize("backorder_ok", [False, True])
def test_a_row_emptied_after_the_read_sends_the_line_on_to_the_next_row(world, monkeypatch, backorder_ok):
    """Between the candidate read and the take, another checkout holds 3 of Shanghai's 4 units."""
    world.receive("BAND2", "WH-CN-SH", 2)
    world.receive("BAND2", "WH-CN-BJ", 2)
    shanghai = stock(world, "BAND2", "WH-CN-SH")
    take_all = reservations._take_all

    def raced(plan, expires_at):
        Stock.objects.filter(pk=shanghai.pk).update(reserved=F("reserved") + 3)
        return take_all(plan, expires_at)

    monkeypatch.setattr(reservations, "_take_all", raced)
    request = inventory.HoldRequest(world.skus["BAND2"].pk, 3, "SO-5/1", backorder_ok=backorder_ok)
    (holds,) = inventory.reserve_many([request], market="CN", near=(31.23, 121.47))
    assert sorted((h.location_id, h.quantity) for h in holds) == sorted(
        [(world.locations["WH-CN-SH"], 1), (world.locations["WH-CN-BJ"], 2)]
    )
    assert held("SO-5/1") == 3
    assert stock(world, "BAND2", "WH-CN-SH").reserved == 4  # the racer's 3 and our 1
    assert stock(world, "BAND2", "WH-CN-BJ").reserved == 2


def test_a_backorderable_line_the_race_leaves_short_gives_back_what_it_took(world, monkeypatch):
    world.receive("BAND2", "WH-CN-BJ", 2)  # and the world's 2 in Shanghai
    beijing = stock(world, "BAND2", "WH-CN-BJ")
    take_all = reservations._take_all

    def raced(plan, expires_at):
        Stock.objects.filter(pk=beijing.pk).update(reserved=2)  # Beijing is gone after the read
        return take_all(plan, expires_at)

    monkeypatch.setattr(reservations, "_take_all", raced)
    request = inventory.HoldRequest(world.skus["BAND2"].pk, 4, "SO-6/1", backorder_ok=True)
    assert inventory.reserve_many([request], market="CN", near=(31.23, 121.47)) == [None]
    assert held("SO-6/1") == 0
    assert stock(world, "BAND2", "WH-CN-SH").reserved == 0
