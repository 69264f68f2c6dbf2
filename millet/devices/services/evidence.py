"""What the device cloud knows about one unit around a moment: read by insurance to check a claim.

Other domains know a unit by its serial, not by its device id, so this is the one read that puts the
two together: the device's identity and binding, its presence, and (asked of telemetry's services)
the events it reported in a window and how much it kept reporting after a moment. It is a plain
read with no actor: the caller (a claim on the holder's own policy) has already established the
right to ask, and only facts about that one serial leave the device cloud, never the telemetry
values themselves.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from millet.core.errors import Unprocessable
from millet.devices.models import Device
from millet.devices.telemetry import services as telemetry

MAX_EVENTS = 50


@dataclass(frozen=True)
class DeviceEvent:
    at: datetime
    name: str


@dataclass(frozen=True)
class DeviceActivity:
    device_id: str
    model_urn: str
    owner_id: int | None
    placed_in_home: bool
    online: bool
    last_seen: datetime | None
    events: list[DeviceEvent]  # in [start, end), oldest first, at most MAX_EVENTS
    reports_after: int  # messages (telemetry or events) the unit sent after ``reports_after`` moment
    last_report_at: datetime | None  # the newest of those, by the device's clock


def device_activity_for_serial(
    serial: str, *, start: datetime, end: datetime, reports_after: datetime
) -> DeviceActivity | None:
    """The unit's evidence, or None when the serial is not a connected (provisioned) device.

    Events come from the stored event messages, so only events the unit really sent count, not
    commands or automations. ``reports_after`` is separate from the window because "did it keep
    talking after the loss" looks at everything since, not just the days around the incident.
    """
    for moment in (start, end, reports_after):
        if not isinstance(moment, datetime) or moment.tzinfo is None:
            raise Unprocessable("evidence windows need time-zone-aware date-times", code="naive_datetime")
    if end <= start:
        raise Unprocessable("end must be after start", code="empty_window")
    device = Device.objects.filter(serial=serial).first()
    if device is None:
        return None
    events = telemetry.events_between(device.device_id, start, end, limit=MAX_EVENTS)
    reports, last_report_at = telemetry.reports_since(device.device_id, reports_after)
    return DeviceActivity(
        device_id=device.device_id,
        model_urn=device.model_urn,
        owner_id=device.owner_id,
        placed_in_home=device.home_id is not None,
        online=device.online,
        last_seen=device.last_seen,
        events=[DeviceEvent(at, name) for at, name in events],
        reports_after=reports,
        last_report_at=last_report_at,
    )
