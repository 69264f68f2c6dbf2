"""Device models: the MIoT-style spec a connected product's units speak (services, properties, actions)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from millet.accounts.actor import Actor
from millet.catalog.device_spec import checked_spec
from millet.catalog.models import DeviceModel
from millet.core.errors import Conflict, NotFound, Unprocessable

# --- device models -----------------------------------------------------------------------------


def checked_text(value: str, field: str, max_length: int) -> str:
    value = value.strip()
    if not value or len(value) > max_length:
        raise Unprocessable(f"{field} must be 1 to {max_length} characters", code=f"invalid_{field}")
    return value


def create_device_model(urn: str, name: str, spec: Mapping[str, Any], *, actor: Actor) -> DeviceModel:
    """Register the spec a connected product's units will speak; refused whole if any part is invalid.

    Staff only.
    """
    actor.require_staff()
    urn = checked_text(urn, "urn", 128)
    checked_spec(spec)
    if DeviceModel.objects.filter(urn=urn).exists():
        raise Conflict(f"device model {urn!r} exists", code="duplicate_urn")
    return DeviceModel.objects.create(urn=urn, name=checked_text(name, "name", 128), spec=dict(spec))


def get_device_model(urn: str) -> DeviceModel:
    model = DeviceModel.objects.filter(urn=urn).first()
    if model is None:
        raise NotFound(f"unknown device model {urn!r}", code="unknown_device_model")
    return model


def device_model_urns(ids: Iterable[int]) -> dict[int, str]:
    """Device model id -> URN, for rows other domains keep (firmware, devices)."""
    return dict(DeviceModel.objects.filter(pk__in=set(ids)).values_list("pk", "urn"))


def update_device_model(urn: str, name: str, spec: Mapping[str, Any], *, actor: Actor) -> DeviceModel:
    """Replace a device model's name and spec (staff only)."""
    actor.require_staff()
    model = get_device_model(urn)
    checked_spec(spec)
    model.name, model.spec = checked_text(name, "name", 128), dict(spec)
    model.save(update_fields=["name", "spec"])
    return model
