"""Provisioning, secrets, revocation and the spec checks ingestion relies on."""

from __future__ import annotations

import pytest
from django.db import IntegrityError

from millet.accounts.actor import SYSTEM
from millet.catalog import services as catalog
from millet.core.errors import Conflict, Forbidden, NotFound, Unprocessable
from millet.devices import services as devices
from millet.devices.events import device_credentials_changed
from millet.devices.models import Device
from tests.concurrency import deleted_meanwhile
from tests.devices.conftest import C300

pytestmark = pytest.mark.django_db


def test_provisioning_gives_each_unit_an_id_from_model_and_serial_and_stores_only_a_hash(fleet):
    serial, identity = next(iter(fleet.provisioned.items()))
    device = Device.objects.get(serial=serial)
    assert identity.device_id == devices.device_id_for(C300, serial) == device.device_id
    assert len(identity.device_id) <= 23 and identity.device_id.startswith("d")
    assert identity.secret not in device.secret_hash and len(identity.secret) >= 40
    assert devices.check_device_secret(identity.device_id, identity.secret)
    assert not devices.check_device_secret(identity.device_id, identity.secret + "x")
    assert not devices.check_device_secret("dnope", identity.secret)
    assert not devices.check_device_secret(identity.device_id, None)
    assert devices.model_urn_for(identity.device_id) == C300
    assert set(devices.property_keys_for(identity.device_id)) == {"on", "night-vision"}
    assert dict(devices.all_device_credentials())[identity.device_id] is True


def test_provisioning_sends_credentials_once_on_commit(world, commit):
    seen = []

    def listener(sender, **kw):
        seen.append(kw)

    device_credentials_changed.connect(listener)
    try:
        with commit():
            issued = devices.provision_batch(model_urn=C300, serials=["S-1", "S-2"], batch="B9", actor=SYSTEM)
        assert [(s["device_id"], s["secret"], s["enabled"]) for s in seen] == [
            (p.device_id, p.secret, True) for p in issued
        ]
    finally:
        device_credentials_changed.disconnect(listener)


@pytest.mark.parametrize(
    ("kwargs", "error"),
    [
        ({"model_urn": "urn:nope", "serials": ["A"], "batch": "B"}, NotFound),
        ({"model_urn": C300, "serials": [], "batch": "B"}, Unprocessable),
        ({"model_urn": C300, "serials": ["A", "A"], "batch": "B"}, Unprocessable),
        ({"model_urn": C300, "serials": ["x" * 33], "batch": "B"}, Unprocessable),
        ({"model_urn": C300, "serials": ["A"], "batch": ""}, Unprocessable),
    ],
)
def test_provisioning_refuses_bad_input(world, kwargs, error):
    with pytest.raises(error):
        devices.provision_batch(**kwargs, actor=SYSTEM)


def test_a_serial_is_provisioned_once(fleet):
    serial = next(iter(fleet.provisioned))
    with pytest.raises(Conflict):
        devices.provision_batch(model_urn=C300, serials=["NEW-1", serial], batch="B2", actor=SYSTEM)
    assert not Device.objects.filter(serial="NEW-1").exists()


def test_revocation_refuses_the_secret_and_tells_the_broker_at_once(fleet, commit, actor_of):
    identity = next(iter(fleet.provisioned.values()))
    seen = []

    def listener(sender, **kw):
        seen.append(kw)

    device_credentials_changed.connect(listener)
    try:
        with pytest.raises(Forbidden):
            devices.revoke_device(actor_of(fleet.world.users["alice"]), identity.device_id)
        with commit():
            devices.revoke_device(SYSTEM, identity.device_id)
    finally:
        device_credentials_changed.disconnect(listener)
    assert seen == [
        {
            "signal": device_credentials_changed,
            "device_id": identity.device_id,
            "secret": None,
            "enabled": False,
        }
    ]
    assert not devices.check_device_secret(identity.device_id, identity.secret)
    assert dict(devices.all_device_credentials())[identity.device_id] is False
    with pytest.raises(Conflict):
        devices.revoke_device(SYSTEM, identity.device_id)
    rotated = devices.rotate_secret(SYSTEM, identity.device_id)
    assert devices.check_device_secret(identity.device_id, rotated.secret)
    assert not devices.check_device_secret(identity.device_id, identity.secret)


def test_telemetry_and_events_are_checked_against_the_model_spec(fleet, c360):
    camera = next(iter(fleet.provisioned.values())).device_id
    assert devices.validate_telemetry(camera, {"on": True, "night-vision": 1}) == {
        "on": True,
        "night-vision": 1,
    }
    for bad in ({"on": 1}, {"night-vision": 7}, {"zoom": 1}, {}, []):
        with pytest.raises(Unprocessable):
            devices.validate_telemetry(camera, bad)
    with pytest.raises(NotFound):
        devices.validate_telemetry("dunknown", {"on": True})
    (other,) = devices.provision_batch(model_urn=c360.urn, serials=["C360-1"], batch="B1", actor=SYSTEM)
    devices.validate_event(other.device_id, "motion", {"motion-detected": True})
    with pytest.raises(Unprocessable):
        devices.validate_event(other.device_id, "motion", {"on": True})
    with pytest.raises(Unprocessable):
        devices.validate_event(other.device_id, "explode", {})
    assert devices.device_spec_for(other.device_id).services[0].siid == 2


@pytest.mark.django_db(transaction=True)  # the foreign key refuses the units when their transaction commits
def test_units_of_a_device_model_deleted_meanwhile_are_not_said_to_be_provisioned(c360, monkeypatch):
    """The back office deletes a device model while a batch of it is provisioned: the units' foreign
    key refuses them at commit. None of the serials was provisioned, so the answer is that error,
    not 409 ``already_provisioned`` (which told the factory its run was done)."""
    monkeypatch.setattr(catalog, "get_device_model", deleted_meanwhile(catalog.get_device_model))
    with pytest.raises(IntegrityError):
        devices.provision_batch(actor=SYSTEM, model_urn=c360.urn, serials=["GONE1", "GONE2"], batch="B")
    assert not Device.objects.exists()
