"""Factory identity: device ids, per-device secrets, revocation, and the spec a device speaks.

Secrets are 32 random bytes from ``secrets`` (256 bits), stored as a salted SHA-256. Key stretching
(scrypt, PBKDF2) protects low-entropy human passwords against guessing; a 256-bit machine secret
cannot be guessed, so stretching would only slow the broker: a thousand devices reconnecting at once
must each be checked in microseconds, not in 50 ms of scrypt.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from collections.abc import Iterator
from dataclasses import dataclass

from django.db import transaction
from django.utils import timezone

from millet.accounts.actor import Actor
from millet.catalog import services as catalog
from millet.catalog.services import DeviceSpec
from millet.core.errors import Conflict, NotFound, Unprocessable
from millet.core.integrity import taken_or_raise
from millet.devices.events import device_credentials_changed, units_provisioned
from millet.devices.models import Device, Shadow
from millet.devices.services.specs import ModelSpec, clear_cached_specs, model_spec

MAX_BATCH = 10_000
_DUMMY_SALT = "0" * 32


@dataclass(frozen=True)
class ProvisionedDevice:
    """What the factory line writes to the unit: returned once, only hashes are stored."""

    device_id: str
    serial: str
    model_urn: str
    secret: str
    claim_token: str


def device_id_for(model_urn: str, serial: str) -> str:
    """Stable, topic-safe and under MQTT 3.1.1's 23-character client id limit."""
    return "d" + hashlib.sha256(f"{model_urn}\n{serial}".encode()).hexdigest()[:20]


def _hash(salt: str, secret: str) -> str:
    return hashlib.sha256(f"{salt}:{secret}".encode()).hexdigest()


def new_claim_token() -> tuple[str, str, str]:
    """(token, salt, hash): the token goes on the box's QR code, only its hash stays here."""
    token, salt = secrets.token_urlsafe(12), secrets.token_hex(16)
    return token, salt, _hash(salt, token)


def token_matches(salt: str, stored: str, token: str) -> bool:
    return bool(stored) and hmac.compare_digest(_hash(salt, token), stored)


def _serials(serials: list[str]) -> list[str]:
    if not serials:
        raise Unprocessable("no serials given", code="invalid_serials")
    if len(serials) > MAX_BATCH:
        raise Unprocessable(f"at most {MAX_BATCH} serials per batch", code="invalid_serials")
    cleaned = [s.strip() if isinstance(s, str) else "" for s in serials]
    bad = [s for s in cleaned if not s or len(s) > 32 or not s.isprintable()]
    if bad:
        raise Unprocessable("serials must be 1 to 32 printable characters", code="invalid_serials")
    if len(set(cleaned)) != len(cleaned):
        raise Unprocessable("serials repeat within the batch", code="duplicate_serials")
    return cleaned


def provision_batch(
    *, actor: Actor, model_urn: str, serials: list[str], batch: str
) -> list[ProvisionedDevice]:
    """Give every unit of a production run its identity; all or nothing, so a rerun never half-applies.

    Staff only (the factory's commands act as the system).
    """
    actor.require_staff()
    model = catalog.get_device_model(model_urn)
    batch = (batch or "").strip()
    if not batch or len(batch) > 32:
        raise Unprocessable("batch must be 1 to 32 characters", code="invalid_batch")
    serials = _serials(serials)
    taken = list(Device.objects.filter(serial__in=serials).values_list("serial", flat=True)[:5])
    if taken:
        raise Conflict(f"already provisioned: {', '.join(taken)}", code="already_provisioned")
    issued: list[ProvisionedDevice] = []
    rows: list[Device] = []
    for serial in serials:
        secret, salt = secrets.token_urlsafe(32), secrets.token_hex(16)
        claim, claim_salt, claim_hash = new_claim_token()
        device_id = device_id_for(model.urn, serial)
        issued.append(ProvisionedDevice(device_id, serial, model.urn, secret, claim))
        rows.append(
            Device(
                device_id=device_id,
                serial=serial,
                device_model=model,
                model_urn=model.urn,
                batch=batch,
                secret_salt=salt,
                secret_hash=_hash(salt, secret),
                claim_salt=claim_salt,
                claim_hash=claim_hash,
            )
        )
    meanwhile = Conflict("a serial of this batch was provisioned meanwhile", code="already_provisioned")
    with taken_or_raise(Device.objects.filter(serial__in=serials), meanwhile, check_first=False):
        created = Device.objects.bulk_create(rows, batch_size=1000)
        if not all(d.pk for d in created):  # backends without RETURNING on bulk insert
            created = list(Device.objects.filter(serial__in=serials))
        Shadow.objects.bulk_create([Shadow(device=d) for d in created], batch_size=1000)
        units_provisioned.send(sender=Device, serials=serials)
    for p in issued:
        transaction.on_commit(
            lambda p=p: device_credentials_changed.send(
                sender=Device, device_id=p.device_id, secret=p.secret, enabled=True
            )
        )
    return issued


