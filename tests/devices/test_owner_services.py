"""The owner app's services: sharing by invitation (no account is revealed, read-only members cannot
command), an owner starting an available firmware update, and notifications of updates."""

from __future__ import annotations

import json

import pytest
from django.utils import timezone

from millet.accounts.actor import SYSTEM
from millet.core.errors import Conflict, Forbidden, NotFound, Unprocessable
from millet.devices import services as devices
from millet.devices.models import DeviceInvitation, Notification, RolloutTarget
from tests.devices.test_ota import image
from tests.factories import make_member

pytestmark = pytest.mark.django_db


@pytest.fixture
def alices(fleet):
    (unit,) = fleet.sell("alice")
    devices.set_presence(unit.device_id, True, timezone.now())
    return unit.device_id


def test_an_invitation_accepted_makes_a_member_with_its_role(fleet, alices):
    alice, bob = fleet.actor("alice"), fleet.actor("bob")
    devices.invite(alice, alices, "bob", "read")
    (waiting,) = devices.invitations_for(bob)
    assert (waiting.device_id, waiting.invited_by, waiting.role) == (alices, "alice", "read")
    assert devices.list_devices(bob) == []  # nothing before the answer
    devices.answer_invitation(bob, waiting.invitation_id, True)
    assert [(d.device_id, d.role) for d in devices.list_devices(bob)] == [(alices, "read")]
    assert devices.shares_of(alice, alices) == [("bob", "read")]
    with pytest.raises(Forbidden):  # a read-only member gets no control
        devices.request_set(bob, alices, {"on": True})
    with pytest.raises(NotFound):  # answered once
        devices.answer_invitation(bob, waiting.invitation_id, False)
    assert devices.invitations_for(bob) == []


def test_the_owner_learns_nothing_about_whether_an_account_exists(fleet, alices):
    alice = fleet.actor("alice")
    email = fleet.world.users["bob"].email
    logins = ("nobody-here", "bob", "nobody@example.com", "alice")
    sent = [devices.invite(alice, alices, login, "control") for login in logins]
    assert [(s.login, s.role) for s in sent] == [(login, "control") for login in logins]
    assert [s.login for s in devices.invitations_sent(alice, alices)] == list(reversed(logins))
    reaching = DeviceInvitation.objects.exclude(invitee=None)
    assert [i.login for i in reaching] == ["bob"]  # not alice herself, nobody for the unknown logins
    again = devices.invite(alice, alices, " bob ", "read")  # the same login: the pending one is updated
    assert (again.invitation_id, again.role) == (sent[1].invitation_id, "read")
    if email:  # by email too: a second invitation, listed like any other
        devices.invite(alice, alices, email.upper(), "read")
        assert len(devices.invitations_for(fleet.actor("bob"))) == 2
    with pytest.raises(Unprocessable):
        devices.invite(alice, alices, "bob", "owner")
    with pytest.raises(NotFound):  # not bob's device to share
        devices.invite(fleet.actor("bob"), alices, "alice", "read")
    with pytest.raises(NotFound):
        devices.invitations_sent(fleet.actor("bob"), alices)


def test_the_owner_revokes_a_pending_invitation(fleet, alices):
    alice, bob = fleet.actor("alice"), fleet.actor("bob")
    sent = devices.invite(alice, alices, "bob", "read")
    with pytest.raises(NotFound):  # only the owner
        devices.revoke_invitation(bob, alices, sent.invitation_id)
    devices.revoke_invitation(alice, alices, sent.invitation_id)
    assert devices.invitations_for(bob) == [] and devices.invitations_sent(alice, alices) == []
    with pytest.raises(NotFound):  # gone: neither revoked again nor accepted
        devices.revoke_invitation(alice, alices, sent.invitation_id)
    with pytest.raises(NotFound):
        devices.answer_invitation(bob, sent.invitation_id, True)


def test_a_declined_invitation_or_someone_elses_gives_no_access(fleet, alices):
    alice, bob = fleet.actor("alice"), fleet.actor("bob")
    devices.invite(alice, alices, "bob", "control")
    (waiting,) = devices.invitations_for(bob)
    with pytest.raises(NotFound):
        devices.answer_invitation(alice, waiting.invitation_id, True)
    devices.answer_invitation(bob, waiting.invitation_id, False)
    assert devices.list_devices(bob) == []


def test_the_owner_starts_an_available_update_and_hears_when_it_is_done(fleet, alices):
    alice = fleet.actor("alice")
    image("1.0.0")
    with pytest.raises(Conflict):  # nothing newer than what it runs
        devices.update_device(alice, alices)
    image("1.1.0")
    status = devices.firmware_status(alice, alices)
    assert (status.current, status.available, status.update) == ("1.0.0", "1.1.0", None)
    with pytest.raises(NotFound):
        devices.update_device(fleet.actor("bob"), alices)
    devices.update_device(alice, alices)
    with pytest.raises(Conflict):
        devices.update_device(alice, alices)
    assert devices.firmware_status(alice, alices).update["state"] == "pending"
    now = timezone.now()
    devices.advance_rollouts(now)
    (out,) = devices.commands_to_send(now)
    command_id = json.loads(out.payload)["id"]
    devices.acknowledge_command(alices, command_id, "progress", {"progress": 40})
    status = devices.firmware_status(alice, alices)
    assert (status.update["state"], status.update["progress"]) == ("updating", 40)
    devices.acknowledge_command(alices, command_id, "ok", {})
    status = devices.firmware_status(alice, alices)
    assert (status.current, status.available, status.update["state"]) == ("1.1.0", None, "succeeded")
    assert RolloutTarget.objects.get().status == "succeeded"
    (note,) = Notification.objects.filter(user=fleet.world.users["alice"])
    assert "1.1.0" in note.message


def test_a_member_sees_the_firmware_but_cannot_start_an_update(fleet, alices):
    make_member(fleet.actor("alice"), alices, "bob", "control")
    image("1.0.0")
    image("1.2.0")
    assert devices.firmware_status(fleet.actor("bob"), alices).available == "1.2.0"
    with pytest.raises(Forbidden):
        devices.update_device(fleet.actor("bob"), alices)
    assert devices.firmware_status(SYSTEM, alices).current == "1.0.0"
