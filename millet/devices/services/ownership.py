"""Who may see and control a device: binding to the buyer, QR claims, family shares, unbinding.

Sales tells us which customer received which serial (``order_fulfilled``) and which came back
(``units_returned``); those facts are kept in ``UnitSale`` so a unit provisioned or first switched on
later still finds its buyer. A unit binds on its first connection (or a QR claim); a unit nobody
bought can never be claimed, because the claim needs a live sale of that serial.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from operator import attrgetter

from django.db import transaction
from django.db.models import Q, QuerySet
from django.utils import timezone

from millet.accounts.actor import Actor
from millet.accounts.services import user_id_for, usernames
from millet.core.errors import Conflict, Forbidden, NotFound, Unprocessable
from millet.core.idempotency import fingerprint, keyed_create
from millet.devices.events import device_data_wiped
from millet.devices.models import (
    Automation,
    Command,
    Device,
    DeviceInvitation,
    DeviceShare,
    Home,
    Shadow,
    UnitSale,
)
from millet.devices.services.identity import get_device, new_claim_token, token_matches

READ, CONTROL, OWN = "read", "control", "owner"
_RANK = {READ: 1, CONTROL: 2, OWN: 3}


@dataclass(frozen=True)
class DeviceInfo:
    device_id: str
    serial: str
    model_urn: str
    batch: str
    role: str  # owner | control | read | staff
    owner_id: int | None
    home_id: int | None
    room: str
    region: str
    firmware_version: str
    online: bool
    last_seen: datetime | None
    enabled: bool
    activated_at: datetime | None


def _info(device: Device, role: str) -> DeviceInfo:
    return DeviceInfo(
        device_id=device.device_id,
        serial=device.serial,
        model_urn=device.model_urn,
        batch=device.batch,
        role=role,
        owner_id=device.owner_id,
        home_id=device.home_id,
        room=device.room,
        region=device.region,
        firmware_version=device.firmware_version,
        online=device.online,
        last_seen=device.last_seen,
        enabled=device.enabled,
        activated_at=device.activated_at,
    )


def role_of(actor: Actor, device: Device) -> str | None:
    """The actor's strongest right on the device; staff may look at the fleet but never control it."""
    if actor.user_id is not None and device.owner_id == actor.user_id:
        return OWN
    if actor.user_id is not None:
        share = DeviceShare.objects.filter(device=device, user_id=actor.user_id).values_list(
            "role", flat=True
        )
        if share:
            return share[0]
    return "staff" if actor.is_staff else None


def device_with_role(actor: Actor, device_id: str, need: str, *, for_update: bool = False) -> Device:
    """The device if the actor holds at least ``need``; a stranger learns nothing (404), a reader 403."""
    device = get_device(device_id, for_update=for_update)
    role = role_of(actor, device)
    if role is None:
        raise NotFound(f"unknown device {device_id!r}", code="unknown_device")
    if need != READ and _RANK.get(role, 0) < _RANK[need]:
        raise Forbidden(
            "you may only look at this device" if role != "staff" else "staff cannot control devices"
        )
    return device


def device_for_viewer(actor: Actor, device_id: str) -> DeviceInfo:
    device = device_with_role(actor, device_id, READ)
    return _info(device, role_of(actor, device) or READ)


def controllable_ids(user_id: int) -> set[str]:
    """Device ids a person may command: their own and those shared with them for control."""
    return set(
        Device.objects.filter(
            Q(owner_id=user_id) | Q(shares__user_id=user_id, shares__role=DeviceShare.Role.CONTROL)
        ).values_list("device_id", flat=True)
    )


def visible_devices(actor: Actor, *, fleet: bool = False) -> QuerySet[Device]:
    """The actor's own and shared devices; with ``fleet`` (staff only) every device."""
    if fleet:
        actor.require_staff()
        return Device.objects.all()
    if actor.user_id is None:
        return Device.objects.none()
    return Device.objects.filter(Q(owner_id=actor.user_id) | Q(shares__user_id=actor.user_id)).distinct()


