"""The automation and rollout clocks: one broken record is set aside, the others run.

A broken record is simulated the way it happens in production: a row whose content no longer works
(a trigger without its time, a home whose time zone the system does not know, a rollout without
steps), written straight into the table as an old release or a hand edit would have left it.
"""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime, timedelta

import pytest
from django.core.management import call_command
from django.utils import timezone

from millet.accounts.actor import SYSTEM
from millet.devices import services as devices
from millet.devices.models import Automation, Home, Notification, Rollout, RolloutTarget
from millet.devices.telemetry.models import DeadLetter
from millet.devices.telemetry.services import ingest_stats
from tests.devices.conftest import C300

pytestmark = pytest.mark.django_db

DUE = datetime(2026, 4, 30, 23, 31, tzinfo=UTC)  # Friday 07:31 in Shanghai


@pytest.fixture
def homes(fleet, c360):
    """Alice's camera (hall) and C360 (door, with a motion event) in two homes in Shanghai."""
    (hall,) = fleet.sell("alice")
    (door,) = devices.provision_batch(actor=SYSTEM, model_urn=c360.urn, serials=["C360-CLOCK"], batch="B1")
    devices.record_sale(
        order_number="CN1-C", customer_id=fleet.world.users["alice"].pk, serials=["C360-CLOCK"]
    )
    for device_id in (hall.device_id, door.device_id):
        devices.set_presence(device_id, True, timezone.now())
    alice = fleet.actor("alice")
    return (
        devices.create_home(alice, "Flat", "Asia/Shanghai"),
        devices.create_home(alice, "Cabin", "Asia/Shanghai"),
        hall.device_id,
        door.device_id,
    )


def automation(fleet, home, name: str, **kw) -> Automation:
    return devices.create_automation(
        fleet.actor("alice"),
        home.pk,
        name=name,
        conditions=[],
        **kw,
        actions=[{"type": "notify", "message": name}],
    )


def test_a_broken_time_automation_is_set_aside_and_the_others_fire(fleet, homes):
    flat, cabin, _, _ = homes
    at_730 = {"trigger_type": "time", "trigger": {"at": "07:30", "days": ["fri"]}}
    good = automation(fleet, flat, "good", **at_730)
    no_time = automation(fleet, flat, "no time", **at_730)
    elsewhere = automation(fleet, cabin, "no zone", **at_730)
    also_good = automation(fleet, flat, "also good", **at_730)
    Automation.objects.filter(pk=no_time.pk).update(trigger={"days": ["fri"]})
    Home.objects.filter(pk=cabin.pk).update(time_zone="Mars/Olympus_Mons")

    assert devices.run_time_automations(DUE) == 2
    fired = set(
        Notification.objects.filter(message__in=["good", "also good"]).values_list("message", flat=True)
    )
    assert fired == {"good", "also good"}
    assert set(Automation.objects.filter(enabled=False).values_list("pk", flat=True)) == {
        no_time.pk,
        elsewhere.pk,
    }
    told = Notification.objects.filter(message__contains="was turned off").values_list("message", flat=True)
    assert sorted(told) == [
        "Automation 'no time' was turned off: it could not run (KeyError).",
        "Automation 'no zone' was turned off: it could not run (ZoneInfoNotFoundError).",
    ]
    letters = DeadLetter.objects.filter(source="automations")
    assert sorted(letters.values_list("key", "reason")) == sorted(
        [
            (f"automation:{no_time.pk}", "automation_failed:KeyError"),
            (f"automation:{elsewhere.pk}", "automation_failed:ZoneInfoNotFoundError"),
        ]
    )
    stats = ingest_stats()
    assert stats["automation_failed:KeyError"] == 1 and stats["automation_failed:ZoneInfoNotFoundError"] == 1

    # Next week: the good ones fire again, the broken ones are not tried again.
    assert devices.run_time_automations(DUE + timedelta(days=7)) == 2
    assert DeadLetter.objects.filter(source="automations").count() == 2
    for rule in (good, also_good):
        rule.refresh_from_db()
        assert rule.fired_count == 2


def test_a_broken_event_automation_does_not_stop_the_others_on_the_same_event(fleet, homes):
    flat, _, hall, door = homes
    on_motion = {"trigger_type": "event", "trigger": {"device": door, "event": "motion"}}
    broken = automation(fleet, flat, "broken", **on_motion)
    good = automation(fleet, flat, "good", **on_motion)
    Automation.objects.filter(pk=broken.pk).update(trigger={"device": door})  # lost its event name
    devices.record_event(door, "motion", {"motion-detected": True}, timezone.now(), seq=1)
    assert Notification.objects.filter(message="good").count() == 1
    broken.refresh_from_db()
    good.refresh_from_db()
    assert not broken.enabled and good.enabled and good.fired_count == 1
    assert DeadLetter.objects.get(source="automations").reason == "automation_failed:KeyError"


def firmware(model: str, version: str):
    return devices.upload_firmware(
        SYSTEM,
        model_urn=model,
        version=version,
        url=f"https://fw.millet.local/{version}.bin",
        sha256=hashlib.sha256(f"{model}{version}".encode()).hexdigest(),
        size=1024,
    )


def test_a_broken_rollout_is_paused_and_set_aside_and_the_others_advance(fleet, c360, capsys):
    cameras = [p.device_id for p in fleet.provisioned.values()]
    doors = [
        d.device_id
        for d in devices.provision_batch(actor=SYSTEM, model_urn=c360.urn, serials=["D1", "D2"], batch="B")
    ]
    for device_id in cameras + doors:
        devices.set_presence(device_id, True, timezone.now())
    broken = devices.start_rollout(SYSTEM, firmware(C300, "2.0.0").pk, steps=[100])
    good = devices.start_rollout(SYSTEM, firmware(c360.urn, "2.0.0").pk, steps=[100])
    Rollout.objects.filter(pk=broken.pk).update(steps=[])  # no step to take: IndexError

    assert devices.advance_rollouts(timezone.now()) == 1
    assert RolloutTarget.objects.filter(rollout=good, status="updating").count() == len(doors)
    broken.refresh_from_db()
    assert broken.status == "paused" and broken.reason.startswith("paused: could not advance (IndexError")
    assert not RolloutTarget.objects.filter(rollout=broken).exclude(status="pending").exists()
    letter = DeadLetter.objects.get(source="rollouts")
    assert (letter.key, letter.reason) == (f"rollout:{broken.pk}", "rollout_failed:IndexError")
    assert ingest_stats()["rollout_failed:IndexError"] == 1

    # The clock command goes on too, and does not meet the paused rollout again.
    call_command("advance_rollouts")
    assert "advanced 1 rollouts" in capsys.readouterr().out
    assert DeadLetter.objects.filter(source="rollouts").count() == 1
