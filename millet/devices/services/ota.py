"""OTA firmware: images per device model and staged rollouts that stop themselves when updates fail.

A rollout fixes its targets when it starts (every enabled unit of the model not on that version),
in a random order, so each percentage step is a random sample of the fleet. ``advance_rollouts``
(a tick, every few seconds) starts updates no faster than the rate limit, moves to the next step
once the current one has finished, and aborts when failures pass the threshold. A rollback is a new
rollout of each unit's previous version, to exactly the units the first one updated.

One broken rollout never stops the tick for the others: each advances in its own transaction, and
one that fails on its own content is paused with the error as its reason and set aside as a dead
letter (``rollout_failed:<error>``), so staff can look at it, fix it and resume it.
"""

from __future__ import annotations

import logging
import math
import random
import re
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal, InvalidOperation
from typing import TYPE_CHECKING

from django.db import transaction
from django.db.models import F
from django.utils import timezone

from millet.accounts.actor import Actor
from millet.catalog import services as catalog
from millet.core.errors import Conflict, NotFound, Unprocessable
from millet.core.faults import is_record_fault
from millet.core.integrity import taken_or_raise
from millet.devices.models import Command, Device, Firmware, Notification, Rollout, RolloutTarget
from millet.devices.services.ownership import OWN, READ, device_with_role

if TYPE_CHECKING:
    from millet.devices.services.commands import AnsweredCommand

VERSION_RE = re.compile(r"^[0-9A-Za-z][0-9A-Za-z.+_-]{0,31}$")
OTA_TTL = timedelta(hours=24)
OTA_RETRY_SECONDS = 120
OTA_ATTEMPTS = 3
ACTIVE = (Rollout.Status.RUNNING, Rollout.Status.PAUSED)
UNFINISHED = (RolloutTarget.Status.PENDING, RolloutTarget.Status.UPDATING)
log = logging.getLogger(__name__)


def upload_firmware(
    actor: Actor, *, model_urn: str, version: str, url: str, sha256: str, size: int, notes: str = ""
) -> Firmware:
    actor.require_staff()
    model = catalog.get_device_model(model_urn)
    if not isinstance(version, str) or not VERSION_RE.match(version):
        raise Unprocessable("version must be 1 to 32 of [0-9A-Za-z.+_-]", code="invalid_version")
    if not isinstance(sha256, str) or not re.fullmatch(r"[0-9a-f]{64}", sha256):
        raise Unprocessable("sha256 must be 64 lower-case hex digits", code="invalid_sha256")
    if not isinstance(url, str) or not url.startswith("https://") or len(url) > 300:
        raise Unprocessable("url must be an https URL of at most 300 characters", code="invalid_url")
    if not isinstance(size, int) or not 0 < size <= 2**34:
        raise Unprocessable("size must be 1 byte to 16 GiB", code="invalid_size")
    taken = Firmware.objects.filter(device_model=model, version=version)
    duplicate = Conflict(
        f"firmware {version} exists for this model", code="duplicate_firmware", facts={"version": version}
    )
    with taken_or_raise(taken, duplicate):  # a twin sent at once passed the check too: the version is unique
        return Firmware.objects.create(
            device_model=model,
            version=version,
            url=url,
            sha256=sha256,
            size=size,
            notes=(notes or "")[:2000],
        )


def list_firmware(actor: Actor, *, limit: int = 200) -> list[Firmware]:
    """The newest firmware images (staff)."""
    actor.require_staff()
    return list(Firmware.objects.order_by("-pk")[:limit])


def firmware_model_urns(images: Iterable[Firmware]) -> dict[int, str]:
    """Device model id -> its URN (the model URN devices report), for firmware images."""
    return catalog.device_model_urns(f.device_model_id for f in images)


def get_firmware(firmware_id: int) -> Firmware:
    firmware = Firmware.objects.filter(pk=firmware_id).first()
    if firmware is None:
        raise NotFound("unknown firmware", code="unknown_firmware")
    return firmware


