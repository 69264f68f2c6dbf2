"""The reported shadow: per property, the newest value the device reported, by its own clock, then seq.

Devices flush an offline backlog, and QoS 1 redelivers, so reports arrive out of order. Each value in
the reported shadow keeps the stamp of the report it came from, ``[device time, seq]``, and a reading
replaces it only when it is not older. An older report still goes into telemetry history; it never
moves the shadow, and so never fires a property automation. Events follow the same rule: an event
older than one already seen is history, and fires nothing.

A stamp is ``[ISO 8601 UTC time with microseconds, seq]``. The time has a fixed width, so comparing
stamps as ``(str, int)`` pairs orders them by device time, then seq. ``PLACEHOLDER`` ranks below every
report: it marks a value the platform filled in from a command's acknowledgement (see
``fill_in_acked``), which any report of the device replaces.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from django.db import transaction

from millet.core import sql
from millet.devices import events
from millet.devices.models import Device, Shadow
from millet.devices.services.identity import get_device

PLACEHOLDER: tuple[str, int] = ("", 0)
_MISSING = object()


def stamp_of(at: datetime, seq: int) -> tuple[str, int]:
    return at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ"), seq


@dataclass(frozen=True)
class Reading:
    """One reported value with the device time (aware datetime) and ``seq`` of its report."""

    value: object
    at: datetime
    seq: int = 0

    @property
    def stamp(self) -> tuple[str, int]:
        return stamp_of(self.at, self.seq)


def not_older(candidate: tuple[str, int], held: list | tuple | None) -> bool:
    """Does a reading stamped ``candidate`` replace the value stamped ``held`` (None: nothing held)?"""
    return held is None or tuple(candidate) >= tuple(held)


def newest_readings(held: dict[str, Reading], incoming: dict[str, Reading]) -> dict[str, Reading]:
    """Per property, the newer of two sets of readings, whatever order they arrived in."""
    merged = dict(held)
    for key, reading in incoming.items():
        kept = merged.get(key)
        # (time, seq) orders exactly as the stamps do, without formatting two stamps per comparison
        if kept is None or (reading.at, reading.seq) >= (kept.at, kept.seq):
            merged[key] = reading
    return merged


def report_state(device_id: str, props: dict, at: datetime, *, seq: int = 0) -> None:
    """One report: every property in ``props`` read at device time ``at`` (aware) with ``seq``."""
    report_readings(device_id, {key: Reading(value, at, seq) for key, value in props.items()})


def report_readings(device_id: str, readings: dict[str, Reading]) -> dict:
    """Merge readings into the reported shadow; run property automations on values that changed.

    Returns the properties whose value changed (a newer reading of the same value only moves the
    stamp). ``reported_version`` rises whenever a stamp moves; ``reported_at`` is the newest device
    time reported. Raises ``NotFound`` for an unknown device.
    """
    if not readings:
        return {}
    with transaction.atomic():
        device = get_device(device_id)
        shadow = Shadow.objects.select_for_update().get(device=device)
        merged = _merge(shadow, readings)
        if merged is None:
            return {}
        shadow.save(update_fields=_REPORTED_FIELDS)
    for exc in _announce([PropertyReport(device, *merged)]).values():
        raise exc
    return merged[0]


def report_many(pending: dict[str, dict[str, Reading]]) -> tuple[list[str], dict[str, Exception]]:
    """``report_readings`` for many devices, their shadows merged in one transaction of three statements
    (the ingest worker's round: one device's readings per transaction cost five round trips each).

    Returns the devices left for ``report_readings`` one by one (unknown, or without a shadow: it
    says why), and the exceptions raised by property automations, by device, each after its
    device's state was stored (as ``report_readings`` raises them).
    """
    with transaction.atomic():
        shadows = {
            shadow.device.device_id: shadow
            for shadow in Shadow.objects.select_for_update(of=("self",))
            .select_related("device")
            .filter(device__device_id__in=[d for d, readings in pending.items() if readings])
            .order_by("pk")  # locked in key order: two workers' rounds cannot deadlock
        }
        announced = []
        for device_id, shadow in shadows.items():
            merged = _merge(shadow, pending[device_id])
            if merged is not None:
                announced.append((shadow, merged))
        if announced:
            sql.update([shadow for shadow, _ in announced], _REPORTED_FIELDS)
    reports = [PropertyReport(shadow.device, *merged) for shadow, merged in announced]
    try:
        failures = _announce(reports)
    except Exception as exc:  # noqa: BLE001 - the round's lookup failed: every device's, to the caller
        failures = {report.device.device_id: exc for report in reports if report.changed}
    return [d for d, readings in pending.items() if readings and d not in shadows], failures


_REPORTED_FIELDS = ["reported", "reported_stamps", "reported_version", "reported_at"]


def _merge(shadow: Shadow, readings: dict[str, Reading]) -> tuple[dict, dict, datetime] | None:
    """Merge readings into the (locked) shadow in memory: ``(changed, before, latest)``, or None when
    no reading is newer than what it holds."""
    held = shadow.reported_stamps
    newer = {k: r for k, r in readings.items() if not_older(r.stamp, held.get(k))}
    if not newer:
        return None
    before = dict(shadow.reported)
    changed = {k: r.value for k, r in newer.items() if before.get(k, _MISSING) != r.value}
    shadow.reported = {**before, **{k: r.value for k, r in newer.items()}}
    shadow.reported_stamps = {**held, **{k: list(r.stamp) for k, r in newer.items()}}
    latest = max(r.at for r in newer.values())
    shadow.reported_at = max(latest, shadow.reported_at) if shadow.reported_at else latest
    shadow.reported_version += 1
    return changed, before, latest


@dataclass(frozen=True)
class PropertyReport:
    """What one device's report changed (``events.properties_reported``): the properties whose value
    changed and what they held before (property key -> value), and the newest device time."""

    device: Device
    changed: dict
    before: dict
    at: datetime


def _announce(reports: list[PropertyReport]) -> dict[str, Exception]:
    """Property automations for the values that changed, all reports at once (after the shadows'
    transaction); the receivers' failures by device id."""
    reports = [report for report in reports if report.changed]
    failures: dict[str, Exception] = {}
    if reports:
        for _receiver, failed in events.properties_reported.send(sender=Device, reports=reports):
            failures.update(failed or {})
    return failures


