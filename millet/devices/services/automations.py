"""Automations (scenes) per home: a trigger, conditions, and actions across the owner's devices.

Every device an automation names must be one its home's owner controls, checked when it is saved and
again when it fires (a share may have been withdrawn since). Property triggers fire on the edge, when
a reported value starts to satisfy the comparison, so steady telemetry does not repeat the action.

One broken automation never stops the others: each is checked and fired in its own savepoint, and
one that fails on its own content (a rule the device's spec no longer accepts, a time zone gone from
the system) is turned off, its owner is told, and it is set aside as a dead letter
(``automation_failed:<error>``), instead of failing again on every tick or report.
"""

from __future__ import annotations

import logging
import operator
import re
from collections.abc import Callable
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from django.db import transaction
from django.db.models import F
from django.utils import timezone

from millet.accounts.actor import Actor
from millet.core.errors import Forbidden, NotFound, Unprocessable
from millet.core.faults import is_record_fault
from millet.core.idempotency import fingerprint, keyed_create
from millet.devices.models import Automation, Device, Notification, Shadow
from millet.devices.services.identity import spec_of
from millet.devices.services.ownership import controllable_ids, get_home

OPS = {
    "==": operator.eq,
    "!=": operator.ne,
    ">": operator.gt,
    ">=": operator.ge,
    "<": operator.lt,
    "<=": operator.le,
}
DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
TIME_RE = re.compile(r"^([01]\d|2[0-3]):[0-5]\d$")
TIME_WINDOW = timedelta(minutes=5)  # a late tick still fires a time trigger, at most once a day
MAX_ACTIONS = 10
log = logging.getLogger(__name__)


def _bad(message: str, code: str = "invalid_automation") -> Unprocessable:
    return Unprocessable(message, code=code)


def _hhmm(value: object, what: str) -> time:
    if not isinstance(value, str) or not TIME_RE.match(value):
        raise _bad(f"{what} must be HH:MM")
    return time.fromisoformat(value)


def _device(device_id: object, allowed: set[str]) -> str:
    if not isinstance(device_id, str) or device_id not in allowed:
        raise Forbidden(f"device {device_id!r} is not one you control", code="device_not_controlled")
    return device_id


def _comparison(item: dict, allowed: set[str], what: str) -> dict:
    device_id = _device(item.get("device"), allowed)
    op = item.get("op", "==")
    if not isinstance(op, str) or op not in OPS:  # a JSON object or list is no key (unhashable)
        raise _bad(f"{what}: op must be one of {sorted(OPS)}")
    spec = spec_of(device_id)
    key = item.get("property")
    value = spec.value(key, item.get("value"))
    return {"device": device_id, "property": key, "op": op, "value": value}


def _trigger(kind: str, trigger: object, allowed: set[str]) -> dict:
    if not isinstance(trigger, dict):
        raise _bad("trigger must be an object")
    if kind == Automation.Trigger.PROPERTY:
        return _comparison(trigger, allowed, "trigger")
    if kind == Automation.Trigger.EVENT:
        device_id = _device(trigger.get("device"), allowed)
        event = trigger.get("event")
        if not isinstance(event, str) or event not in spec_of(device_id).events:
            raise _bad(f"unknown event {event!r}")
        return {"device": device_id, "event": event}
    if kind == Automation.Trigger.TIME:
        _hhmm(trigger.get("at"), "trigger.at")
        days = trigger.get("days", list(DAYS))
        if not isinstance(days, list) or not days or any(d not in DAYS for d in days):
            raise _bad(f"trigger.days must be a non-empty list of {DAYS}")
        return {"at": trigger["at"], "days": sorted(set(days), key=DAYS.index)}
    raise _bad("trigger type must be property, event or time")


def _conditions(conditions: object, allowed: set[str]) -> list[dict]:
    if not isinstance(conditions, list) or len(conditions) > MAX_ACTIONS:
        raise _bad(f"conditions must be a list of at most {MAX_ACTIONS}")
    checked = []
    for c in conditions:
        if not isinstance(c, dict):
            raise _bad("each condition must be an object")
        if c.get("type") == "time":
            _hhmm(c.get("after"), "condition.after")
            _hhmm(c.get("before"), "condition.before")
            checked.append({"type": "time", "after": c["after"], "before": c["before"]})
        else:
            checked.append({"type": "property", **_comparison(c, allowed, "condition")})
    return checked


