"""Automations per home: property, event and time triggers, conditions, and the owner-controls rule."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from django.db import OperationalError, connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from millet.accounts.actor import SYSTEM
from millet.core.errors import Forbidden, NotFound, Unprocessable
from millet.devices import services as devices
from millet.devices.models import Command, Notification
from millet.devices.services import automations
from tests.factories import make_member

pytestmark = pytest.mark.django_db


@pytest.fixture
def home(fleet, c360):
    """Alice owns a C300 (the hallway "light" here) and a C360 with a motion event; bob owns a C300."""
    (hall,) = fleet.sell("alice")
    (bobs,) = fleet.sell("bob")
    (door,) = devices.provision_batch(model_urn=c360.urn, serials=["C360-D"], batch="B1", actor=SYSTEM)
    devices.record_sale(order_number="CN1-X", customer_id=fleet.world.users["alice"].pk, serials=["C360-D"])
    for d in (hall, bobs, door):
        devices.set_presence(d.device_id, True, timezone.now())
    alice = fleet.actor("alice")
    place = devices.create_home(alice, "Flat", "Asia/Shanghai")
    return place, hall.device_id, door.device_id, bobs.device_id


def automation(fleet, home_id, **kw):
    return devices.create_automation(fleet.actor("alice"), home_id, **{"name": "a", "conditions": [], **kw})


def test_event_trigger_after_22h_turns_on_the_hallway_light(fleet, home):
    place, hall, door, _ = home
    automation(
        fleet,
        place.pk,
        trigger_type="event",
        trigger={"device": door, "event": "motion"},
        conditions=[{"type": "time", "after": "22:00", "before": "06:00"}],
        actions=[
            {"type": "set", "device": hall, "props": {"on": True}},
            {"type": "notify", "message": "Someone at the door"},
        ],
    )
    noon = datetime(2026, 5, 1, 4, 0, tzinfo=UTC)  # 12:00 in Shanghai
    devices.record_event(door, "motion", {"motion-detected": True}, noon)
    assert not Command.objects.exists()
    night = datetime(2026, 5, 1, 15, 0, tzinfo=UTC)  # 23:00 in Shanghai
    devices.record_event(door, "motion", {"motion-detected": True}, night)
    (command,) = Command.objects.all()
    assert command.device.device_id == hall and command.params["props"] == {"on": True}
    assert [n.message for n in Notification.objects.filter(user=fleet.world.users["alice"])] == [
        "Someone at the door"
    ]
    assert [n.message for n in devices.notifications_for(fleet.actor("alice"))] == ["Someone at the door"]


def test_property_trigger_fires_on_the_edge_with_a_property_condition(fleet, home):
    place, hall, door, _ = home
    automation(
        fleet,
        place.pk,
        trigger_type="property",
        trigger={"device": door, "property": "motion-detected", "op": "==", "value": True},
        conditions=[{"device": hall, "property": "on", "op": "==", "value": False}],
        actions=[{"type": "action", "device": door, "action": "take-snapshot"}],
    )
    now = timezone.now()
    devices.report_state(hall, {"on": False}, now)
    devices.report_state(door, {"motion-detected": True}, now)
    devices.report_state(door, {"motion-detected": True, "on": True}, now + timedelta(seconds=1))  # no edge
    assert Command.objects.filter(kind="action").count() == 1
    devices.report_state(door, {"motion-detected": False}, now + timedelta(seconds=2))
    devices.report_state(hall, {"on": True}, now + timedelta(seconds=2))
    devices.report_state(door, {"motion-detected": True}, now + timedelta(seconds=3))  # condition fails
    assert Command.objects.filter(kind="action").count() == 1


def test_a_shadow_round_reads_its_devices_automations_once_and_fires_each_devices_own(fleet, home):
    """The ingest worker's round (``report_many``) asked the database for each reporting device's
    automations, one query per device, most of them finding none; now one query serves the round,
    and each device's automations still fire on its own edge."""
    place, hall, door, bobs = home
    automation(
        fleet,
        place.pk,
        trigger_type="property",
        trigger={"device": door, "property": "motion-detected", "op": "==", "value": True},
        actions=[{"type": "action", "device": door, "action": "take-snapshot"}],
    )
    now = timezone.now()
    round_of = {
        hall: {"on": devices.Reading(True, now, 1)},
        door: {"motion-detected": devices.Reading(True, now, 1)},
        bobs: {"on": devices.Reading(False, now, 1)},
    }
    with CaptureQueriesContext(connection) as round_queries:
        assert devices.report_many(round_of) == ([], {})
    reads = [q["sql"] for q in round_queries.captured_queries if q["sql"].startswith("SELECT")]
    assert sum('FROM "devices_automation"' in read for read in reads) == 1
    assert Command.objects.filter(kind="action").count() == 1
    again = {door: {"motion-detected": devices.Reading(True, now + timedelta(seconds=1), 2)}}
    assert devices.report_many(again) == ([], {})  # no edge: nothing more
    assert Command.objects.filter(kind="action").count() == 1