def list_devices(actor: Actor, *, fleet: bool = False, limit: int = 200, offset: int = 0) -> list[DeviceInfo]:
    devices = visible_devices(actor, fleet=fleet).order_by("pk")[offset : offset + limit]
    shared = dict(
        DeviceShare.objects.filter(user_id=actor.user_id).values_list("device_id", "role")
        if actor.user_id
        else []
    )
    return [
        _info(d, OWN if d.owner_id == actor.user_id and d.owner_id else shared.get(d.pk, "staff"))
        for d in devices
    ]


# --- what sales tells us -------------------------------------------------------------------------


def _region(order_number: str) -> str:
    match = re.match(r"^[A-Z]{2}", order_number or "")
    return match.group(0) if match else ""


def record_sale(*, order_number: str, customer_id: int | None, serials: Iterable[str]) -> None:
    """A fulfilled order: each serial now belongs to this customer; a resold unit is wiped first."""
    serials = [s for s in serials if isinstance(s, str) and s]
    if not serials:
        return
    now = timezone.now()
    with transaction.atomic():
        for device in Device.objects.select_for_update().filter(serial__in=serials, owner__isnull=False):
            if device.owner_id != customer_id:
                _unbind(device)
        facts = {
            "customer_id": customer_id,
            "order_number": order_number[:32],
            "region": _region(order_number),
            "sold_at": now,
            "returned_at": None,
        }
        known = set(UnitSale.objects.filter(serial__in=serials).values_list("serial", flat=True))
        UnitSale.objects.filter(serial__in=known).update(**facts)
        UnitSale.objects.bulk_create(
            [UnitSale(serial=s, **facts) for s in dict.fromkeys(serials) if s not in known]
        )
        bind_sold_units(serials)


def record_return(*, serials: Iterable[str]) -> None:
    """Returned units unbind and lose their owner's data; the return counts against the batch."""
    serials = [s for s in serials if isinstance(s, str) and s]
    now = timezone.now()
    with transaction.atomic():
        UnitSale.objects.filter(serial__in=serials, returned_at__isnull=True).update(returned_at=now)
        for device in Device.objects.select_for_update().filter(serial__in=serials):
            device.faults += 1
            device.save(update_fields=["faults"])
            if device.owner_id is not None:
                _unbind(device)


def recently_sold_orders(limit: int) -> list[str]:
    """Numbers of the latest orders whose connected units are still with a named customer."""
    return list(
        UnitSale.objects.filter(customer__isnull=False, returned_at__isnull=True)
        .order_by("-pk")
        .values_list("order_number", flat=True)
        .distinct()[:limit]
    )


def on_order_fulfilled(
    sender, *, order_number: str, customer_id: int | None, serials: list[str], **kw
) -> None:
    record_sale(order_number=order_number, customer_id=customer_id, serials=serials)


def on_units_returned(sender, *, serials: list[str], **kw) -> None:
    record_return(serials=serials)


def on_units_provisioned(sender, *, serials: list[str], **kw) -> None:
    bind_sold_units(serials)


# --- binding ---------------------------------------------------------------------------------------


def _bind(device: Device, user_id: int, region: str, at: datetime) -> None:
    device.owner_id, device.bound_at = user_id, at
    device.activated_at = device.activated_at or at
    device.region = region or device.region
    device.claim_salt, device.claim_hash = "", ""  # one-time: binding consumes the box's token
    device.save(update_fields=["owner", "bound_at", "activated_at", "region", "claim_salt", "claim_hash"])


def bind_sold_units(serials: Iterable[str]) -> int:
    """Bind already-online unowned units whose sale names a customer (a unit switched on before sale)."""
    bound = 0
    sales = {
        s.serial: s
        for s in UnitSale.objects.filter(
            serial__in=list(serials), returned_at__isnull=True, customer__isnull=False
        )
    }
    for device in Device.objects.select_for_update().filter(
        serial__in=list(sales), owner__isnull=True, online=True, enabled=True
    ):
        sale = sales[device.serial]
        _bind(device, sale.customer_id, sale.region, timezone.now())
        bound += 1
    return bound


