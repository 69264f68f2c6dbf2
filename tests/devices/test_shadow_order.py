"""An older report never rolls the reported shadow back: per property, device time then seq decide.

Reports arrive out of order (an offline backlog flushed after newer messages, QoS 1 redelivery). The
reported shadow keeps, per property, the newest value by (device time, seq), whatever the delivery
order; an older report is history only, and nothing that reacts to a change reacts to it.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from millet.accounts.actor import SYSTEM
from millet.catalog import services as catalog
from millet.demo.data import DEVICE_MODELS
from millet.devices import services as devices
from millet.devices.models import Notification, Shadow
from millet.devices.services.reported import stamp_of

pytestmark = pytest.mark.django_db

T0 = datetime(2026, 5, 1, 12, 0, tzinfo=UTC)


@pytest.fixture
def vacuum(db):
    """One provisioned robot vacuum (``status``, ``battery-level``, ``fan-level``)."""
    name, title, services = DEVICE_MODELS["vacuum"]
    catalog.create_device_model(name, title, {"services": services}, actor=SYSTEM)
    (unit,) = devices.provision_batch(actor=SYSTEM, model_urn=name, serials=["VAC-0001"], batch="B1")
    return unit.device_id


def test_the_issues_example_an_older_report_goes_to_history_not_to_the_shadow(vacuum):
    s = 40
    devices.report_state(vacuum, {"battery-level": 80}, T0, seq=s + 2)
    # 3 s later the device flushes its offline backlog: an older reading with a lower seq.
    devices.report_state(vacuum, {"battery-level": 20}, T0 - timedelta(seconds=60), seq=s + 1)
    shadow = devices.shadow_of(vacuum)
    assert shadow.reported == {"battery-level": 80}
    assert shadow.reported_at == T0
    assert shadow.reported_stamps == {"battery-level": list(stamp_of(T0, s + 2))}


def test_each_property_keeps_its_own_newest_value(vacuum):
    devices.report_state(vacuum, {"battery-level": 80, "status": 2}, T0, seq=10)
    devices.report_state(vacuum, {"status": 3}, T0 + timedelta(seconds=5), seq=11)
    devices.report_state(vacuum, {"battery-level": 79, "status": 1}, T0 + timedelta(seconds=2), seq=12)
    # battery from seq 12 (T0+2 s is newer than T0); status from seq 11 (T0+5 s beats T0+2 s).
    assert devices.shadow_of(vacuum).reported == {"battery-level": 79, "status": 3}
    # At the same device time the higher seq wins, and an equal stamp (a redelivery) changes nothing.
    devices.report_state(vacuum, {"status": 2}, T0 + timedelta(seconds=5), seq=13)
    devices.report_state(vacuum, {"status": 4}, T0 + timedelta(seconds=5), seq=9)
    assert devices.shadow_of(vacuum).reported["status"] == 2
    version = devices.shadow_of(vacuum).reported_version
    devices.report_state(vacuum, {"status": 1}, T0, seq=1)
    assert devices.shadow_of(vacuum).reported_version == version  # an older report moves nothing


def test_a_round_of_many_devices_merges_as_one_by_one(vacuum):
    """``report_many`` (the ingest worker's shadow round, one transaction): each device's newer
    readings go in, older ones move nothing, an unknown device is handed back for one by one."""
    name, _, _ = DEVICE_MODELS["vacuum"]
    (other,) = devices.provision_batch(actor=SYSTEM, model_urn=name, serials=["VAC-0002"], batch="B1")
    devices.report_state(vacuum, {"battery-level": 80}, T0, seq=5)
    older = {"battery-level": devices.Reading(20, T0 - timedelta(seconds=60), 4)}
    newer = {"status": devices.Reading(3, T0 + timedelta(seconds=1), 6)}
    first = {"battery-level": devices.Reading(55, T0, 1), "status": devices.Reading(2, T0, 1)}
    pending = {vacuum: {**older, **newer}, other.device_id: first, "VAC-NOSUCHUNIT": newer}
    assert devices.report_many(pending) == (["VAC-NOSUCHUNIT"], {})
    shadow = devices.shadow_of(vacuum)
    assert shadow.reported == {"battery-level": 80, "status": 3}
    assert shadow.reported_at == T0 + timedelta(seconds=1)
    assert devices.shadow_of(other.device_id).reported == {"battery-level": 55, "status": 2}
    version = shadow.reported_version
    assert devices.report_many({vacuum: older}) == ([], {})  # nothing newer: nothing moves
    assert devices.shadow_of(vacuum).reported_version == version


REPORTS = st.lists(
    st.tuples(
        st.integers(0, 5),  # device time, in seconds after T0 (collisions wanted: seq decides them)
        st.dictionaries(st.sampled_from(["battery-level", "status"]), st.integers(0, 4), min_size=1),
    ),
    min_size=1,
    max_size=8,
)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(reports=REPORTS, data=st.data())
def test_any_delivery_order_gives_the_per_property_newest(vacuum, reports, data):
    """Each report gets a unique seq; delivered in any order and in any batches (the ingestion worker
    coalesces a batch with ``newest_readings`` before the shadow merges it), the shadow ends with,
    per property, the value of the newest report by (device time, seq)."""
    Shadow.objects.filter(device__device_id=vacuum).update(reported={}, reported_stamps={}, reported_at=None)
    messages = [(T0 + timedelta(seconds=t), seq, props) for seq, (t, props) in enumerate(reports, start=1)]
    expected: dict = {}
    for _, _, props in sorted(messages, key=lambda m: (m[0], m[1])):
        expected.update(props)
    order = data.draw(st.permutations(messages))
    cuts = sorted(data.draw(st.sets(st.integers(1, max(1, len(order) - 1)), max_size=3)))
    for start, end in zip([0, *cuts], [*cuts, len(order)], strict=True):
        batch: dict = {}
        for at, seq, props in order[start:end]:
            batch = devices.newest_readings(batch, {k: devices.Reading(v, at, seq) for k, v in props.items()})
        devices.report_readings(vacuum, batch)
    shadow = devices.shadow_of(vacuum)
    assert shadow.reported == expected
    newest_at = max(at for at, _, _ in messages)
    assert shadow.reported_at == newest_at


@pytest.fixture
def alices_camera(fleet):
    (cam,) = fleet.sell("alice")
    devices.set_presence(cam.device_id, True, timezone.now())
    place = devices.create_home(fleet.actor("alice"), "Flat", "UTC")
    return place, cam.device_id


def test_a_property_automation_fires_only_on_a_genuinely_newer_value(fleet, alices_camera):
    place, cam = alices_camera
    devices.create_automation(
        fleet.actor("alice"),
        place.pk,
        name="camera on",
        trigger_type="property",
        trigger={"device": cam, "property": "on", "op": "==", "value": True},
        conditions=[],
        actions=[{"type": "notify", "message": "camera switched on"}],
    )
    devices.report_state(cam, {"on": False}, T0, seq=5)
    devices.report_state(cam, {"on": True}, T0 - timedelta(minutes=5), seq=4)  # backlog: old news
    assert not Notification.objects.exists()
    assert devices.shadow_of(cam).reported == {"on": False}
    devices.report_state(cam, {"on": True}, T0 + timedelta(seconds=1), seq=6)
    assert Notification.objects.count() == 1


def test_an_older_event_is_history_and_fires_no_automation(fleet, c360):
    (door,) = devices.provision_batch(actor=SYSTEM, model_urn=c360.urn, serials=["C360-E"], batch="B1")
    devices.record_sale(order_number="CN1-E", customer_id=fleet.world.users["alice"].pk, serials=["C360-E"])
    devices.set_presence(door.device_id, True, timezone.now())
    place = devices.create_home(fleet.actor("alice"), "Flat", "UTC")
    devices.create_automation(
        fleet.actor("alice"),
        place.pk,
        name="motion",
        trigger_type="event",
        trigger={"device": door.device_id, "event": "motion"},
        conditions=[],
        actions=[{"type": "notify", "message": "motion"}],
    )
    devices.record_event(door.device_id, "motion", {"motion-detected": True}, T0, seq=8)
    devices.record_event(door.device_id, "motion", {"motion-detected": True}, T0 - timedelta(hours=1), seq=7)
    assert Notification.objects.count() == 1
    devices.record_event(
        door.device_id, "motion", {"motion-detected": True}, T0 + timedelta(seconds=1), seq=9
    )
    assert Notification.objects.count() == 2


def test_an_acknowledged_set_never_overwrites_a_reported_value(fleet):
    (cam,) = fleet.sell("alice")
    devices.set_presence(cam.device_id, True, timezone.now())
    alice = fleet.actor("alice")
    devices.report_state(cam.device_id, {"on": False}, T0, seq=3)
    command = devices.request_set(alice, cam.device_id, {"on": True, "night-vision": 1})
    devices.commands_to_send(timezone.now())
    devices.acknowledge_command(cam.device_id, command.command_id, "ok", {})
    shadow = devices.get_shadow(alice, cam.device_id)
    # "on" keeps the device's own report; "night-vision", never reported, is filled in from the ack.
    assert shadow.reported == {"on": False, "night-vision": 1}
    assert shadow.delta == {"on": True}
    # The device's next report, even one stamped just after the last, replaces the filled-in value.
    devices.report_state(
        cam.device_id, {"on": True, "night-vision": 0}, T0 + timedelta(milliseconds=1), seq=4
    )
    assert devices.get_shadow(alice, cam.device_id).reported == {"on": True, "night-vision": 0}


def test_claim_evidence_counts_reports_by_device_time_not_by_arrival(vacuum):
    """A backlog flushed after a theft (old device times, new arrival) is not "kept reporting"."""
    from millet.devices.telemetry import storage

    theft = T0
    arrived = theft + timedelta(hours=5)
    backlog = [
        storage.Row(vacuum, "t", seq, theft - timedelta(minutes=seq), arrived, {"battery-level": 50})
        for seq in (1, 2, 3)
    ]
    storage.insert_rows(backlog)
    activity = devices.device_activity_for_serial(
        "VAC-0001", start=theft - timedelta(days=1), end=theft + timedelta(days=1), reports_after=theft
    )
    assert activity.reports_after == 0 and activity.last_report_at is None
    storage.insert_rows([storage.Row(vacuum, "t", 4, theft + timedelta(minutes=1), arrived, {"status": 1})])
    activity = devices.device_activity_for_serial(
        "VAC-0001", start=theft - timedelta(days=1), end=theft + timedelta(days=1), reports_after=theft
    )
    assert activity.reports_after == 1
