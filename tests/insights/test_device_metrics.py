"""Devices connected per model and per firmware, and the failure rate per production batch (issue
13's device metrics), from real devices provisioned, sold, updated, returned and claimed for
through the domains' services; rebuilt from scratch they equal the live rollups."""

from __future__ import annotations

import hashlib
import json
from datetime import timedelta
from decimal import Decimal

import pytest
from django.test import Client
from django.utils import timezone, translation

from millet.accounts.actor import SYSTEM, actor_for_user
from millet.core.errors import Forbidden, Unprocessable
from millet.devices import services as devices
from millet.insights.metrics import METRICS
from millet.insights.models import Rollup
from millet.insights.services import (
    breakdown,
    catch_up,
    create_goal,
    device_scope_names,
    rebuild,
    record_devices_connected,
    snapshot_devices,
    trend,
)
from millet.insurance import services as insurance
from millet.inventory.models import SerialUnit
from millet.sales import services as sales
from tests.devices.conftest import C300, C360, c360, fleet  # noqa: F401  (fixtures)


def _rollups() -> set[tuple]:
    return set(Rollup.objects.values_list("series", "scope", "day", "currency", "amount"))


def _update_firmware(version: str, units: int) -> None:
    """Upload ``version`` for the C300 and let a staged rollout update ``units`` online units, each
    acknowledging the command as its firmware would."""
    devices.upload_firmware(SYSTEM, model_urn=C300, version="1.0.0", url="https://fw.test/1.0.0.bin",
                            sha256=hashlib.sha256(b"1.0.0").hexdigest(), size=1024)  # fmt: skip
    image = devices.upload_firmware(
        SYSTEM, model_urn=C300, version=version, url=f"https://fw.test/{version}.bin",
        sha256=hashlib.sha256(version.encode()).hexdigest(), size=1024,
    )  # fmt: skip
    devices.start_rollout(
        SYSTEM, image.pk, steps=[units * 100 // 7, 100], rate_per_minute=100, min_finished=1
    )
    now = timezone.now()
    devices.advance_rollouts(now)
    for out in devices.commands_to_send(now):
        devices.acknowledge_command(out.device_id, json.loads(out.payload)["id"], "ok", {"progress": 100})


def test_devices_connected_per_model_and_firmware(fleet, c360):  # noqa: F811
    cameras = [p.device_id for p in fleet.provisioned.values()]
    others = devices.provision_batch(
        model_urn=C360, serials=["C360T0001", "C360T0002"], batch="B17", actor=SYSTEM
    )
    for device_id in cameras + [others[0].device_id]:  # the second C360 never comes online
        devices.set_presence(device_id, True, timezone.now())
    _update_firmware("1.1.0", 2)
    assert snapshot_devices() == 8
    connected, today = METRICS["devices_connected"], timezone.now().date()
    by_model = breakdown(connected, "model", today, today)
    assert [(r.name, r.figure.value) for r in by_model] == [(C300, 7), (C360, 1)]
    by_firmware = breakdown(connected, "firmware", today, today)
    assert [(r.name, r.figure.value) for r in by_firmware] == [
        (f"{C300}@1.0.0", 5),
        (f"{C300}@1.1.0", 2),
        (f"{C360}@1.0.0", 1),
    ]
    assert trend(connected, f"model:{C360}", today, today).figure.value == 1

    devices.set_presence(others[0].device_id, False, timezone.now())  # the model goes dark
    assert snapshot_devices() == 7  # taken again the same day, it replaces that day's
    assert trend(connected, f"model:{C360}", today, today).figure.value == 0
    assert [(r.name, r.figure.value) for r in breakdown(connected, "model", today, today)][-1] == (C360, 0)
    live = _rollups()
    rebuild()  # a snapshot cannot be taken again: the rebuild keeps them
    assert _rollups() == live

    with translation.override("en"):
        names = device_scope_names([f"model:{C300}", f"firmware:{C360}@1.0.0", "batch:B17", "market:CN"])
    assert names == {
        f"model:{C300}": "Mi Home Camera",  # the product sold with the model
        f"firmware:{C360}@1.0.0": "Mi Home Security Camera 360, firmware 1.0.0",  # no product: the model
        "batch:B17": "B17",
    }
    with translation.override("zh-hans"):
        assert device_scope_names([f"firmware:{C300}@1.1.0"]) == {
            f"firmware:{C300}@1.1.0": "Mi Home Camera，固件 1.1.0"
        }
    with pytest.raises(Unprocessable) as no_goal:
        create_goal(
            actor=SYSTEM, title="C300s", metric="devices_connected", scope_kind="model", scope_value="c300",
            target=Decimal(10), starts_on=today, due_on=today + timedelta(days=9),
            owner_id=fleet.world.users["staff"].pk,
        )  # fmt: skip
    assert no_goal.value.code == "invalid_scope"


@pytest.fixture
def batches(world, django_capture_on_commit_callbacks):
    """The camera units in stock made in two production batches: serial -> batch."""
    serials = list(
        SerialUnit.objects.filter(sku__code="CAM-C300").order_by("pk").values_list("serial", flat=True)
    )
    made = {}
    with django_capture_on_commit_callbacks(execute=True):
        for batch, part in (("B1701", serials[:4]), ("B1702", serials[4:])):
            devices.provision_batch(model_urn=C300, serials=part, batch=batch, actor=SYSTEM)
            made |= dict.fromkeys(part, batch)
    return made


def _sell(world, capture, user: str, quantity: int) -> tuple[str, int, list[str]]:
    """A web order of cameras, paid and shipped: (number, its line id, the serials handed over)."""
    with capture(execute=True):
        order = sales.place_order(
            actor_for_user(world.users[user]), market="CN", lines=[sales.LineRequest("CAM-C300", quantity)],
            payment_token="tok_ok",
        )  # fmt: skip
        sales.fulfil_order(SYSTEM, order.number)
    return order.number, order.lines.get().pk, [u.serial for u in sales.sold_units(SYSTEM, order.number)]


def _returned(world, capture, number: str, line: int, serial: str, reason: str) -> None:
    """The buyer asks to return one unit for ``reason``; staff approve it and receive it."""
    buyer = actor_for_user(world.users["alice"])
    with capture(execute=True):
        asked = sales.request_return(buyer, number, lines=[sales.ReturnRequest(line, 1)], reason=reason)
        sales.decide_return(SYSTEM, asked.pk, approve=True)
        sales.receive_return(SYSTEM, asked.pk, warehouse_code="WH-CN-SH", serials={line: [serial]})


def _claimed(world, number: str, serial: str, peril: str) -> None:
    """bob insures the unit, files a claim for ``peril`` and a handler approves it."""
    bob = actor_for_user(world.users["bob"])
    policy = insurance.buy_policy(bob, number, serial, "CAM-CARE", payment_token="tok_ok")
    claim = insurance.submit_claim(
        bob, policy.number, peril=peril, incident_at=timezone.now(), amount="150.00"
    )
    insurance.decide_claim(SYSTEM, claim.number, approve=True)


def test_the_failure_rate_per_production_batch(world, batches, django_capture_on_commit_callbacks):
    capture = django_capture_on_commit_callbacks
    insurance.create_plan(
        SYSTEM, code="CAM-CARE", name="Camera care", sku_code="CAM-C300", term_months=12,
        perils=["breakdown", "accidental_damage"],
        prices=[insurance.PriceInput("CN", "19.00", "300.00", "10.00")],
    )  # fmt: skip
    alice_order, alice_line, alice_units = _sell(world, capture, "alice", 3)
    bob_order, _line, bob_units = _sell(world, capture, "bob", 2)
    _returned(world, capture, alice_order, alice_line, alice_units[0], "defective")  # failed
    _returned(world, capture, alice_order, alice_line, alice_units[1], "changed_mind")  # not a failure
    _claimed(world, bob_order, bob_units[0], "breakdown")  # failed
    _claimed(world, bob_order, bob_units[1], "accidental_damage")  # dropped: not the batch's fault
    catch_up()

    sold = alice_units + bob_units
    failed = {alice_units[0], bob_units[0]}
    expected = {}
    for batch in ("B1701", "B1702"):
        units = [s for s in sold if batches[s] == batch]
        if units:
            rate = Decimal(100 * len(failed & set(units))) / len(units)
            expected[batch] = rate.quantize(Decimal("0.1"))
    assert set(expected) == {
        "B1701",
        "B1702",
    }  # the warehouse's five: four of the first batch, one of the second
    rate, today = METRICS["batch_failure_rate"], timezone.now().date()
    assert trend(rate, "company", today, today).figure.value == Decimal("40.0")  # 2 of 5 units sold
    rows = breakdown(rate, "batch", today, today)
    assert {r.name: r.figure.value for r in rows} == expected
    assert trend(rate, "company", today - timedelta(days=9), today - timedelta(days=1)).figure.value is None

    live = _rollups()
    Rollup.objects.filter(series__startswith="batch_").delete()
    rebuild()
    assert _rollups() == live

    customer = actor_for_user(world.users["alice"])
    for refused in (
        lambda: sales.defective_returned_serials(customer),
        lambda: insurance.breakdown_claim_serials(customer),
        lambda: devices.batch_sales(customer, failed=failed),
    ):
        with pytest.raises(Forbidden):
            refused()

    staff = Client()
    staff.force_login(world.users["staff"])
    staff.cookies["django_language"] = "en"
    question = {"metric": "batch_failure_rate", "by": "batch", "start": today, "end": today}
    page = staff.get("/insights/", question)
    assert page.status_code == 200
    table = page.content.decode().split('id="drill-caption"')[1]
    assert "B1701" in table and "B1702" in table
    api = staff.get("/api/insights/figures", question).json()
    assert {f["name"]: Decimal(f["figure"]["value"]) for f in api} == expected


@pytest.mark.django_db
def test_a_past_days_count_from_an_older_record_is_a_snapshot_rebuild_keeps(world):
    """The letter's "over 50 million" on 31 December 2016: staff record it once; bad counts, today
    or a day to come are a 422, and a customer a 403; nothing is written by a refusal."""
    connected, day = METRICS["devices_connected"], timezone.now().date() - timedelta(days=400)
    record_devices_connected(actor=SYSTEM, day=day, total=50_000_000)
    record_devices_connected(actor=SYSTEM, day=day, total=50_000_001)  # a correction replaces it
    assert trend(connected, "company", day, day).figure.value == 50_000_001
    for total, when in ((-1, day), (True, day), (10**12 + 1, day), (1, day + timedelta(days=400))):
        with pytest.raises(Unprocessable) as refused:
            record_devices_connected(actor=SYSTEM, day=when, total=total)
        assert refused.value.code == "invalid_snapshot"
    with pytest.raises(Forbidden):
        record_devices_connected(actor=actor_for_user(world.users["alice"]), day=day, total=1)
    rebuild()
    assert trend(connected, "company", day, day).figure.value == 50_000_001
