"""At a counter every serialized unit is scanned: a point-of-sale sale, a click-and-collect hand-over
and a return at the till. A missing, unknown or foreign scan is refused with its own precise 4xx,
and a refusal moves no stock, no unit, no money and writes no order."""

from __future__ import annotations

import pytest

from millet.accounts.actor import actor_for_user
from millet.finance.models import LedgerTransfer
from millet.inventory import services as inventory
from millet.inventory.models import SerialUnit, Stock
from millet.sales.models import Order, Return

pytestmark = pytest.mark.django_db


def shelf(world, sku: str, location: str = "SH-001") -> list[str]:
    return list(
        SerialUnit.objects.filter(
            location_id=world.locations[location], sku=world.skus[sku], status="in_stock"
        ).values_list("serial", flat=True)
    )


def everything():
    """What a refused request must leave as it was."""
    return (
        sorted(Stock.objects.values_list("sku_id", "location_id", "quantity", "reserved")),
        sorted(SerialUnit.objects.values_list("serial", "status", "location_id")),
        Order.objects.count(),
        Return.objects.count(),
        LedgerTransfer.objects.count(),
    )


def till(world, body: dict, cashier: str = "cashier_sh"):
    return world.client(cashier).post(
        "/sales/pos/sales", {"store_code": "SH-001", "payment_token": "tok_ok", **body}
    )


def refused(response, status: int, code: str) -> None:
    assert response.status_code == status, response.content
    assert response.json()["error"] == code, response.content


# --- point of sale --------------------------------------------------------------------------------


def test_a_serialized_sku_sent_as_a_plain_line_is_refused(world):
    """The reported fault: the till sold an MI6-64 unscanned, and the system picked its serial."""
    before = everything()
    refused(till(world, {"lines": [{"sku": "MI6-64", "quantity": 1}]}), 422, "serial_required")
    refused(
        till(world, {"lines": [{"sku": "CABLE-C", "quantity": 1}, {"sku": "CAM-C300", "quantity": 1}]}),
        422,
        "serial_required",
    )
    assert everything() == before


def test_a_scan_that_is_not_a_unit_on_this_shelf_is_refused_by_what_it_is(world):
    sold = shelf(world, "MI6-64")[0]
    assert till(world, {"serials": [sold]}).status_code == 201
    elsewhere = shelf(world, "MI6-64", "BJ-001")[0]
    moving = shelf(world, "MI6-64")[0]
    inventory.transfer_stock(
        actor=actor_for_user(world.users["staff"]),
        sku_id=world.skus["MI6-64"].pk,
        source_id=world.locations["SH-001"],
        destination_id=world.locations["BJ-001"],
        quantity=1,
        serials=[moving],
    )
    broken = shelf(world, "MI6-64")[0]
    SerialUnit.objects.filter(serial=broken).update(status="defective")  # set aside by quality control
    before = everything()
    for serial, status, code in (
        ("NO-SUCH-UNIT", 404, "unknown_serial"),
        (sold, 409, "serial_sold"),
        (moving, 409, "serial_in_transit"),
        (broken, 409, "serial_defective"),
        (elsewhere, 409, "serial_at_another_location"),
    ):
        refused(till(world, {"serials": [serial]}), status, code)
        refused(till(world, {"lines": [{"sku": "MI6-64", "quantity": 1, "serials": [serial]}]}), status, code)
        assert everything() == before, code


def test_a_line_scan_must_be_a_unit_of_that_sku_one_per_unit(world):
    phone, camera = shelf(world, "MI6-64"), shelf(world, "CAM-C300")
    before = everything()
    refused(
        till(world, {"lines": [{"sku": "MI6-64", "quantity": 1, "serials": [camera[0]]}]}),
        422,
        "serial_wrong_sku",
    )
    refused(
        till(world, {"lines": [{"sku": "MI6-64", "quantity": 2, "serials": [phone[0]]}]}),
        422,
        "serials_mismatch",
    )
    refused(
        till(world, {"lines": [{"sku": "CABLE-C", "quantity": 1, "serials": [phone[0]]}]}),
        422,
        "sku_not_serialized",
    )
    refused(
        till(
            world, {"serials": [phone[0]], "lines": [{"sku": "MI6-64", "quantity": 1, "serials": [phone[0]]}]}
        ),
        422,
        "duplicate_serial",
    )
    assert everything() == before


