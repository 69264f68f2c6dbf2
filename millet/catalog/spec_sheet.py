"""A connected product's device model spec as a shopper reads it: per service, what the device
reports and what you can change, with ranges, units and choices, plus its actions and alerts.

The spec (``device_spec.DeviceSpec``) is the firmware's contract, in MIoT's words (``fan-level``,
``uint8``, ``percentage``); this turns it into rows a page shows. Units and the frame are translated;
the names come from the spec (its ``description`` where it has one, else its name made readable).
"""

from __future__ import annotations

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


def _row(prop: PropertySpec) -> SpecRow:
    label = prop.description or readable(prop.name)
    settable = "write" in prop.access
    if prop.format == "bool":
        return SpecRow(label, settable, switch=True)
    if prop.value_list:
        return SpecRow(label, settable, choices=[item.description for item in prop.value_list])
    unit = str(UNITS.get(prop.unit, prop.unit)) if prop.unit else ""
    if prop.value_range:
        low, high, _step = prop.value_range
        return SpecRow(label, settable, low=low, high=high, unit=unit)
    kind = str(_("text")) if prop.format == "string" else str(_("number"))
    return SpecRow(label, settable, unit=unit, kind=kind)


def spec_sheet(spec: DeviceSpec) -> list[SpecSection]:
    """The spec's services in order, each with its properties, actions and events (alerts)."""
    return [
        SpecSection(
            title=service.description or readable(service.type),
            rows=[_row(prop) for prop in service.properties],
            actions=[action.description or readable(action.name) for action in service.actions],
            alerts=[event.description or readable(event.name) for event in service.events],
        )
        for service in spec.services
    ]