def set_presence(device_id: str, online: bool, at: datetime) -> None:
    """Status from the broker. A sold, unowned unit's first connection binds it to its buyer.

    Out-of-order status messages (an old "offline" will after a newer "online") are ignored by time.
    """
    if set_presences({device_id: online}, at):
        raise NotFound(f"unknown device {device_id!r}", code="unknown_device")


def set_presences(presence: dict[str, bool], at: datetime) -> list[str]:
    """``set_presence`` for many devices whose status arrived at ``at``, in a few statements whatever
    their number (an ingest batch, or every device's retained status when a worker subscribes again).
    Returns the ids of unknown devices, changing nothing for them.

    The rows are locked in primary-key order, so two workers' overlapping batches cannot deadlock.
    """
    with transaction.atomic():
        found = list(
            Device.objects.select_for_update()
            .filter(device_id__in=[d for d in presence if isinstance(d, str) and 0 < len(d) <= 32])
            .order_by("pk")
        )
        by_state: dict[bool, list[int]] = {True: [], False: []}
        came_back: list[int] = []
        unowned: list[Device] = []
        for device in found:
            if device.last_seen and at < device.last_seen:
                continue
            online = presence[device.device_id] and device.enabled
            if online and not device.online:
                came_back.append(device.pk)
            device.online, device.last_seen = online, at
            by_state[online].append(device.pk)
            if online and device.owner_id is None:
                unowned.append(device)
        for online, pks in by_state.items():
            if pks:
                Device.objects.filter(pk__in=pks).update(online=online, last_seen=at)
        if came_back:
            # Attempts sent before it dropped off are resent now, not after their retry interval.
            Command.objects.filter(
                device_id__in=came_back, status=Command.Status.SENT, next_attempt_at__gt=at
            ).update(next_attempt_at=at)
        if unowned:
            sales: dict[str, UnitSale] = {}
            for sale in UnitSale.objects.filter(
                serial__in=[d.serial for d in unowned], returned_at__isnull=True, customer__isnull=False
            ).order_by("pk"):
                sales.setdefault(sale.serial, sale)
            for device in unowned:
                sale = sales.get(device.serial)
                if sale is not None:
                    _bind(device, sale.customer_id, sale.region, at)
    known = {device.device_id for device in found}
    return [device_id for device_id in presence if device_id not in known]


def claim_device(actor: Actor, device_id: str, claim_token: str) -> DeviceInfo:
    """QR claim: the box's one-time token binds a sold unit to the person holding it.

    Refused for units never sold (or returned), units sold to someone else, and used tokens. Until
    the token matches, an unknown id and a wrong or used token get the same 404 ``unknown_device``:
    the answer never tells a guesser that a device id exists.
    """
    if actor.user_id is None:
        raise Forbidden("sign in to claim a device")
    if not isinstance(claim_token, str) or not 8 <= len(claim_token) <= 64:
        raise Unprocessable("claim token must be 8 to 64 characters", code="invalid_claim_token")
    with transaction.atomic():
        device = Device.objects.select_for_update().filter(device_id=str(device_id)).first()
        if device is None or not token_matches(device.claim_salt, device.claim_hash, claim_token):
            raise NotFound("no device with this id and claim token", code="unknown_device")
        if not device.enabled:
            raise Conflict("device is revoked", code="revoked")
        sale = UnitSale.objects.filter(serial=device.serial, returned_at__isnull=True).first()
        if sale is None:
            raise Conflict("this unit was never sold and cannot be claimed", code="not_sold")
        if sale.customer_id not in (None, actor.user_id):
            raise Forbidden("this unit was sold to another customer", code="sold_to_other")
        if device.owner_id is not None:
            raise Conflict("device is already bound", code="already_bound")
        UnitSale.objects.filter(pk=sale.pk).update(customer_id=actor.user_id)
        _bind(device, actor.user_id, sale.region, timezone.now())
    return _info(device, OWN)