def fill_in_acked(device_id: str, props: dict) -> None:
    """A device acknowledged a ``set``: show its values for properties it has never reported.

    An ack says the device applied the values at some moment before it answered, not when, so it
    cannot be ordered against reports; the device's next report (which the protocol asks for right
    after a set) is what moves a property it reports. A filled-in value carries ``PLACEHOLDER``.
    """
    with transaction.atomic():
        shadow = Shadow.objects.select_for_update().get(device=get_device(device_id))
        held = shadow.reported_stamps
        missing = {k: v for k, v in props.items() if tuple(held.get(k, PLACEHOLDER)) == PLACEHOLDER}
        if not missing:
            return
        shadow.reported = {**shadow.reported, **missing}
        shadow.reported_stamps = {**held, **{k: list(PLACEHOLDER) for k in missing}}
        shadow.reported_version += 1
        shadow.save(update_fields=["reported", "reported_stamps", "reported_version"])


def event_is_newest(device_id: str, at: datetime, seq: int) -> bool:
    """Record an event's stamp; True when no newer event of the device was seen before it."""
    candidate = stamp_of(at, seq)
    with transaction.atomic():
        shadow = Shadow.objects.select_for_update().get(device=get_device(device_id))
        if shadow.event_stamp and tuple(candidate) < tuple(shadow.event_stamp):
            return False
        shadow.event_stamp = list(candidate)
        shadow.save(update_fields=["event_stamp"])
    return True