def _steps(steps: object) -> list[int]:
    if (
        not isinstance(steps, list)
        or not 1 <= len(steps) <= 10
        or any(isinstance(s, bool) or not isinstance(s, int) or not 1 <= s <= 100 for s in steps)
        or any(b <= a for a, b in zip(steps, steps[1:], strict=False))
        or steps[-1] != 100
    ):
        raise Unprocessable("steps must be 1 to 10 rising percentages ending at 100", code="invalid_steps")
    return steps


def _threshold(value: object) -> Decimal:
    try:
        threshold = Decimal(str(value))
    except InvalidOperation:
        threshold = Decimal(-1)
    if not threshold.is_finite() or not 0 < threshold <= 1:
        raise Unprocessable("failure_threshold must be in (0, 1]", code="invalid_threshold")
    return threshold.quantize(Decimal("0.001"))


def _lock_model_rollouts(device_model_id: int) -> None:
    """Take the model's turn to start a rollout: its firmware rows, locked in id order. A rule read
    after this (one active rollout per model, one unfinished update per unit) holds until commit, as
    every other start waits here; without it, starts at once each saw none and went ahead. Taken
    before any device row: a rollout's targets key-share the devices they name."""
    list(
        Firmware.objects.select_for_update()
        .filter(device_model_id=device_model_id)
        .order_by("pk")
        .values_list("pk", flat=True)
    )


def _new_rollout(
    firmware: Firmware,
    devices: list[tuple[int, str]],
    *,
    steps,
    rate_per_minute,
    threshold,
    min_finished,
    by,
    rollback_of=None,
) -> Rollout:
    if not devices:
        raise Conflict("no device needs this firmware", code="nothing_to_update")
    # One rollout per model at a time, so their failure rates are not mixed; a rollback may overlap.
    active = Rollout.objects.filter(firmware__device_model_id=firmware.device_model_id, status__in=ACTIVE)
    if rollback_of is None and active.exists():
        raise Conflict("another rollout for this model is active", code="rollout_active")
    rollout = Rollout.objects.create(
        firmware=firmware,
        steps=steps,
        rate_per_minute=rate_per_minute,
        failure_threshold=threshold,
        min_finished=min_finished,
        created_by_id=by,
        rollback_of=rollback_of,
    )
    random.SystemRandom().shuffle(devices)
    RolloutTarget.objects.bulk_create(
        [RolloutTarget(rollout=rollout, device_id=pk, previous_version=v) for pk, v in devices],
        batch_size=1000,
    )
    return rollout


def start_rollout(
    actor: Actor,
    firmware_id: int,
    *,
    steps: list[int],
    rate_per_minute: int = 60,
    failure_threshold: object = "0.2",
    min_finished: int = 5,
) -> Rollout:
    actor.require_staff()
    if not isinstance(rate_per_minute, int) or not 1 <= rate_per_minute <= 100_000:
        raise Unprocessable("rate_per_minute must be 1 to 100000", code="invalid_rate")
    if not isinstance(min_finished, int) or not 1 <= min_finished <= 100_000:
        raise Unprocessable("min_finished must be 1 to 100000", code="invalid_min_finished")
    steps, threshold = _steps(steps), _threshold(failure_threshold)
    with transaction.atomic():
        firmware = get_firmware(firmware_id)
        _lock_model_rollouts(firmware.device_model_id)
        devices = list(
            Device.objects.filter(device_model_id=firmware.device_model_id, enabled=True)
            .exclude(firmware_version=firmware.version)
            .values_list("pk", "firmware_version")
        )
        return _new_rollout(
            firmware,
            devices,
            steps=steps,
            rate_per_minute=rate_per_minute,
            threshold=threshold,
            min_finished=min_finished,
            by=actor.user_id,
        )


@dataclass(frozen=True)
class FirmwareStatus:
    """One device's firmware as its owner and members see it.

    ``available`` is the newest image for its model when the device runs another version (else None);
    ``update`` is the device's part in the latest rollout that names it: ``state`` one of
    ``RolloutTarget.Status`` (pending, updating, succeeded, failed, cancelled, rolled_back), with
    the rollout's own ``rollout_state`` (running, paused, aborted, completed, rolled_back),
    ``version`` and ``progress`` in percent.
    """

    device_id: str
    current: str
    available: str | None
    available_notes: str
    update: dict | None


