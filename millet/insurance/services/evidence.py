"""What a connected unit's own telemetry says about a claim: a verdict and the facts behind it."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

from millet.insurance.models import (
    EvidenceVerdict,
    Peril,
    Policy,
)

EVENT_WINDOW_BEFORE = timedelta(days=2)  # a fault often shows before the owner notices it
EVENT_WINDOW_AFTER = timedelta(days=1)  # the device's clock and the owner's memory both drift
THEFT_GRACE = timedelta(hours=1)  # messages queued on the unit may still arrive just after a theft
# Words in a device's event names that back each peril (event names are MIoT-style "motion-detected").
PERIL_EVENT_WORDS = {
    Peril.ACCIDENTAL_DAMAGE: frozenset(
        {"drop", "dropped", "fall", "fell", "impact", "shock", "crack", "cracked"}
    ),
    Peril.LIQUID_DAMAGE: frozenset({"liquid", "water", "leak", "moisture", "wet", "submerged"}),
    Peril.BREAKDOWN: frozenset(
        {"fault", "error", "failure", "failed", "fail", "stuck", "overheat", "overheating"}
    ),
    Peril.THEFT: frozenset(),
}


def _when(moment: datetime | None) -> str | None:
    return moment.astimezone(UTC).isoformat() if moment else None


def device_evidence(policy: Policy, peril: str, incident_at: datetime) -> tuple[str, dict]:
    """What the unit's own telemetry says about a claim: a verdict and the facts behind it.

    A handler must be able to see why, so the facts are stored with the claim as they were when it
    was filed (the unit's later history may be wiped on resale). The verdict never decides a claim
    by itself: "supported" means the unit reported a matching event (a drop, a fault, liquid), and
    "refer" means a theft claim for a unit that kept reporting from the holder's own account after
    the theft, which a person must look at. Units without a device identity are not checked.
    """
    from millet.devices.services import device_activity_for_serial

    activity = device_activity_for_serial(
        policy.serial,
        start=incident_at - EVENT_WINDOW_BEFORE,
        end=incident_at + EVENT_WINDOW_AFTER,
        reports_after=incident_at + THEFT_GRACE,
    )
    if activity is None:
        return EvidenceVerdict.NOT_CONNECTED, {
            "connected": False,
            "summary": "Not a connected unit: no telemetry to check.",
        }
    words = PERIL_EVENT_WORDS[peril]
    matching = [e for e in activity.events if words & set(re.split(r"[^a-z0-9]+", e.name.lower()))]
    bound_to_holder = activity.owner_id is not None and activity.owner_id == policy.holder_id
    facts = {
        "connected": True,
        "device_id": activity.device_id,
        "online": activity.online,
        "last_seen": _when(activity.last_seen),
        "bound_to_holder": bound_to_holder,
        "in_home": activity.placed_in_home,
        "window": [_when(incident_at - EVENT_WINDOW_BEFORE), _when(incident_at + EVENT_WINDOW_AFTER)],
        "events": [{"at": _when(e.at), "name": e.name} for e in activity.events],
        "matching_events": [{"at": _when(e.at), "name": e.name} for e in matching],
        "reports_after_incident": activity.reports_after,
        "last_report_at": _when(activity.last_report_at),
    }
    if peril == Peril.THEFT:
        if bound_to_holder and activity.reports_after:
            where = "the holder's home" if activity.placed_in_home else "the holder's account"
            return EvidenceVerdict.REFER, {
                **facts,
                "summary": f"Kept reporting after the reported theft: {activity.reports_after} message(s) "
                f"from {where}, the last at {_when(activity.last_report_at)}. Refer for review.",
            }
        summary = (
            "No report from the holder's account after the reported theft."
            if not activity.reports_after
            else "Reported after the theft, but no longer from the holder's account."
        )
        return EvidenceVerdict.NO_EVIDENCE, {**facts, "summary": summary}
    if matching:
        names = ", ".join(f"{e.name} at {_when(e.at)}" for e in matching)
        return EvidenceVerdict.SUPPORTED, {**facts, "summary": f"The unit reported {names}."}
    return EvidenceVerdict.NO_EVIDENCE, {
        **facts,
        "summary": f"The unit reported no {peril.replace('_', ' ')} event around the incident "
        f"({len(activity.events)} other event(s)); last seen {_when(activity.last_seen) or 'never'}.",
    }