def release_device(actor: Actor, device_id: str) -> str:
    """The owner gives the unit away (private resale): wipe it and hand back a fresh claim token."""
    with transaction.atomic():
        device = device_with_role(actor, device_id, OWN, for_update=True)
        token = _unbind(device)
        UnitSale.objects.filter(serial=device.serial).update(customer_id=None)
    return token


def _unbind(device: Device) -> str:
    """Remove the owner and everything of theirs tied to the device (their home and the room they
    named in it too); issue a new claim token."""
    wipe_device_data(device)
    token, salt, hashed = new_claim_token()
    device.owner_id, device.home_id, device.room, device.bound_at = None, None, "", None
    device.claim_salt, device.claim_hash = salt, hashed
    device.save(update_fields=["owner", "home", "room", "bound_at", "claim_salt", "claim_hash"])
    return token


def wipe_device_data(device: Device) -> None:
    """Shadow, shares and invitations, automations naming the device, waiting commands; telemetry
    history on commit. (The next owner must not see whom the last one invited.)"""
    Shadow.objects.filter(device=device).update(
        desired={},
        desired_version=0,
        reported={},
        reported_stamps={},
        reported_version=0,
        reported_at=None,
        event_stamp=[],
    )
    DeviceShare.objects.filter(device=device).delete()
    DeviceInvitation.objects.filter(device=device).delete()
    if device.owner_id is not None:
        for automation in Automation.objects.filter(home__owner_id=device.owner_id):
            if automation.trigger_device_id == device.pk or device.device_id in _named_devices(automation):
                automation.delete()
    Command.objects.filter(device=device, kind__in=("set", "action")).close(
        Command.Status.CANCELLED, timezone.now()
    )
    device_id = device.device_id
    transaction.on_commit(lambda: device_data_wiped.send(sender=Device, device_id=device_id))


def _named_devices(automation: Automation) -> set[str]:
    named = {c.get("device") for c in automation.conditions if isinstance(c, dict)}
    named |= {a.get("device") for a in automation.actions if isinstance(a, dict)}
    return {n for n in named if isinstance(n, str)}


def reissue_claim_token(actor: Actor, device_id: str) -> str:
    """Staff: a new QR token for an unbound unit (a lost box insert); the old one stops working."""
    actor.require_staff()
    with transaction.atomic():
        device = get_device(device_id, for_update=True)
        if device.owner_id is not None:
            raise Conflict("device is bound; the owner must release it first", code="already_bound")
        token, device.claim_salt, device.claim_hash = new_claim_token()
        device.save(update_fields=["claim_salt", "claim_hash"])
    return token


# --- family sharing --------------------------------------------------------------------------------


def unshare_device(actor: Actor, device_id: str, username: str) -> None:
    """The owner removes a member. Raises ``NotFound`` (``unknown_share``) alike for a username that
    is no member and one that names nobody; members join only by invitation (``sharing.invite``)."""
    device = device_with_role(actor, device_id, OWN)
    deleted, _ = DeviceShare.objects.filter(device=device, user_id=user_id_for(username)).delete()
    if not deleted:
        raise NotFound("no such share", code="unknown_share")


def shares_of(actor: Actor, device_id: str) -> list[tuple[str, str]]:
    """The owner's view of the members: ``(username, role)`` pairs sorted by username."""
    device = device_with_role(actor, device_id, OWN)
    shares = list(device.shares.values_list("user_id", "role"))
    names = usernames(user_id for user_id, _ in shares)
    return sorted((names[user_id], role) for user_id, role in shares)


# --- homes -----------------------------------------------------------------------------------------