def _newest_firmware(device: Device) -> Firmware | None:
    return (
        Firmware.objects.filter(device_model_id=device.device_model_id).order_by("-created_at", "-pk").first()
    )


def firmware_status(actor: Actor, device_id: str) -> FirmwareStatus:
    """The device's firmware, what is available and how its update goes; ``NotFound`` for a stranger."""
    device = device_with_role(actor, device_id, READ)
    newest = _newest_firmware(device)
    available = newest if newest is not None and newest.version != device.firmware_version else None
    target = (
        RolloutTarget.objects.filter(device=device)
        .select_related("rollout__firmware")
        .order_by("-pk")
        .first()
    )
    update = None
    if target is not None:
        update = {
            "state": target.status,
            "rollout_state": target.rollout.status,
            "version": target.rollout.firmware.version,
            "progress": target.progress,
        }
    return FirmwareStatus(
        device.device_id,
        device.firmware_version,
        available.version if available else None,
        available.notes if available else "",
        update,
    )


def update_device(actor: Actor, device_id: str) -> Rollout:
    """The owner asks for the newest firmware now: a rollout of that image to this one unit, which
    the rollout tick sends like any other (and which stops itself if it fails).

    Raises ``NotFound`` for a stranger, ``Forbidden`` for a member, ``Conflict``
    ``nothing_to_update`` when the device already runs the newest image, ``update_pending`` while
    one of its updates is unfinished, and ``rollout_active`` while a staged rollout of the model runs
    (it will reach the unit).
    """
    with transaction.atomic():
        _lock_model_rollouts(device_with_role(actor, device_id, OWN).device_model_id)
        device = device_with_role(actor, device_id, OWN, for_update=True)
        newest = _newest_firmware(device)
        if newest is None or newest.version == device.firmware_version or not device.enabled:
            raise Conflict("no newer firmware for this device", code="nothing_to_update")
        if RolloutTarget.objects.filter(device=device, status__in=UNFINISHED).exists():
            raise Conflict("an update of this device is under way", code="update_pending")
        return _new_rollout(
            newest,
            [(device.pk, device.firmware_version)],
            steps=[100],
            rate_per_minute=60,
            threshold=Decimal("1.000"),
            min_finished=1,
            by=actor.user_id,
        )


def get_rollout(actor: Actor, rollout_id: int) -> Rollout:
    actor.require_staff()
    rollout = Rollout.objects.select_related("firmware").filter(pk=rollout_id).first()
    if rollout is None:
        raise NotFound("unknown rollout", code="unknown_rollout")
    return rollout


def rollout_counts(rollout: Rollout) -> dict[str, int]:
    counts: Counter[str] = Counter()
    for status in rollout.targets.values_list("status", flat=True):
        counts[status] += 1
    return {s: counts.get(s, 0) for s in RolloutTarget.Status.values} | {"total": sum(counts.values())}


def _cancel_unfinished(rollout: Rollout, now: datetime) -> None:
    targets = rollout.targets.filter(status__in=UNFINISHED)
    Command.objects.filter(rollout_target__in=targets).close(Command.Status.CANCELLED, now)
    targets.update(status=RolloutTarget.Status.CANCELLED, finished_at=now)


def abort_rollout(actor: Actor, rollout_id: int, reason: str = "aborted by staff") -> Rollout:
    actor.require_staff()
    with transaction.atomic():
        rollout = Rollout.objects.select_for_update().filter(pk=rollout_id).first()
        if rollout is None:
            raise NotFound("unknown rollout", code="unknown_rollout")
        if rollout.status not in ACTIVE:
            raise Conflict(f"rollout is {rollout.status}", code="not_active")
        _abort(rollout, reason[:200], timezone.now())
    return rollout


def _abort(rollout: Rollout, reason: str, now: datetime) -> None:
    _cancel_unfinished(rollout, now)
    rollout.status, rollout.reason = Rollout.Status.ABORTED, reason
    rollout.save(update_fields=["status", "reason"])


