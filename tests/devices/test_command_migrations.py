"""Migration 0010 gives every command still open its ``OpenCommand`` row, and only those; 0011 marks
the open commands already sent for their last time, which then time out as before."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from millet.devices import services as devices
from millet.devices.models import Command, OpenCommand

BEFORE, AFTER = ("devices", "0009_command_hot_handout"), ("devices", "0010_open_commands")
MARKED = ("devices", "0011_open_command_out_of_attempts")


def _online_camera(fleet):
    """Alice's camera, online: the device both migrations' commands go to, and its owner."""
    (cam,) = fleet.sell("alice")
    devices.set_presence(cam.device_id, True, timezone.now())
    return cam, fleet.actor("alice")


@pytest.mark.django_db(transaction=True)  # migrations run outside a test's transaction
def test_commands_open_before_0010_are_open_after_it(fleet, migrate):
    cam, alice = _online_camera(fleet)
    answered = devices.request_set(alice, cam.device_id, {"on": True})
    sent = devices.request_set(alice, cam.device_id, {"night-vision": 1})
    devices.commands_to_send(timezone.now())
    queued = devices.request_set(alice, cam.device_id, {"on": False})
    devices.acknowledge_command(cam.device_id, answered.command_id, "ok", {})
    migrate(BEFORE)  # the open rows go with their table
    migrate(AFTER)
    rows = set(OpenCommand.objects.values_list("command_id", "expires_at"))
    assert rows == {(sent.pk, sent.expires_at), (queued.pk, queued.expires_at)}


@pytest.mark.django_db(transaction=True)
def test_open_commands_out_of_attempts_before_0011_are_marked_and_time_out_after_it(fleet, migrate):
    cam, alice = _online_camera(fleet)
    last = devices.request_set(alice, cam.device_id, {"on": True})
    more = devices.request_set(alice, cam.device_id, {"night-vision": 1})
    Command.objects.filter(pk=last.pk).update(max_attempts=1)
    t0 = timezone.now()
    devices.commands_to_send(t0)  # last's only attempt, more's first of five
    queued = devices.request_set(alice, cam.device_id, {"on": False})
    Command.objects.filter(pk=queued.pk).update(max_attempts=0)  # never sent: never times out
    migrate(AFTER)  # the marks go with their column
    migrate(MARKED)
    marks = dict(OpenCommand.objects.values_list("command_id", "out_of_attempts"))
    assert marks == {last.pk: True, more.pk: False, queued.pk: False}
    devices.commands_to_send(t0 + timedelta(seconds=11))
    states = dict(Command.objects.values_list("pk", "status"))
    assert (states[last.pk], states[more.pk], states[queued.pk]) == ("failed", "sent", "queued")