def create_home(
    actor: Actor, name: str, time_zone: str = "UTC", *, idempotency_key: str | None = None
) -> Home:
    """A home of the actor's, to place devices in and run automations by its clock. 422
    ``invalid_name``, ``invalid_time_zone``.

    The actor's ``idempotency_key`` makes a retry answer with the home the first request made (as it
    is now), making none twice; the same key with another request is 409 ``idempotency_key_reused``
    (``core.idempotency.keyed_create``)."""
    from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

    if actor.user_id is None:
        raise Forbidden("sign in to create a home")
    name = (name or "").strip()
    if not name or len(name) > 64:
        raise Unprocessable("name must be 1 to 64 characters", code="invalid_name")
    try:
        if not time_zone or len(time_zone) > 64:
            raise ValueError(time_zone)
        ZoneInfo(time_zone)
    except (ZoneInfoNotFoundError, ValueError):
        raise Unprocessable(f"unknown time zone {time_zone!r}", code="invalid_time_zone") from None
    return keyed_create(
        actor.user_id,
        idempotency_key,
        fingerprint("create_home", name=name, time_zone=time_zone),
        lambda: Home.objects.create(owner_id=actor.user_id, name=name, time_zone=time_zone),
        remember=attrgetter("pk"),
        replay=lambda pk: Home.objects.get(pk=pk),
    )


def list_homes(actor: Actor) -> list[Home]:
    return list(Home.objects.filter(owner_id=actor.user_id).order_by("pk")) if actor.user_id else []


def get_home(actor: Actor, home_id: int) -> Home:
    home = Home.objects.filter(pk=home_id).first()
    if home is None or (home.owner_id != actor.user_id and not actor.is_staff):
        raise NotFound("unknown home", code="unknown_home")
    return home


def place_device(actor: Actor, device_id: str, home_id: int | None, room: str | None = None) -> Device:
    """Put an owned device in one of the owner's homes (or none), and, given ``room``, in that room
    (1 to 64 characters; "" for none). Raises NotFound (not theirs), Unprocessable ``invalid_room``."""
    if room is not None:
        room = room.strip()
        if len(room) > 64:
            raise Unprocessable("room must be at most 64 characters", code="invalid_room")
    with transaction.atomic():
        device = device_with_role(actor, device_id, OWN, for_update=True)
        home = get_home(actor, home_id) if home_id is not None else None
        if home is not None and home.owner_id != device.owner_id:
            raise Forbidden("not your home")
        device.home = home
        fields = ["home"]
        if room is not None:
            device.room = room
            fields.append("room")
        device.save(update_fields=fields)
    return device


@dataclass(frozen=True)
class UnitToSetUp:
    """A unit sold to the person that has not yet bound to them: never switched on (or provisioned)."""

    serial: str
    order_number: str
    sold_at: datetime
    model_urn: str  # "" when the factory has not provisioned the serial yet
    device_id: str  # "" likewise


def units_to_set_up(actor: Actor) -> list[UnitToSetUp]:
    """The person's bought units that are not theirs on the device cloud yet, newest sale first.

    A unit binds to its buyer on its first connection (``set_presence``) or a QR claim, so a plug
    still in its box has a sale (``UnitSale``) but no owner: ``list_devices`` cannot show it, this can.
    """
    if actor.user_id is None:
        return []
    sales = list(
        UnitSale.objects.filter(customer_id=actor.user_id, returned_at__isnull=True).order_by(
            "-sold_at", "-pk"
        )
    )
    devices = {
        d.serial: d
        for d in Device.objects.filter(serial__in=[s.serial for s in sales]).only(
            "serial", "owner_id", "model_urn", "device_id"
        )
    }
    pending = []
    for sale in sales:
        device = devices.get(sale.serial)
        if device is not None and device.owner_id == actor.user_id:
            continue
        pending.append(
            UnitToSetUp(
                sale.serial,
                sale.order_number,
                sale.sold_at,
                device.model_urn if device else "",
                device.device_id if device else "",
            )
        )
    return pending