def pause_rollout(actor: Actor, rollout_id: int, paused: bool) -> Rollout:
    actor.require_staff()
    with transaction.atomic():
        rollout = Rollout.objects.select_for_update().filter(pk=rollout_id).first()
        if rollout is None:
            raise NotFound("unknown rollout", code="unknown_rollout")
        wanted_from = Rollout.Status.RUNNING if paused else Rollout.Status.PAUSED
        if rollout.status != wanted_from:
            raise Conflict(f"rollout is {rollout.status}", code="not_active")
        rollout.status = Rollout.Status.PAUSED if paused else Rollout.Status.RUNNING
        rollout.save(update_fields=["status"])
    return rollout


def rollback_rollout(actor: Actor, rollout_id: int, *, rate_per_minute: int | None = None) -> list[Rollout]:
    """Send every unit the rollout updated back to the version it had, one rollout per old version."""
    actor.require_staff()
    with transaction.atomic():
        rollout = Rollout.objects.select_for_update().select_related("firmware").filter(pk=rollout_id).first()
        if rollout is None:
            raise NotFound("unknown rollout", code="unknown_rollout")
        if rollout.status in ACTIVE:
            _abort(rollout, "rolled back", timezone.now())
        if rollout.status == Rollout.Status.ROLLED_BACK:
            raise Conflict("rollout is already rolled back", code="already_rolled_back")
        updated = list(
            rollout.targets.filter(status=RolloutTarget.Status.SUCCEEDED).values_list(
                "device_id", "previous_version"
            )
        )
        if not updated:
            raise Conflict("no unit was updated by this rollout", code="nothing_to_roll_back")
        by_version: dict[str, list[tuple[int, str]]] = {}
        for device_pk, previous in updated:
            by_version.setdefault(previous, []).append((device_pk, rollout.firmware.version))
        images = {
            f.version: f
            for f in Firmware.objects.filter(
                device_model_id=rollout.firmware.device_model_id, version__in=list(by_version)
            )
        }
        missing = sorted(set(by_version) - set(images))
        if missing:
            raise Conflict(f"no firmware image for previous versions {missing}", code="missing_firmware")
        rollout.status = Rollout.Status.ROLLED_BACK
        rollout.save(update_fields=["status"])
        created = []
        for version, devices in by_version.items():
            created.append(
                _new_rollout(
                    images[version],
                    devices,
                    steps=[100],
                    rate_per_minute=rate_per_minute or rollout.rate_per_minute,
                    threshold=Decimal("1.000"),
                    min_finished=rollout.min_finished,
                    by=actor.user_id,
                    rollback_of=rollout,
                )
            )
        return created


def _ota_command(target: RolloutTarget, firmware: Firmware, rollout: Rollout, now: datetime) -> Command:
    from millet.devices.services.commands import issue_command

    params = {
        "version": firmware.version,
        "url": firmware.url,
        "sha256": firmware.sha256,
        "size": firmware.size,
        "rollout": rollout.pk,
    }
    return issue_command(
        target.device,
        Command.Kind.OTA,
        params,
        ttl=OTA_TTL,
        retry_seconds=OTA_RETRY_SECONDS,
        max_attempts=OTA_ATTEMPTS,
        now=now,
    )


def _advance(rollout: Rollout, now: datetime) -> None:
    targets = rollout.targets
    total = targets.count()
    failed = targets.filter(status=RolloutTarget.Status.FAILED).count()
    finished = failed + targets.filter(status=RolloutTarget.Status.SUCCEEDED).count()
    if finished >= rollout.min_finished and Decimal(failed) / finished > rollout.failure_threshold:
        _abort(rollout, f"failure rate {failed}/{finished} above {rollout.failure_threshold}", now)
        return
    in_step = math.ceil(total * rollout.steps[rollout.step_index] / 100)
    step_ids = list(targets.order_by("pk").values_list("pk", flat=True)[:in_step])
    recent = targets.filter(started_at__gt=now - timedelta(minutes=1)).count()
    budget = max(0, rollout.rate_per_minute - recent)
    pending = list(
        RolloutTarget.objects.select_related("device")
        .filter(pk__in=step_ids, status=RolloutTarget.Status.PENDING)
        .order_by("pk")[:budget]
    )
    for target in pending:
        if not target.device.enabled:
            target.status, target.finished_at = RolloutTarget.Status.CANCELLED, now
            target.save(update_fields=["status", "finished_at"])
            continue
        target.command = _ota_command(target, rollout.firmware, rollout, now)
        target.status, target.started_at = RolloutTarget.Status.UPDATING, now
        target.save(update_fields=["command", "status", "started_at"])
    if RolloutTarget.objects.filter(pk__in=step_ids, status__in=UNFINISHED).exists():
        return
    if rollout.step_index + 1 < len(rollout.steps):
        Rollout.objects.filter(pk=rollout.pk).update(step_index=F("step_index") + 1)
    else:
        Rollout.objects.filter(pk=rollout.pk).update(status=Rollout.Status.COMPLETED)


