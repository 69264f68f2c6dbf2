"""The automation editor's typed pickers, drawn from the device model specs of the owner's devices.

A picker's value names a device and one of its spec's members, ``<device_id>|<kind>|<name>``:

- trigger: ``property`` (a reading crossing or equal to a value) or ``event`` (``face-detected``);
- condition: ``property``;
- action: ``set`` (a writable property), ``action`` (an action without arguments) or ``notify``.

The value typed next to a property is an input of its spec's type: bool -> on/off, a value list ->
its choices, a range -> a number (typed in a text input, read by ``core.typed_numbers``), a string
-> text. Nothing here decides what is allowed: the automation services check every device and
value again when the automation is saved.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TypeVar

from django.utils.translation import gettext_lazy as _

from millet.accounts.actor import Actor
from millet.catalog import services as catalog
from millet.catalog.device_spec import PropertySpec, property_checker
from millet.core.errors import DomainError
from millet.core.typed_numbers import decimal_number, whole_number
from millet.devices import controls
from millet.devices import services as devices

EQUALITY = ("==", "!=")
OP_LABELS = {
    "==": _("is"),
    "!=": _("is not"),
    ">": _("goes above"),
    ">=": _("reaches at least"),
    "<": _("goes below"),
    "<=": _("drops to at most"),
}
NOTIFY = "|notify|"
UNIT_SIGNS = {"percentage": "%", "celsius": "°C", "kelvin": "K"}  # MIoT's unit names, as people write them
K = TypeVar("K")


@dataclass(frozen=True)
class Choice:
    value: str
    label: str


@dataclass(frozen=True)
class ValueInput:
    """One typed input for a property's value (``kind``: bool, enum, number or text)."""

    name: str
    label: str
    kind: str
    options: list[Choice] = field(default_factory=list)
    minimum: object = None
    maximum: object = None
    unit: str = ""
    value: str = ""
    ops: list[Choice] = field(default_factory=list)


@dataclass(frozen=True)
class Member:
    """A device's spec member a picker offers: its label and, for a property, its declaration."""

    device_id: str
    kind: str  # property | event | set | action | notify
    name: str
    label: str
    prop: PropertySpec | None = None


def device_names(units: list[tuple[K, str, str]]) -> dict[K, str]:
    """``(key, model_urn, serial)`` -> ``{key: "<name> · <serial>"}``, for the owner's pages: the name
    the device page shows, its product's in the visitor's language (the model's own name, which is
    English, only for a model no product sells)."""
    faces = catalog.product_faces({urn for _, urn, _ in units})
    return {key: f"{faces[urn].name} · {serial}" for key, urn, serial in units}


class Pickers:
    """Everything the actor's controllable devices offer a trigger, a condition and an action."""

    def __init__(self, actor: Actor) -> None:
        infos = [i for i in devices.list_devices(actor) if i.role in ("owner", "control")]
        self.names = device_names([(i.device_id, i.model_urn, i.serial) for i in infos])
        self.triggers: dict[str, Member] = {}
        self.conditions: dict[str, Member] = {}
        self.actions: dict[str, Member] = {}
        for info in infos:
            self._add(info.device_id, self.names[info.device_id])
        self.actions[NOTIFY] = Member("", "notify", "", str(_("Send me a notification")))

    def _add(self, device_id: str, device: str) -> None:
        for key, prop in devices.property_keys_for(device_id).items():
            label = f"{device}: {controls.label_for(key, prop.description)}"
            member = Member(device_id, "property", key, label, prop)
            self.triggers[f"{device_id}|property|{key}"] = member
            self.conditions[f"{device_id}|property|{key}"] = member
            if "write" in prop.access:
                self.actions[f"{device_id}|set|{key}"] = Member(device_id, "set", key, label, prop)
        for service in devices.device_spec_for(device_id).services:
            for event in service.events:
                label = f"{device}: {controls.event_label(event.name, event.description)}"
                self.triggers[f"{device_id}|event|{event.name}"] = Member(
                    device_id, "event", event.name, label
                )
            for action in service.actions:
                if not action.in_:
                    label = f"{device}: {controls.action_label(action.name, action.description)}"
                    self.actions[f"{device_id}|action|{action.name}"] = Member(
                        device_id, "action", action.name, label
                    )

    @staticmethod
    def choices(members: dict[str, Member]) -> list[Choice]:
        return [Choice(value, m.label) for value, m in members.items()]


