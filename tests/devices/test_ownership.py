"""Binding to the buyer on first connection or by QR claim, sharing, and unbinding on return/resale."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from millet.accounts.actor import SYSTEM
from millet.core.errors import Conflict, Forbidden, NotFound, Unprocessable
from millet.devices import services as devices
from millet.devices.events import device_data_wiped
from millet.devices.models import Automation, Command, Device, DeviceInvitation, DeviceShare, Shadow, UnitSale
from millet.sales import services as sales
from tests.factories import make_member

pytestmark = pytest.mark.django_db


def connect(device_id: str, at=None) -> None:
    devices.set_presence(device_id, True, at or timezone.now())


def test_first_connection_of_a_sold_unit_binds_it_to_the_buyer(fleet):
    (cam,) = fleet.sell("alice")
    sale = UnitSale.objects.get(serial=cam.serial)
    assert sale.customer == fleet.world.users["alice"] and sale.region == "CN"
    assert Device.objects.get(device_id=cam.device_id).owner is None  # sold, not yet switched on
    connect(cam.device_id)
    device = Device.objects.get(device_id=cam.device_id)
    assert device.owner == fleet.world.users["alice"] and device.activated_at and device.online
    assert device.region == "CN"
    info = devices.device_for_viewer(fleet.actor("alice"), cam.device_id)
    assert info.role == "owner" and info.online
    with pytest.raises(NotFound):
        devices.device_for_viewer(fleet.actor("bob"), cam.device_id)
    assert devices.device_for_viewer(SYSTEM, cam.device_id).role == "staff"
    # The box's claim token was consumed by the binding: used, it answers as a wrong one.
    with pytest.raises(NotFound):
        devices.claim_device(fleet.actor("alice"), cam.device_id, cam.claim_token)


def test_an_unsold_unit_neither_binds_nor_can_be_claimed(fleet):
    unsold = next(iter(fleet.provisioned.values()))
    connect(unsold.device_id)
    assert Device.objects.get(device_id=unsold.device_id).owner is None
    with pytest.raises(Conflict) as refused:
        devices.claim_device(fleet.actor("alice"), unsold.device_id, unsold.claim_token)
    assert refused.value.code == "not_sold"


def test_qr_claim_binds_a_unit_sold_without_a_named_customer_and_is_one_time(fleet):
    cam = next(iter(fleet.provisioned.values()))
    devices.record_sale(order_number="CN170101-ABCD", customer_id=None, serials=[cam.serial])
    with pytest.raises(Unprocessable):
        devices.claim_device(fleet.actor("bob"), cam.device_id, "short")
    # A wrong token answers exactly as an unknown device does, so device ids cannot be probed.
    with pytest.raises(NotFound) as wrong:
        devices.claim_device(fleet.actor("bob"), cam.device_id, "wrong-token-123")
    with pytest.raises(NotFound) as unknown:
        devices.claim_device(fleet.actor("bob"), "no-such-device", "wrong-token-123")
    assert (wrong.value.code, wrong.value.detail) == (unknown.value.code, unknown.value.detail)
    info = devices.claim_device(fleet.actor("bob"), cam.device_id, cam.claim_token)
    assert info.owner_id == fleet.world.users["bob"].pk and info.role == "owner"
    with pytest.raises(NotFound):
        devices.claim_device(fleet.actor("alice"), cam.device_id, cam.claim_token)


def test_a_unit_sold_to_someone_else_cannot_be_claimed(fleet):
    (cam,) = fleet.sell("alice")
    with pytest.raises(Forbidden) as refused:
        devices.claim_device(fleet.actor("bob"), cam.device_id, cam.claim_token)
    assert refused.value.code == "sold_to_other"
    assert devices.claim_device(fleet.actor("alice"), cam.device_id, cam.claim_token).role == "owner"


def test_family_sharing_read_or_control(fleet):
    (cam,) = fleet.sell("alice")
    connect(cam.device_id)
    alice, bob = fleet.actor("alice"), fleet.actor("bob")
    make_member(alice, cam.device_id, "bob", "read")
    assert devices.device_for_viewer(bob, cam.device_id).role == "read"
    with pytest.raises(Forbidden):
        devices.request_set(bob, cam.device_id, {"on": False})
    make_member(alice, cam.device_id, "bob", "control")  # invited again with control
    assert devices.request_set(bob, cam.device_id, {"on": False}).status == "queued"
    with pytest.raises(Forbidden):
        devices.invite(bob, cam.device_id, "cashier_sh", "read")  # only the owner shares
    with pytest.raises(Forbidden):
        devices.shares_of(bob, cam.device_id)
    assert devices.shares_of(alice, cam.device_id) == [("bob", "control")]
    assert [d.device_id for d in devices.list_devices(bob)] == [cam.device_id]
    for unknown in ("nobody", "cashier_sh"):  # no member and no account: the same answer
        with pytest.raises(NotFound) as refused:
            devices.unshare_device(alice, cam.device_id, unknown)
        assert refused.value.code == "unknown_share"
    devices.unshare_device(alice, cam.device_id, "bob")
    with pytest.raises(NotFound):
        devices.unshare_device(alice, cam.device_id, "bob")
    assert devices.list_devices(bob) == []


def test_return_unbinds_and_wipes_the_owners_data_then_resale_binds_the_new_buyer(fleet, commit):
    (cam,) = fleet.sell("alice")
    connect(cam.device_id)
    alice = fleet.actor("alice")
    make_member(alice, cam.device_id, "bob", "read")
    devices.invite(alice, cam.device_id, "nobody-yet", "read")
    devices.report_state(cam.device_id, {"on": True}, timezone.now())
    home = devices.create_home(alice, "Flat")
    automation = devices.create_automation(
        alice,
        home.pk,
        name="night",
        trigger_type="time",
        trigger={"at": "22:00"},
        conditions=[],
        actions=[{"type": "set", "device": cam.device_id, "props": {"night-vision": 1}}],
    )
    wiped = []

    def listener(sender, device_id, **kw):
        wiped.append(device_id)

    device_data_wiped.connect(listener)
    try:
        order = UnitSale.objects.get(serial=cam.serial).order_number
        with commit():
            placed = sales.get_order(SYSTEM, order)
            sales.return_order(
                SYSTEM,
                order,
                lines=[sales.ReturnRequest(placed.lines.get().pk, 1, (cam.serial,))],
                reason="faulty",
                warehouse_code="WH-CN-SH",
            )
    finally:
        device_data_wiped.disconnect(listener)
    device = Device.objects.get(device_id=cam.device_id)
    assert device.owner is None and device.faults == 1 and wiped == [cam.device_id]
    shadow = Shadow.objects.get(device=device)
    assert shadow.reported == {} and shadow.desired == {}
    assert shadow.reported_stamps == {} and shadow.reported_at is None
    assert not DeviceShare.objects.filter(device=device).exists()
    assert not DeviceInvitation.objects.filter(device=device).exists()
    assert not Automation.objects.filter(pk=automation.pk).exists()
    assert UnitSale.objects.get(serial=cam.serial).returned_at is not None
    with pytest.raises(NotFound):
        devices.get_shadow(alice, cam.device_id)
    # A returned unit is not sold any more: its new box token cannot claim it.
    token = devices.reissue_claim_token(SYSTEM, cam.device_id)
    with pytest.raises(Conflict):
        devices.claim_device(fleet.actor("bob"), cam.device_id, token)
    # Resold to bob: his next connection binds it to him.
    devices.record_sale(
        order_number="CN170102-XYZ", customer_id=fleet.world.users["bob"].pk, serials=[cam.serial]
    )
    devices.set_presence(cam.device_id, False, timezone.now())
    connect(cam.device_id)
    assert Device.objects.get(device_id=cam.device_id).owner == fleet.world.users["bob"]


def test_resale_of_a_bound_unit_wipes_the_previous_owner(fleet):
    (cam,) = fleet.sell("alice")
    connect(cam.device_id)
    devices.request_set(fleet.actor("alice"), cam.device_id, {"on": True})
    devices.record_sale(
        order_number="CN170103-Q", customer_id=fleet.world.users["bob"].pk, serials=[cam.serial]
    )
    device = Device.objects.get(device_id=cam.device_id)
    assert device.owner == fleet.world.users["bob"]  # online at the sale: bound at once
    assert not Command.objects.filter(device=device, status="queued").exists()


def test_owner_release_hands_back_a_fresh_claim_token(fleet):
    (cam,) = fleet.sell("alice")
    connect(cam.device_id)
    with pytest.raises(NotFound):
        devices.release_device(fleet.actor("bob"), cam.device_id)
    token = devices.release_device(fleet.actor("alice"), cam.device_id)
    assert Device.objects.get(device_id=cam.device_id).owner is None
    assert devices.claim_device(fleet.actor("bob"), cam.device_id, token).role == "owner"


def test_presence_ignores_stale_status(fleet):
    cam = next(iter(fleet.provisioned.values()))
    now = timezone.now()
    connect(cam.device_id, now)
    devices.set_presence(cam.device_id, False, now - timedelta(seconds=5))
    assert Device.objects.get(device_id=cam.device_id).online
    devices.set_presence(cam.device_id, False, now + timedelta(seconds=5))
    assert not Device.objects.get(device_id=cam.device_id).online


def test_many_statuses_in_one_call_do_what_one_by_one_does(fleet):
    """``set_presences`` (the ingest worker's batch of statuses): a sold unit binds, a stale status is
    ignored, an unknown device changes nothing and is handed back for the caller to count."""
    (sold,) = fleet.sell("alice")
    other = next(p for p in fleet.provisioned.values() if p.device_id != sold.device_id)
    now = timezone.now()
    connect(other.device_id, now)
    statuses = {sold.device_id: True, other.device_id: False, "CAMNOSUCHUNIT": True}
    assert devices.set_presences(statuses, now - timedelta(seconds=5)) == ["CAMNOSUCHUNIT"]
    bound = Device.objects.get(device_id=sold.device_id)
    assert bound.online and bound.owner == fleet.world.users["alice"]
    assert Device.objects.get(device_id=other.device_id).online  # its "offline" is older than its "online"
    assert devices.set_presences({other.device_id: False}, now + timedelta(seconds=5)) == []
    assert not Device.objects.get(device_id=other.device_id).online
    with pytest.raises(NotFound):
        devices.set_presence("CAMNOSUCHUNIT", True, now)
