"""Issue 11 item 3: a store manager's stock request, approved by a supply planner as a transfer from
a warehouse, received at the store by scanning every unit; and the rules around it."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Group

from millet.accounts.actor import SUPPLY_PLANNER_GROUP, actor_for_user
from millet.core.errors import Forbidden, NotFound, Unprocessable
from millet.inventory import services
from millet.inventory.models import SerialUnit, Stock, StockMovement, StockRequest, StockTransfer
from millet.inventory.services import OutOfStock
from tests.concurrency import race

pytestmark = pytest.mark.django_db


def actor(world, name: str):
    return actor_for_user(world.users[name])


@pytest.fixture
def planner(world):
    """bob, a supply planner (not staff)."""
    group, _ = Group.objects.get_or_create(name=SUPPLY_PLANNER_GROUP)
    world.users["bob"].groups.add(group)
    return actor(world, "bob")


def on_hand(world, sku: str, location: str) -> int:
    return Stock.objects.get(sku=world.skus[sku], location_id=world.locations[location]).quantity


def test_request_approved_as_a_transfer_and_received_by_scanning(world, planner):
    manager = actor(world, "manager_sh")
    asked = services.request_stock(manager, "SH-001", sku_code="MI6-64", quantity=2, note="weekend")
    assert [r.number for r in services.pending_requests(planner)] == [str(asked)]
    assert services.market_warehouses(planner, "CN") == ["WH-CN-BJ", "WH-CN-SH"]

    approved = services.approve_request(planner, asked.pk, source_code="WH-CN-SH")
    assert (approved.status, approved.decided_by_id) == ("approved", world.users["bob"].pk)
    assert services.pending_requests(planner) == []
    assert on_hand(world, "MI6-64", "WH-CN-SH") == 3
    (incoming,) = services.incoming_transfers(manager, "SH-001")
    assert (incoming.id, incoming.quantity, incoming.sku_code) == (approved.transfer_id, 2, "MI6-64")

    first, second = incoming.serials
    with pytest.raises(Unprocessable) as missing:
        services.receive_scanned(manager, "SH-001", incoming.id, [first])
    assert missing.value.code == "incomplete_scan"
    with pytest.raises(Unprocessable) as twice:
        services.check_scan(incoming, [first], first)
    assert twice.value.code == "already_scanned"
    with pytest.raises(Unprocessable) as stranger:
        services.check_scan(incoming, [], "CABLE-C")
    assert stranger.value.code == "not_in_transfer"

    services.receive_scanned(manager, "SH-001", incoming.id, [second, first])
    assert on_hand(world, "MI6-64", "SH-001") == 5
    assert set(SerialUnit.objects.filter(serial__in=incoming.serials).values_list("status", flat=True)) == {
        "in_stock"
    }
    assert services.incoming_transfers(manager, "SH-001") == []
    (row,) = services.store_requests(manager, "SH-001")
    assert row.transfer_received


def test_units_without_serials_are_scanned_by_sku_code(world, planner):
    manager = actor(world, "manager_sh")
    asked = services.request_stock(manager, "SH-001", sku_code="CABLE-C", quantity=2)
    transfer_id = services.approve_request(planner, asked.pk, source_code="WH-CN-SH").transfer_id
    incoming = services.incoming_transfer(manager, "SH-001", transfer_id)
    assert services.check_scan(incoming, [], " cable-c ") == "CABLE-C"
    services.receive_scanned(manager, "SH-001", transfer_id, ["CABLE-C", "cable-c"])
    assert on_hand(world, "CABLE-C", "SH-001") == 22
    with pytest.raises(NotFound):
        services.incoming_transfer(manager, "SH-001", transfer_id)  # received: no longer incoming


def test_nobody_approves_their_own_request(world, planner):
    """Four eyes: a planner who also manages a store (or staff) cannot approve what they asked for."""
    StockRequest.objects.all().delete()
    manager_and_planner = world.users["manager_sh"]
    manager_and_planner.groups.add(Group.objects.get(name=SUPPLY_PLANNER_GROUP))
    both = actor_for_user(manager_and_planner)
    asked = services.request_stock(both, "SH-001", sku_code="MI6-64", quantity=1)
    for decide in (
        lambda: services.approve_request(both, asked.pk, source_code="WH-CN-SH"),
        lambda: services.reject_request(both, asked.pk, reason="changed my mind"),
    ):
        with pytest.raises(Forbidden) as refused:
            decide()
        assert refused.value.code == "own_request"
    assert StockRequest.objects.get(pk=asked.pk).status == "pending"
    assert not StockTransfer.objects.exists()
    services.approve_request(planner, asked.pk, source_code="WH-CN-SH")  # another planner may


def test_only_the_stores_manager_asks_and_only_planners_decide(world, planner):
    with pytest.raises(Forbidden):
        services.request_stock(actor(world, "cashier_sh"), "SH-001", sku_code="MI6-64", quantity=1)
    with pytest.raises(NotFound):  # another store's location is unknown to this manager
        services.request_stock(actor(world, "manager_sh"), "BJ-001", sku_code="MI6-64", quantity=1)
    with pytest.raises(NotFound):
        services.store_requests(actor(world, "manager_sh"), "BJ-001")
    with pytest.raises(Unprocessable) as unknown:
        services.request_stock(actor(world, "manager_sh"), "SH-001", sku_code="NOPE", quantity=1)
    assert unknown.value.code == "unknown_sku"
    asked = services.request_stock(actor(world, "manager_sh"), "SH-001", sku_code="MI6-64", quantity=1)
    for outsider in ("manager_sh", "cashier_sh", "alice"):
        with pytest.raises(Forbidden):
            services.approve_request(actor(world, outsider), asked.pk, source_code="WH-CN-SH")
        with pytest.raises(Forbidden):
            services.pending_requests(actor(world, outsider))


def test_a_refused_approval_changes_nothing(world, planner):
    manager = actor(world, "manager_sh")
    asked = services.request_stock(manager, "SH-001", sku_code="MI6-64", quantity=4)
    with pytest.raises(OutOfStock):
        services.approve_request(planner, asked.pk, source_code="WH-CN-BJ")  # it has 3
    with pytest.raises(Unprocessable) as abroad:
        services.approve_request(planner, asked.pk, source_code="WH-IN-BLR")
    assert abroad.value.code == "not_a_warehouse"
    assert StockRequest.objects.get(pk=asked.pk).status == "pending"
    assert (on_hand(world, "MI6-64", "WH-CN-BJ"), on_hand(world, "MI6-64", "WH-IN-BLR")) == (3, 5)
    with pytest.raises(Unprocessable):
        services.reject_request(planner, asked.pk, reason="  ")
    rejected = services.reject_request(planner, asked.pk, reason="no stock this week")
    assert (rejected.status, rejected.decision_reason) == ("rejected", "no stock this week")


def test_shelf_lines_and_low_stock_alerts_are_the_stores_own(world):
    manager = actor(world, "manager_sh")
    lines = {line.sku_code: line for line in services.shelf_lines(manager, "SH-001")}
    assert set(lines) == {"MI6-64", "CAM-C300", "CABLE-C"}
    phone = lines["MI6-64"]
    assert (phone.sku_name, phone.quantity, len(phone.serials)) == ("Mi 6", 3, 3)
    assert lines["CABLE-C"].serials == []
    for store in ("SH-001", "BJ-001"):  # 30 sold in 30 days: one a day, 21 days' cover wanted
        StockMovement.objects.create(
            sku=world.skus["MI6-64"], location_id=world.locations[store], delta=-30, reason="sale"
        )
    (alert,) = services.location_replenishment(manager, "SH-001")
    assert (alert["sku_id"], alert["available"], alert["suggested"]) == (world.skus["MI6-64"].pk, 3, 19)
    assert alert["location_id"] == world.locations["SH-001"]
    with pytest.raises(NotFound):
        services.shelf_lines(manager, "BJ-001")
    with pytest.raises(NotFound):
        services.location_replenishment(manager, "BJ-001")


@pytest.mark.django_db(transaction=True)
def test_racing_twins_of_one_request_form_make_one_request(require_postgres, world):
    """Two posts of one form at the same moment (a double click) both pass the look for an earlier
    request; the unique (location, attempt) makes the second meet the first and answer with it."""
    manager = actor(world, "manager_sh")
    made = race(
        6,
        lambda i: services.request_stock(manager, "SH-001", sku_code="MI6-64", quantity=2, attempt="a" * 32),
    )
    assert StockRequest.objects.count() == 1
    assert {r.pk for r in made} == {StockRequest.objects.get().pk}