def test_a_failure_in_one_devices_automations_is_that_devices_alone(fleet, home, monkeypatch):
    """The system failing while one device's automation fires (its refusals are set aside by
    ``_guarded``) is handed back for that device, which the worker queues again; the other devices'
    automations in the round still fire."""
    place, hall, door, _ = home
    for device in (hall, door):
        automation(
            fleet,
            place.pk,
            trigger_type="property",
            trigger={"device": device, "property": "on", "op": "==", "value": True},
            actions=[{"type": "notify", "message": device}],
        )
    fire = automations.fire

    def lost_for_hall(rule, at):
        if rule.trigger["device"] == hall:
            raise OperationalError("connection lost")
        return fire(rule, at)

    monkeypatch.setattr(automations, "fire", lost_for_hall)
    now = timezone.now()
    left, failures = devices.report_many({d: {"on": devices.Reading(True, now, 1)} for d in (hall, door)})
    assert left == [] and list(failures) == [hall] and isinstance(failures[hall], OperationalError)
    assert [n.message for n in Notification.objects.all()] == [door]
    devices.report_state(hall, {"on": False}, now + timedelta(seconds=1), seq=2)
    with pytest.raises(OperationalError):  # one device's report raises what its automations raised
        devices.report_state(hall, {"on": True}, now + timedelta(seconds=2), seq=3)


def test_time_trigger_fires_once_a_day_in_the_homes_time_zone(fleet, home):
    place, hall, _, _ = home
    rule = automation(
        fleet,
        place.pk,
        trigger_type="time",
        trigger={"at": "07:30", "days": ["fri"]},
        actions=[{"type": "set", "device": hall, "props": {"night-vision": 1}}],
    )
    friday = datetime(2026, 5, 1, 23, 31, tzinfo=UTC)  # Saturday 07:31 in Shanghai: wrong day
    assert devices.run_time_automations(friday) == 0
    due = datetime(2026, 4, 30, 23, 31, tzinfo=UTC)  # Friday 07:31 in Shanghai
    assert devices.run_time_automations(due) == 1
    assert devices.run_time_automations(due + timedelta(minutes=1)) == 0
    rule.refresh_from_db()
    assert rule.fired_count == 1
    devices.set_automation_enabled(fleet.actor("alice"), rule.pk, False)
    assert devices.run_time_automations(due + timedelta(days=7)) == 0


def test_an_automation_may_only_touch_devices_its_owner_controls(fleet, home):
    place, hall, door, bobs = home
    with pytest.raises(Forbidden):
        automation(
            fleet,
            place.pk,
            trigger_type="time",
            trigger={"at": "07:00"},
            actions=[{"type": "set", "device": bobs, "props": {"on": False}}],
        )
    with pytest.raises(Forbidden):
        automation(
            fleet,
            place.pk,
            trigger_type="event",
            trigger={"device": bobs, "event": "motion"},
            actions=[{"type": "notify", "message": "x"}],
        )
    with pytest.raises(NotFound):  # bob cannot add automations to alice's home
        devices.create_automation(
            fleet.actor("bob"),
            place.pk,
            name="x",
            trigger_type="time",
            trigger={"at": "07:00"},
            conditions=[],
            actions=[{"type": "notify", "message": "x"}],
        )
    # A share granted for control lets alice's automation command bob's device, until it is withdrawn.
    make_member(fleet.actor("bob"), bobs, "alice", "control")
    rule = automation(
        fleet,
        place.pk,
        trigger_type="time",
        trigger={"at": "07:00"},
        actions=[{"type": "set", "device": bobs, "props": {"on": False}}],
    )
    devices.unshare_device(fleet.actor("bob"), bobs, "alice")
    assert devices.run_time_automations(datetime(2026, 4, 30, 23, 1, tzinfo=UTC)) == 1
    assert not Command.objects.filter(device__device_id=bobs).exists()
    assert rule.pk