def test_scanned_units_are_the_units_sold(world):
    phones, camera = shelf(world, "MI6-64")[:2], shelf(world, "CAM-C300")[0]
    sale = till(
        world,
        {
            "serials": [camera],
            "lines": [{"sku": "MI6-64", "quantity": 2, "serials": phones}, {"sku": "CABLE-C", "quantity": 1}],
        },
    )
    assert sale.status_code == 201, sale.content
    sold = {line["sku"]: sorted(line["serials"]) for line in sale.json()["lines"]}
    assert sold == {"MI6-64": sorted(phones), "CAM-C300": [camera], "CABLE-C": []}
    assert set(SerialUnit.objects.filter(serial__in=[*phones, camera]).values_list("status", flat=True)) == {
        "sold"
    }


# --- click-and-collect hand-over ------------------------------------------------------------------


def collect_order_at_sh(world) -> str:
    placed = world.client("alice").post(
        "/sales/orders",
        {
            "market": "CN",
            "channel": "click_collect",
            "store_code": "SH-001",
            "lines": [{"sku": "CAM-C300", "quantity": 1}, {"sku": "CABLE-C", "quantity": 2}],
            "payment_token": "tok_ok",
        },
    )
    assert placed.status_code == 201, placed.content
    return placed.json()["number"]


def test_the_hand_over_of_a_collected_order_needs_every_serialized_unit_scanned(world):
    number = collect_order_at_sh(world)
    collect = world.client("cashier_sh").post
    before = everything()
    refused(collect(f"/sales/orders/{number}/collect", {"serials": []}), 422, "serial_required")
    refused(
        collect(f"/sales/orders/{number}/collect", {"serials": [shelf(world, "MI6-64")[0]]}),
        422,
        "serial_wrong_sku",
    )
    refused(
        collect(f"/sales/orders/{number}/collect", {"serials": shelf(world, "CAM-C300")}),
        422,
        "serials_mismatch",
    )
    refused(collect(f"/sales/orders/{number}/collect", {"serials": ["NOPE"]}), 404, "unknown_serial")
    other = SerialUnit.objects.filter(
        location_id=world.locations["WH-CN-SH"], sku=world.skus["CAM-C300"]
    ).first()
    refused(
        collect(f"/sales/orders/{number}/collect", {"serials": [other.serial]}),
        409,
        "serial_at_another_location",
    )
    assert everything() == before
    scanned = shelf(world, "CAM-C300")[-1]
    done = collect(f"/sales/orders/{number}/collect", {"serials": [scanned]})
    assert done.status_code == 200, done.content
    assert {line["sku"]: line["serials"] for line in done.json()["lines"]} == {
        "CAM-C300": [scanned],
        "CABLE-C": [],
    }


# --- returns at the till --------------------------------------------------------------------------


def test_a_return_at_the_till_takes_back_only_scanned_units_of_that_line(world):
    phones = shelf(world, "MI6-64")[:2]
    sale = till(
        world,
        {
            "lines": [
                {"sku": "MI6-64", "quantity": 1, "serials": phones[:1]},
                {"sku": "CABLE-C", "quantity": 1},
            ]
        },
    )
    other_sale = till(world, {"serials": phones[1:]}).json()
    lines = {line["sku"]: line["id"] for line in sale.json()["lines"]}
    number = sale.json()["number"]
    camera = shelf(world, "CAM-C300")[0]

    def take_back(line: str, serials: list[str], quantity: int = 1):
        body = {
            "store_code": "SH-001",
            "lines": [{"line_id": lines[line], "quantity": quantity, "serials": serials}],
        }
        return world.client("cashier_sh").post(f"/sales/orders/{number}/returns", body)

    before = everything()
    refused(take_back("MI6-64", []), 422, "serial_required")
    refused(take_back("MI6-64", ["NOPE"]), 404, "unknown_serial")
    refused(take_back("MI6-64", [camera]), 422, "serial_wrong_sku")
    refused(take_back("MI6-64", other_sale["lines"][0]["serials"]), 422, "serial_not_on_order")
    refused(take_back("MI6-64", phones[:1] * 2, quantity=2), 422, "duplicate_serial")
    refused(take_back("MI6-64", phones[:1], quantity=2), 422, "serials_mismatch")
    refused(take_back("CABLE-C", phones[:1]), 422, "sku_not_serialized")
    assert everything() == before
    assert take_back("MI6-64", phones[:1]).status_code == 201
    assert SerialUnit.objects.get(serial=phones[0]).status == "in_stock"
    refused(take_back("MI6-64", phones[:1]), 409, "serial_already_returned")
