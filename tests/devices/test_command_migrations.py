"""Migration 0010 gives every command still open its ``OpenCommand`` row, and only those."""

from __future__ import annotations

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.utils import timezone

from millet.devices import services as devices
from millet.devices.models import OpenCommand

BEFORE, AFTER = ("devices", "0009_command_hot_handout"), ("devices", "0010_open_commands")


def migrate(target: tuple[str, str]) -> None:
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()  # what the last run applied or unapplied
    executor.migrate([target])


@pytest.mark.django_db(transaction=True)  # migrations run outside a test's transaction
def test_commands_open_before_0010_are_open_after_it(fleet):
    (cam,) = fleet.sell("alice")
    devices.set_presence(cam.device_id, True, timezone.now())
    alice = fleet.actor("alice")
    answered = devices.request_set(alice, cam.device_id, {"on": True})
    sent = devices.request_set(alice, cam.device_id, {"night-vision": 1})
    devices.commands_to_send(timezone.now())
    queued = devices.request_set(alice, cam.device_id, {"on": False})
    devices.acknowledge_command(cam.device_id, answered.command_id, "ok", {})
    migrate(BEFORE)  # the open rows go with their table
    migrate(AFTER)
    rows = set(OpenCommand.objects.values_list("command_id", "expires_at"))
    assert rows == {(sent.pk, sent.expires_at), (queued.pk, queued.expires_at)}