def _actions(actions: object, allowed: set[str]) -> list[dict]:
    if not isinstance(actions, list) or not 1 <= len(actions) <= MAX_ACTIONS:
        raise _bad(f"actions must be a list of 1 to {MAX_ACTIONS}")
    checked = []
    for a in actions:
        kind = a.get("type") if isinstance(a, dict) else None
        if kind == "set":
            device_id = _device(a.get("device"), allowed)
            checked.append(
                {
                    "type": "set",
                    "device": device_id,
                    "props": spec_of(device_id).values(a.get("props"), writable=True),
                }
            )
        elif kind == "action":
            device_id = _device(a.get("device"), allowed)
            spec = spec_of(device_id)
            name = a.get("action")
            if not isinstance(name, str) or name not in spec.actions:
                raise _bad(f"unknown action {name!r}")
            args = spec.arguments(spec.actions[name][1], a.get("args", {}), f"action {name!r}")
            checked.append({"type": "action", "device": device_id, "action": name, "args": args})
        elif kind == "notify":
            message = a.get("message")
            if not isinstance(message, str) or not 1 <= len(message) <= 256:
                raise _bad("notify message must be 1 to 256 characters")
            checked.append({"type": "notify", "message": message})
        else:
            raise _bad("action type must be set, action or notify")
    return checked


def create_automation(
    actor: Actor,
    home_id: int,
    *,
    name: str,
    trigger_type: str,
    trigger: dict,
    conditions: list,
    actions: list,
    idempotency_key: str | None = None,
) -> Automation:
    """A rule of the home's (its owner's only; 403 otherwise): when ``trigger`` fires and every
    condition holds, run ``actions``. 422 ``invalid_automation`` for a malformed rule or a device the
    owner may not control.

    The actor's ``idempotency_key`` makes a retry answer with the automation the first request made
    (as it is now), making none twice; the same key with another request is 409
    ``idempotency_key_reused`` (``core.idempotency.keyed_create``)."""
    home = get_home(actor, home_id)
    if home.owner_id != actor.user_id:
        raise Forbidden("only the home's owner creates its automations")
    name = (name or "").strip() if isinstance(name, str) else ""
    if not 1 <= len(name) <= 64:
        raise _bad("name must be 1 to 64 characters")
    allowed = controllable_ids(home.owner_id)
    checked = _trigger(trigger_type, trigger, allowed)
    device = Device.objects.get(device_id=checked["device"]) if "device" in checked else None
    rule = {
        "name": name,
        "trigger_type": trigger_type,
        "trigger": checked,
        "conditions": _conditions(conditions, allowed),
        "actions": _actions(actions, allowed),
    }
    return keyed_create(
        actor.user_id,
        idempotency_key,
        fingerprint("create_automation", home_id=home.pk, **rule),
        lambda: Automation.objects.create(home=home, trigger_device=device, **rule),
        remember=operator.attrgetter("pk"),
        replay=lambda pk: Automation.objects.get(pk=pk),
    )


def _own_automation(actor: Actor, automation_id: int) -> Automation:
    automation = Automation.objects.select_related("home").filter(pk=automation_id).first()
    if automation is None or automation.home.owner_id != actor.user_id:
        raise NotFound("unknown automation", code="unknown_automation")
    return automation


def set_automation_enabled(actor: Actor, automation_id: int, enabled: bool) -> Automation:
    automation = _own_automation(actor, automation_id)
    automation.enabled = enabled
    automation.save(update_fields=["enabled"])
    return automation


def delete_automation(actor: Actor, automation_id: int) -> None:
    _own_automation(actor, automation_id).delete()


def list_automations(actor: Actor, home_id: int) -> list[Automation]:
    return list(get_home(actor, home_id).automations.order_by("pk"))


def notifications_for(actor: Actor, limit: int = 50) -> list[Notification]:
    return list(Notification.objects.filter(user_id=actor.user_id).order_by("-pk")[:limit])


def notify_owner(device_id: str, message: str) -> bool:
    """Leave ``message`` (cut to 256 characters) for the device's owner; False if nobody owns it."""
    owner_id = Device.objects.filter(device_id=device_id).values_list("owner_id", flat=True).first()
    if owner_id is None:
        return False
    Notification.objects.create(user_id=owner_id, message=message[:256])
    return True


# --- firing ----------------------------------------------------------------------------------------


def _matches(op: str, value: object, wanted: object) -> bool:
    try:
        return bool(OPS[op](value, wanted))
    except TypeError:  # a missing reading compared with a number
        return False


def _in_window(now_local: time, after: str, before: str) -> bool:
    start, end = time.fromisoformat(after), time.fromisoformat(before)
    return start <= now_local < end if start <= end else now_local >= start or now_local < end


def _conditions_hold(automation: Automation, at: datetime) -> bool:
    local = at.astimezone(ZoneInfo(automation.home.time_zone)).time()
    for c in automation.conditions:
        if c["type"] == "time":
            if not _in_window(local, c["after"], c["before"]):
                return False
            continue
        shadow = (
            Shadow.objects.filter(device__device_id=c["device"]).values_list("reported", flat=True).first()
        )
        if shadow is None or not _matches(c["op"], shadow.get(c["property"]), c["value"]):
            return False
    return True


