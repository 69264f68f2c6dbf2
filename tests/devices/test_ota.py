"""Staged OTA rollouts: steps, rate limit, progress from acks, automatic abort, rollback."""

from __future__ import annotations

import hashlib
import json
from datetime import timedelta

import pytest
from django.db import IntegrityError
from django.utils import timezone

from millet.accounts.actor import SYSTEM
from millet.catalog import services as catalog
from millet.core.errors import Conflict, Forbidden, Unprocessable
from millet.devices import services as devices
from millet.devices.models import Command, Device, Firmware, OpenCommand, Rollout, RolloutTarget
from tests.concurrency import deleted_meanwhile
from tests.devices.conftest import C300

pytestmark = pytest.mark.django_db


def image(version: str, model: str = C300):
    return devices.upload_firmware(
        SYSTEM,
        model_urn=model,
        version=version,
        url=f"https://fw.millet.local/c300/{version}.bin",
        sha256=hashlib.sha256(version.encode()).hexdigest(),
        size=1024,
    )


@pytest.fixture
def online(fleet):
    ids = [p.device_id for p in fleet.provisioned.values()]
    for device_id in ids:
        devices.set_presence(device_id, True, timezone.now())
    return ids


def deliver(now, status="ok", fail=()):
    """Act as the firmware of every online device: acknowledge each OTA command handed out."""
    sent = devices.commands_to_send(now)
    for out in sent:
        body = json.loads(out.payload)
        devices.acknowledge_command(out.device_id, body["id"], "progress", {"progress": 50})
        devices.acknowledge_command(
            out.device_id, body["id"], "error" if out.device_id in fail else status, {"progress": 100}
        )
    return sent


def test_staged_rollout_respects_steps_and_rate_limit_and_completes(fleet, online):
    image("1.0.0")
    new = image("1.1.0")
    assert len(online) == 7
    rollout = devices.start_rollout(SYSTEM, new.pk, steps=[30, 100], rate_per_minute=2, min_finished=3)
    assert RolloutTarget.objects.filter(rollout=rollout).count() == 7
    now = timezone.now()
    devices.advance_rollouts(now)  # step 1 is ceil(30% of 7) = 3 units, at most 2 a minute
    assert len(deliver(now)) == 2
    devices.advance_rollouts(now + timedelta(seconds=10))
    assert deliver(now + timedelta(seconds=10)) == []  # the rate limit holds the third
    later = now + timedelta(seconds=61)
    devices.advance_rollouts(later)
    assert len(deliver(later)) == 1
    devices.advance_rollouts(later)  # step 1 finished: move to 100%
    rollout.refresh_from_db()
    assert rollout.step_index == 1
    for minute in range(2, 6):
        t = now + timedelta(minutes=minute, seconds=2)
        devices.advance_rollouts(t)
        deliver(t)
    devices.advance_rollouts(now + timedelta(minutes=7))
    rollout.refresh_from_db()
    assert rollout.status == "completed"
    assert set(Device.objects.values_list("firmware_version", flat=True)) == {"1.1.0"}
    assert devices.rollout_counts(rollout)["succeeded"] == 7
    assert set(RolloutTarget.objects.values_list("progress", flat=True)) == {100}


def test_failure_rate_over_the_threshold_aborts_and_rollback_restores_the_old_version(fleet, online):
    image("1.0.0")
    bad = image("2.0.0")
    rollout = devices.start_rollout(
        SYSTEM, bad.pk, steps=[100], rate_per_minute=4, failure_threshold="0.3", min_finished=4
    )
    now = timezone.now()
    devices.advance_rollouts(now)
    first_wave = [
        t.device.device_id for t in RolloutTarget.objects.filter(status="updating").select_related("device")
    ]
    deliver(now, fail=set(first_wave[:2]))  # 2 of 4 fail: 50% > 30%
    devices.advance_rollouts(now + timedelta(seconds=1))
    rollout.refresh_from_db()
    assert rollout.status == "aborted" and "failure rate 2/4" in rollout.reason
    counts = devices.rollout_counts(rollout)
    assert (counts["succeeded"], counts["failed"], counts["cancelled"]) == (2, 2, 3)
    assert Device.objects.filter(faults=1).count() == 2
    batches = {b["batch"]: b for b in devices.failures_by_batch(SYSTEM)}
    assert batches["B2017-01"]["failed"] == 2 and batches["B2017-01"]["devices"] == 7
    (back,) = devices.rollback_rollout(SYSTEM, rollout.pk)
    assert back.rollback_of_id == rollout.pk and back.firmware.version == "1.0.0"
    devices.advance_rollouts(now + timedelta(minutes=2))
    deliver(now + timedelta(minutes=2))
    devices.advance_rollouts(now + timedelta(minutes=2))
    back.refresh_from_db()
    assert back.status == "completed"
    assert set(Device.objects.values_list("firmware_version", flat=True)) == {"1.0.0"}
    with pytest.raises(Conflict):
        devices.rollback_rollout(SYSTEM, rollout.pk)