def value_input(prop: PropertySpec, name: str, label: str, posted: str = "", *, with_ops: bool) -> ValueInput:
    """The typed input for ``prop``'s value; ``with_ops`` adds the comparisons that make sense for it."""
    numeric = prop.value_list is None and prop.format not in ("bool", "string")
    ops = [Choice(op, str(OP_LABELS[op])) for op in (OP_LABELS if numeric else EQUALITY)] if with_ops else []
    common = {
        "name": name,
        "label": label,
        "value": posted,
        "ops": ops,
        "unit": UNIT_SIGNS.get(prop.unit, prop.unit or ""),
    }
    if prop.format == "bool":
        on, off = _("On"), _("Off")
        return ValueInput(kind="bool", options=[Choice("true", str(on)), Choice("false", str(off))], **common)
    if prop.value_list is not None:
        options = [
            Choice(str(v.value), controls.value_label(v.description) or str(v.value)) for v in prop.value_list
        ]
        return ValueInput(kind="enum", options=options, **common)
    if numeric:
        low, high, _step = prop.value_range or (None, None, None)  # the step is value_problem's to say
        return ValueInput(kind="number", minimum=low, maximum=high, **common)
    return ValueInput(kind="text", **common)


def parse_value(prop: PropertySpec, raw: str) -> object:
    """The posted text as the property's type, its number read by ``core.typed_numbers``' one rule
    (``१२`` and ``１２`` are 12); a malformed number stays text for the service to refuse."""
    raw = (raw or "").strip()
    if prop.format == "bool":
        return {"true": True, "false": False}.get(raw, raw)
    if prop.format == "string":
        return raw
    if prop.format == "float":
        number = decimal_number(raw)
        return raw if number is None else float(number)
    whole = whole_number(raw, max_digits=18, signed=True)
    return raw if whole is None else whole


def value_problem(prop: PropertySpec, raw: str, op: str | None) -> str:
    """What is wrong with the value typed for ``prop`` (and the comparison ``op``, None for an
    action's value), in the owner's words; "" when the device takes it. The services check it again:
    their refusal names the spec's internals in English ("siid=2 piid=2 (brightness, uint8): ...")."""
    typed = value_input(prop, "", "", with_ops=op is not None)
    if op is not None and op not in {c.value for c in typed.ops}:
        return str(_("Choose how the value compares from the list."))
    try:
        property_checker(prop, 0)(parse_value(prop, raw))
    except DomainError:
        pass
    else:
        return ""
    if typed.kind in ("bool", "enum"):
        return str(_("Choose one of the values offered."))
    if typed.kind == "text":
        return str(_("Write a value."))
    whole = prop.format != "float"
    if prop.value_range is None:
        return str(_("Enter a whole number.") if whole else _("Enter a number."))
    low, high, step = prop.value_range
    if whole and step not in (None, 1):
        text = _("Enter a whole number from %(low)s to %(high)s, in steps of %(step)s.")
    elif whole:
        text = _("Enter a whole number from %(low)s to %(high)s.")
    else:
        text = _("Enter a number from %(low)s to %(high)s.")
    return str(text) % {"low": f"{low:g}", "high": f"{high:g}", "step": f"{step or 1:g}"}


def describe(automation, pickers: Pickers) -> dict[str, str]:
    """An automation in words: ``{"when", "if", "then"}`` (``if`` empty without conditions)."""

    def thing(device_id: str, kind: str, name: str) -> tuple[str, PropertySpec | None]:
        for members in (pickers.triggers, pickers.actions):
            member = members.get(f"{device_id}|{kind}|{name}")
            if member is not None:
                return member.label, member.prop
        return f"{pickers.names.get(device_id, device_id)}: {controls.humane(name)}", None

    def shown(prop: PropertySpec | None, value: object) -> str:
        if prop is None:
            return str(value)
        typed = value_input(prop, "", "", with_ops=False)
        wanted = "true" if value is True else "false" if value is False else str(value)
        return next((c.label for c in typed.options if c.value == wanted), wanted) + (
            f" {typed.unit}" if typed.unit and typed.kind == "number" else ""
        )

    def comparison(item: dict) -> str:
        label, prop = thing(item["device"], "property", item["property"])
        return f"{label} {OP_LABELS[item['op']]} {shown(prop, item['value'])}"

    t = automation.trigger
    if "at" in t:  # a time trigger (made through the API; the editor offers readings and events)
        when = _("at %(time)s on %(days)s") % {"time": t["at"], "days": ", ".join(t["days"])}
    else:
        when = thing(t["device"], "event", t["event"])[0] if "event" in t else comparison(t)
    conditions = [
        comparison(c)
        if c.get("type") == "property"
        else _("between %(after)s and %(before)s") % {"after": c["after"], "before": c["before"]}
        for c in automation.conditions
    ]
    then = []
    for a in automation.actions:
        if a["type"] == "notify":
            then.append(f"{_('Send me a notification')}: {a['message']}")
        elif a["type"] == "action":
            then.append(thing(a["device"], "action", a["action"])[0])
        else:
            for key, value in a["props"].items():
                label, prop = thing(a["device"], "set", key)
                then.append(f"{label} → {shown(prop, value)}")
    return {"when": when, "if": "; ".join(conditions), "then": "; ".join(then)}