@pytest.mark.parametrize(
    ("trigger_type", "trigger", "actions"),
    [
        ("time", {"at": "25:00"}, [{"type": "notify", "message": "x"}]),
        ("time", {"at": "07:00", "days": ["someday"]}, [{"type": "notify", "message": "x"}]),
        ("time", {"at": "07:00"}, []),
        ("time", {"at": "07:00"}, [{"type": "reboot"}]),
        ("time", {"at": "07:00"}, [{"type": "notify", "message": ""}]),
        ("property", {"property": "on"}, [{"type": "notify", "message": "x"}]),
        ("weather", {}, [{"type": "notify", "message": "x"}]),
    ],
)
def test_bad_automations_are_refused(fleet, home, trigger_type, trigger, actions):
    with pytest.raises((Unprocessable, Forbidden)):
        automation(fleet, home[0].pk, trigger_type=trigger_type, trigger=trigger, actions=actions)


@pytest.mark.parametrize("bad", [{"name": "motion"}, ["motion"]])
@pytest.mark.parametrize("place", ["event", "op", "action"])
def test_an_object_or_a_list_for_a_name_is_a_422_and_stores_nothing(fleet, home, place, bad):
    """An event, comparison or action name was looked up in a dict as sent: a JSON object or list
    there raised TypeError (unhashable), a 500, where a string names nothing known (422)."""
    where, hall, door, _ = home
    body = {
        "name": "odd",
        "trigger_type": "event",
        "trigger": {"device": door, "event": bad if place == "event" else "motion"},
        "conditions": [
            {"device": hall, "property": "on", "op": bad if place == "op" else "==", "value": True}
        ],
        "actions": [
            {"type": "action", "device": door, "action": bad if place == "action" else "take-snapshot"}
        ],
    }
    answer = fleet.world.client("alice").post(f"/devices/homes/{where.pk}/automations", body)
    assert (answer.status_code, answer.json()["error"]) == (422, "invalid_automation")
    assert devices.list_automations(fleet.actor("alice"), where.pk) == []


def test_automations_over_http(fleet, home):
    place, hall, door, _ = home
    alice, bob = fleet.world.client("alice"), fleet.world.client("bob")
    body = {
        "name": "morning",
        "trigger_type": "property",
        "trigger": {"device": door, "property": "night-vision", "op": "==", "value": 9},
        "actions": [{"type": "set", "device": hall, "props": {"on": True}}],
    }
    assert alice.post(f"/devices/homes/{place.pk}/automations", body).status_code == 422
    body["trigger"]["value"] = 1
    made = alice.post(f"/devices/homes/{place.pk}/automations", body)
    assert made.status_code == 201, made.content
    assert bob.post(f"/devices/homes/{place.pk}/automations", body).status_code == 404
    assert bob.get(f"/devices/homes/{place.pk}/automations").status_code == 404
    assert [a["name"] for a in alice.get(f"/devices/homes/{place.pk}/automations").json()] == ["morning"]
    rule = made.json()["id"]
    assert bob.put(f"/devices/automations/{rule}", {"enabled": False}).status_code == 404
    assert alice.put(f"/devices/automations/{rule}", {"enabled": False}).json()["enabled"] is False
    assert alice.post("/devices/homes", {"name": "Cabin", "time_zone": "Mars/Base"}).status_code == 422
    assert [h["name"] for h in alice.get("/devices/homes").json()] == ["Flat"]
    assert alice.put(f"/devices/{hall}/home", {"home_id": place.pk}).json()["home_id"] == place.pk
    assert bob.put(f"/devices/{hall}/home", {"home_id": place.pk}).status_code == 404
    assert bob._send("delete", f"/devices/automations/{rule}").status_code == 404
    assert alice._send("delete", f"/devices/automations/{rule}").status_code == 204