def advance_rollouts(now: datetime | None = None) -> int:
    """The rollout tick; returns how many rollouts it advanced. A failure of the system propagates."""
    now = now or timezone.now()
    seen = 0
    for rollout_id in Rollout.objects.filter(status=Rollout.Status.RUNNING).values_list("pk", flat=True):
        try:
            with transaction.atomic():
                rollout = (
                    Rollout.objects.select_for_update()
                    .select_related("firmware")
                    .filter(pk=rollout_id, status="running")
                    .first()
                )
                if rollout is not None:
                    _advance(rollout, now)
                    seen += 1
        except Exception as exc:
            if not is_record_fault(exc):
                raise
            log.exception("rollout %s failed to advance; pausing it", rollout_id)
            _set_aside(rollout_id, exc)
    return seen


def _set_aside(rollout_id: int, exc: BaseException) -> None:
    from millet.devices.telemetry import deadletters

    reason = f"paused: could not advance ({type(exc).__name__}: {exc})"[:200]
    with transaction.atomic():
        Rollout.objects.filter(pk=rollout_id, status=Rollout.Status.RUNNING).update(
            status=Rollout.Status.PAUSED, reason=reason
        )
        deadletters.record_failure("rollouts", "rollout", f"rollout:{rollout_id}", exc)


def on_commands_answered(sender, *, answers: list[AnsweredCommand], **kwargs) -> None:
    """Devices answered: each answer to an OTA command moves its rollout target, in the batch's order
    (inside ``acknowledge_commands``'s transaction, with the commands locked)."""
    for answer in answers:
        if answer.kind == Command.Kind.OTA:
            _move_target(answer)


def _move_target(answer: AnsweredCommand) -> None:
    target = RolloutTarget.objects.select_for_update().filter(command_id=answer.pk).first()
    if target is None or target.status != RolloutTarget.Status.UPDATING:
        return
    now = timezone.now()
    version = answer.params["version"]
    if answer.status == "progress":
        progress = answer.result.get("progress")
        if isinstance(progress, int) and not isinstance(progress, bool) and 0 <= progress <= 100:
            target.progress = max(target.progress, progress)
            target.save(update_fields=["progress"])
        return
    if answer.status == "ok":
        target.status, target.progress = RolloutTarget.Status.SUCCEEDED, 100
        Device.objects.filter(pk=target.device_id).update(firmware_version=version)
        _tell_owner(target.device_id, f"Firmware {version} is installed on {{serial}}.")
    else:
        target.status = RolloutTarget.Status.FAILED
        Device.objects.filter(pk=target.device_id).update(faults=F("faults") + 1)
        _tell_owner(target.device_id, f"The firmware update of {{serial}} to {version} failed.")
    target.finished_at = now
    target.save(update_fields=["status", "progress", "finished_at"])


def _tell_owner(device_pk: int, message: str) -> None:
    """A notification for the device's owner (``{serial}`` in ``message`` names the unit)."""
    owner_id, serial = Device.objects.filter(pk=device_pk).values_list("owner_id", "serial").get()
    if owner_id is not None:
        Notification.objects.create(user_id=owner_id, message=message.format(serial=serial)[:256])


def on_commands_closed(sender, *, command_ids: list[int], reason: str, **kwargs) -> None:
    """OTA commands that expired or timed out count as failed updates."""
    targets = RolloutTarget.objects.filter(command_id__in=command_ids, status=RolloutTarget.Status.UPDATING)
    device_ids = list(targets.values_list("device_id", flat=True))
    if device_ids:
        targets.update(status=RolloutTarget.Status.FAILED, finished_at=timezone.now())
        Device.objects.filter(pk__in=device_ids).update(faults=F("faults") + 1)
