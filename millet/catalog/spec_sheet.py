"""A connected product's device model spec as a shopper reads it: per service, what the device
reports and what you can change, with ranges, units and choices, plus its actions and alerts.

The spec (``device_spec.DeviceSpec``) is the firmware's contract, in MIoT's words (``fan-level``,
``uint8``, ``percentage``); this turns it into rows a page shows. Units and the frame are translated
by gettext; the names come from the spec (its ``description`` where it has one, else its name made
readable), in English, and read in the page's language through the device model's ``spec_labels``
(English label -> the language's, set by ``catalog.services.translate_device_model``).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from django.utils.translation import gettext_lazy as _

from millet.catalog.device_spec import DeviceSpec, PropertySpec

# MIoT unit names -> what a shopper reads (SI symbols stay as they are in every language).
UNITS = {
    "percentage": "%",
    "celsius": "°C",
    "watt": "W",
    "kelvin": "K",
    "kbps": "kbit/s",
    "μg/m3": "μg/m³",
    "bpm": _("beats per minute"),
    "steps": _("steps"),
    "seconds": _("seconds"),
    "minutes": _("minutes"),
}


@dataclass(frozen=True)
class SpecRow:
    """One property. Exactly one of ``switch``, ``choices``, ``low``/``high`` or ``kind`` describes
    its values; ``settable`` says whether the owner can change it from the app."""

    label: str
    settable: bool
    switch: bool = False
    choices: list[str] = field(default_factory=list)
    low: int | float | None = None
    high: int | float | None = None
    unit: str = ""
    kind: str = ""


@dataclass(frozen=True)
class SpecSection:
    title: str
    rows: list[SpecRow]
    actions: list[str]
    alerts: list[str]


def readable(name: str) -> str:
    """A spec name as words: ``fan-level`` -> ``Fan level``, ``pm2.5-density`` -> ``PM2.5 density``."""
    words = name.replace("_", "-").split("-")
    words = [w.upper() if w.startswith("pm") else w for w in words]
    text = " ".join(words)
    return text[:1].upper() + text[1:]


def _row(prop: PropertySpec, labels: Mapping[str, str]) -> SpecRow:
    label = labels.get(_label(prop), _label(prop))
    settable = "write" in prop.access
    if prop.format == "bool":
        return SpecRow(label, settable, switch=True)
    if prop.value_list:
        return SpecRow(
            label, settable, choices=[labels.get(i.description, i.description) for i in prop.value_list]
        )
    unit = str(UNITS.get(prop.unit, prop.unit)) if prop.unit else ""
    if prop.value_range:
        low, high, _step = prop.value_range
        return SpecRow(label, settable, low=low, high=high, unit=unit)
    kind = str(_("text")) if prop.format == "string" else str(_("number"))
    return SpecRow(label, settable, unit=unit, kind=kind)


def _label(part) -> str:
    """A service's, property's, action's or event's English label: its description, else its name."""
    return part.description or readable(getattr(part, "type", None) or part.name)


def spec_labels(spec: DeviceSpec) -> set[str]:
    """Every English label the spec's sheet shows, the keys a device model's ``spec_labels`` may have."""
    found = set()
    for service in spec.services:
        found.add(_label(service))
        found.update(_label(part) for part in (*service.properties, *service.actions, *service.events))
        found.update(item.description for prop in service.properties for item in prop.value_list or ())
    return found


def spec_sheet(spec: DeviceSpec, labels: Mapping[str, str] | None = None) -> list[SpecSection]:
    """The spec's services in order, each with its properties, actions and events (alerts), each
    name read through ``labels`` (English label -> the page's language; missing ones stay English)."""
    labels = labels or {}

    def read(part) -> str:
        return labels.get(_label(part), _label(part))

    return [
        SpecSection(
            title=read(service),
            rows=[_row(prop, labels) for prop in service.properties],
            actions=[read(action) for action in service.actions],
            alerts=[read(event) for event in service.events],
        )
        for service in spec.services
    ]