def test_unanswered_updates_count_as_failures(fleet, online):
    new = image("1.2.0")
    rollout = devices.start_rollout(SYSTEM, new.pk, steps=[100], rate_per_minute=100, min_finished=7)
    now = timezone.now()
    devices.advance_rollouts(now)
    devices.commands_to_send(now)
    devices.commands_to_send(now + timedelta(days=2))  # past the OTA command's expiry
    assert RolloutTarget.objects.filter(rollout=rollout, status="failed").count() == 7
    devices.advance_rollouts(now + timedelta(days=2))
    rollout.refresh_from_db()
    assert rollout.status == "aborted"


def test_an_aborted_rollout_cancels_its_commands_and_their_open_rows(fleet, online):
    rollout = devices.start_rollout(SYSTEM, image("1.3.0").pk, steps=[100], rate_per_minute=100)
    devices.advance_rollouts(timezone.now())
    assert OpenCommand.objects.count() == Command.objects.filter(kind="ota").count() == 7
    devices.abort_rollout(SYSTEM, rollout.pk)
    assert set(Command.objects.values_list("status", flat=True)) == {"cancelled"}
    assert not OpenCommand.objects.exists()


def test_rollout_rules_and_permissions(fleet, online, actor_of):
    new = image("1.3.0")
    alice = actor_of(fleet.world.users["alice"])
    with pytest.raises(Forbidden):
        devices.start_rollout(alice, new.pk, steps=[100])
    for steps in ([], [50], [50, 40, 100], [0, 100], [True, 100]):
        with pytest.raises(Unprocessable):
            devices.start_rollout(SYSTEM, new.pk, steps=steps)
    with pytest.raises(Unprocessable):
        devices.start_rollout(SYSTEM, new.pk, steps=[100], failure_threshold="1.5")
    rollout = devices.start_rollout(SYSTEM, new.pk, steps=[10, 100])
    with pytest.raises(Conflict):
        devices.start_rollout(SYSTEM, new.pk, steps=[100])  # one active rollout per model
    devices.pause_rollout(SYSTEM, rollout.pk, True)
    devices.advance_rollouts()
    assert not RolloutTarget.objects.filter(status="updating").exists()
    devices.pause_rollout(SYSTEM, rollout.pk, False)
    devices.abort_rollout(SYSTEM, rollout.pk)
    assert Rollout.objects.get(pk=rollout.pk).status == "aborted"
    with pytest.raises(Conflict):
        devices.abort_rollout(SYSTEM, rollout.pk)
    with pytest.raises(Conflict):
        image("1.3.0")
    with pytest.raises(Unprocessable):
        devices.upload_firmware(
            SYSTEM, model_urn=C300, version="1.4", url="http://x", sha256="0" * 64, size=1
        )


def test_firmware_and_rollouts_over_http(fleet, online):
    staff, alice = fleet.world.client("staff"), fleet.world.client("alice")
    body = {"model_urn": C300, "version": "3.0.0", "url": "https://fw/3.bin", "sha256": "a" * 64, "size": 10}
    assert alice.post("/devices/firmware", body).status_code == 403
    made = staff.post("/devices/firmware", body)
    assert made.status_code == 201
    assert staff.post("/devices/firmware", {**body, "sha256": "Z" * 64}).status_code == 422
    started = staff.post("/devices/rollouts", {"firmware_id": made.json()["id"], "steps": [50, 100]})
    assert started.status_code == 201 and started.json()["counts"]["pending"] == 7
    rid = started.json()["id"]
    assert alice.get(f"/devices/rollouts/{rid}").status_code == 403
    assert staff.post(f"/devices/rollouts/{rid}/pause").json()[0]["status"] == "paused"
    assert staff.post(f"/devices/rollouts/{rid}/pause").status_code == 409
    assert staff.post(f"/devices/rollouts/{rid}/explode").status_code == 422
    assert staff.post(f"/devices/rollouts/{rid}/abort").json()[0]["status"] == "aborted"
    assert staff.post(f"/devices/rollouts/{rid}/rollback").status_code == 409  # nothing was updated
    assert staff.get("/devices/rollouts/999999").status_code == 404
    assert [f["version"] for f in staff.get("/devices/firmware").json()] == ["3.0.0"]


@pytest.mark.django_db(transaction=True)  # the foreign key refuses the image when its transaction commits
def test_firmware_for_a_device_model_deleted_meanwhile_is_not_said_to_exist(c360, monkeypatch):
    """The back office deletes a device model while an image is uploaded for it: the image's foreign
    key refuses it at commit. The model has no firmware of that version, so the answer is that
    error, not 409 ``duplicate_firmware``."""
    monkeypatch.setattr(catalog, "get_device_model", deleted_meanwhile(catalog.get_device_model))
    with pytest.raises(IntegrityError):
        image("1.0.0", model=c360.urn)
    assert not Firmware.objects.exists()