def fire(automation: Automation, at: datetime) -> bool:
    """Run the actions if the conditions hold; devices no longer controlled are skipped."""
    from millet.devices.services.commands import run_action, set_properties

    if not _conditions_hold(automation, at):
        return False
    owner = automation.home.owner_id
    allowed = controllable_ids(owner)
    with transaction.atomic():
        for action in automation.actions:
            if action["type"] == "notify":
                Notification.objects.create(user_id=owner, automation=automation, message=action["message"])
                continue
            if action["device"] not in allowed:
                continue
            device = Device.objects.select_for_update().get(device_id=action["device"])
            if action["type"] == "set":
                set_properties(device, action["props"], created_by=owner)
            else:
                run_action(device, action["action"], action["args"], created_by=owner)
        Automation.objects.filter(pk=automation.pk).update(last_fired_at=at, fired_count=F("fired_count") + 1)
    return True


def _triggered(device: Device, kind: str):
    return Automation.objects.select_related("home").filter(
        trigger_device=device, trigger_type=kind, enabled=True
    )


def _guarded(automation: Automation, run: Callable[[], bool]) -> bool:
    """Check and fire one automation in its own savepoint; set it aside if it fails on its content.

    A failure of the system (database unreachable) propagates: the tick or report is retried.
    """
    try:
        with transaction.atomic():
            return run()
    except Exception as exc:
        if not is_record_fault(exc):
            raise
        log.exception("automation %s failed; turning it off", automation.pk)
        _set_aside(automation, exc)
        return False


def _set_aside(automation: Automation, exc: BaseException) -> None:
    from millet.devices.telemetry import deadletters

    with transaction.atomic():
        Automation.objects.filter(pk=automation.pk).update(enabled=False)
        message = f"Automation '{automation.name}' was turned off: it could not run ({type(exc).__name__})."
        Notification.objects.create(
            user_id=automation.home.owner_id, automation_id=automation.pk, message=message[:256]
        )
        deadletters.record_failure("automations", "automation", f"automation:{automation.pk}", exc)


def _property_edge(automation: Automation, changed: dict, before: dict) -> bool:
    t = automation.trigger
    key = t["property"]
    return (
        key in changed
        and _matches(t["op"], changed[key], t["value"])
        and not _matches(t["op"], before.get(key), t["value"])
    )


def on_properties_reported(sender, *, reports: list, **kw) -> dict[str, Exception]:
    """Fire the property automations a round of reports (``PropertyReport``) crossed: every reporting
    device's automations read in one query (most devices have none, and a query per device was most
    of a shadow round's work), then each device's in turn. Returns, by device id, what failed on a
    device's automations beyond ``_guarded``'s setting aside (a refusal, or the system's failure),
    each device's after the devices before it fired."""
    watched: dict[int, list[Automation]] = {}
    for automation in Automation.objects.select_related("home").filter(
        trigger_device__in=[report.device.pk for report in reports],
        trigger_type=Automation.Trigger.PROPERTY,
        enabled=True,
    ):
        watched.setdefault(automation.trigger_device_id, []).append(automation)
    failures: dict[str, Exception] = {}
    for report in reports:
        try:
            for automation in watched.get(report.device.pk, ()):
                _guarded(
                    automation,
                    lambda a=automation, r=report: _property_edge(a, r.changed, r.before) and fire(a, r.at),
                )
        except Exception as exc:  # noqa: BLE001 - this device's alone: the caller counts or retries it
            failures[report.device.device_id] = exc
    return failures


def on_event_reported(sender, *, device: Device, event: str, args: dict, at: datetime, **kw) -> int:
    return sum(
        _guarded(a, lambda a=a: a.trigger["event"] == event and fire(a, at))
        for a in _triggered(device, Automation.Trigger.EVENT)
    )


def _due(automation: Automation, now: datetime) -> bool:
    """A time trigger due within the last few minutes and not yet fired today."""
    zone = ZoneInfo(automation.home.time_zone)
    local = now.astimezone(zone)
    scheduled = datetime.combine(local.date(), _hhmm(automation.trigger["at"], "at"), tzinfo=zone)
    return (
        DAYS[local.weekday()] in automation.trigger["days"]
        and scheduled <= local < scheduled + TIME_WINDOW
        and not (automation.last_fired_at and automation.last_fired_at >= scheduled)
    )


def run_time_automations(now: datetime | None = None) -> int:
    """The minute tick: fire time triggers that are due; return how many fired."""
    now = now or timezone.now()
    return sum(
        _guarded(a, lambda a=a: _due(a, now) and fire(a, now))
        for a in Automation.objects.select_related("home").filter(trigger_type="time", enabled=True)
    )