def get_device(device_id: object, *, for_update: bool = False) -> Device:
    if not isinstance(device_id, str) or not device_id or len(device_id) > 32:
        raise NotFound("unknown device", code="unknown_device")
    qs = Device.objects.select_for_update() if for_update else Device.objects
    device = qs.filter(device_id=device_id).first()
    if device is None:
        raise NotFound(f"unknown device {device_id!r}", code="unknown_device")
    return device


def revoke_device(actor: Actor, device_id: str) -> Device:
    """Staff only: the device can no longer log in, and the broker drops its connection on commit."""
    actor.require_staff()
    with transaction.atomic():
        device = get_device(device_id, for_update=True)
        if not device.enabled:
            raise Conflict("device is already revoked", code="already_revoked")
        device.enabled, device.revoked_at, device.online = False, timezone.now(), False
        device.save(update_fields=["enabled", "revoked_at", "online"])
        transaction.on_commit(
            lambda: device_credentials_changed.send(
                sender=Device, device_id=device.device_id, secret=None, enabled=False
            )
        )
    return device


def rotate_secret(actor: Actor, device_id: str) -> ProvisionedDevice:
    """Staff only: a new secret for a unit whose secret leaked (or to re-enable a revoked one)."""
    actor.require_staff()
    secret, salt = secrets.token_urlsafe(32), secrets.token_hex(16)
    with transaction.atomic():
        device = get_device(device_id, for_update=True)
        device.secret_salt, device.secret_hash = salt, _hash(salt, secret)
        device.enabled, device.revoked_at = True, None
        device.save(update_fields=["secret_salt", "secret_hash", "enabled", "revoked_at"])
        transaction.on_commit(
            lambda: device_credentials_changed.send(
                sender=Device, device_id=device.device_id, secret=secret, enabled=True
            )
        )
    return ProvisionedDevice(device.device_id, device.serial, device.model_urn, secret, "")


def check_device_secret(device_id: str, secret: str) -> bool:
    """Constant time whether or not the device exists, so timing tells nothing about which ids are real."""
    row = None
    if isinstance(device_id, str) and 0 < len(device_id) <= 32:
        row = (
            Device.objects.filter(device_id=device_id)
            .values_list("secret_salt", "secret_hash", "enabled")
            .first()
        )
    salt, stored, enabled = row or (_DUMMY_SALT, "0" * 64, False)
    given = _hash(salt, secret if isinstance(secret, str) else "")
    return hmac.compare_digest(given, stored) and enabled


def all_device_credentials() -> Iterator[tuple[str, bool]]:
    """Every device id with whether it may log in, streamed for a full broker resync."""
    yield from Device.objects.order_by("pk").values_list("device_id", "enabled").iterator(chunk_size=2000)


_model_urns: dict[str, str] = {}


def _model_of(device_id: str) -> str:
    """The model URN of a device; fixed at provisioning, so cached for the process."""
    code = _model_urns.get(device_id)
    if code is None:
        code = Device.objects.filter(device_id=device_id).values_list("model_urn", flat=True).first()
        if code is None:
            raise NotFound(f"unknown device {device_id!r}", code="unknown_device")
        if len(_model_urns) > 100_000:
            _model_urns.clear()
        _model_urns[device_id] = code
    return code


def forget_specs() -> None:
    """Drop the cached device models and their parsed specs (tests that change a spec call this)."""
    clear_cached_specs()
    _model_urns.clear()


def spec_of(device_id: str) -> ModelSpec:
    code = _model_of(device_id)
    return model_spec(code, lambda: catalog.get_device_model(code).spec)


def device_spec_for(device_id: str) -> DeviceSpec:
    """The parsed MIoT spec, for the simulator to generate realistic values."""
    return spec_of(device_id).spec


def model_urn_for(device_id: str) -> str:
    return _model_of(device_id)


def property_keys_for(device_id: str) -> dict[str, object]:
    """Wire key -> property declaration, so the simulator uses the keys ingestion accepts."""
    return {key: ref.spec for key, ref in spec_of(device_id).properties.items()}


def validate_telemetry(device_id: str, props: dict) -> dict:
    return spec_of(device_id).values(props)


def validate_event(device_id: str, event: str, args: dict) -> None:
    spec = spec_of(device_id)
    found = spec.events.get(event) if isinstance(event, str) else None
    if found is None:
        raise Unprocessable(f"unknown event {event!r}", code="unknown_event")
    spec.arguments(found[1], args, f"event {event!r}")
