"""What the owner's device page shows for a model's spec: a reading or a control per property, a
button per action, a line chart per numeric property, and the words for command states.

Presentation only: the spec comes from ``services.property_keys_for`` / ``device_spec_for``, the values
from the shadow; the page's template draws these and ``static/devices/live.js`` updates them.
A writable ``bool`` is a switch, a writable number with a ``value_range`` a slider, a writable
property with a ``value_list`` a select; everything else is a reading. Actions without arguments get
a button (the spec's actions with arguments are left to the API).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

# The demo catalog's property keys, actions, events and value-list words in the owner's language;
# others show their spec's words.
PROPERTY_LABELS = {
    "on": _("Power"),
    "power": _("Power draw"),
    "brightness": _("Brightness"),
    "color-temperature": _("Colour temperature"),
    "temperature": _("Temperature"),
    "relative-humidity": _("Humidity"),
    "battery-level": _("Battery"),
    "volume": _("Volume"),
    "mode": _("Mode"),
    "fan-level": _("Fan level"),
    "motion-detected": _("Motion"),
    "night-vision": _("Night vision"),
    "guest-wifi": _("Guest Wi-Fi"),
    "connected-devices": _("Connected devices"),
    "download-speed": _("Download speed"),
    "step-count": _("Steps"),
    "heart-rate": _("Heart rate"),
    "face-count": _("Faces seen"),
    "face-score": _("Face score"),
    "pm2.5-density": _("PM2.5 density"),
    "status": _("Status"),
}
ACTION_LABELS = {
    "toggle": _("Toggle"),
    "reboot": _("Restart"),
    "start-sweep": _("Start cleaning"),
    "stop-sweeping": _("Stop cleaning"),
    "take-snapshot": _("Take a picture"),
}
EVENT_LABELS = {
    "motion": _("Motion"),
    "face-detected": _("Face detected"),
    "filter-exhausted": _("Filter exhausted"),
    "stuck": _("Stuck"),
}
# A value list's descriptions (``{"value": 0, "description": "auto"}``), as a select offers them.
VALUE_LABELS = {
    "auto": pgettext_lazy("device setting", "Auto"),
    "on": pgettext_lazy("device setting", "On"),
    "off": pgettext_lazy("device setting", "Off"),
    "sleep": pgettext_lazy("device setting", "Sleep"),
    "favorite": pgettext_lazy("device setting", "Favourite"),
    "quiet": pgettext_lazy("device setting", "Quiet"),
    "standard": pgettext_lazy("device setting", "Standard"),
    "strong": pgettext_lazy("device setting", "Strong"),
    "idle": pgettext_lazy("device status", "Idle"),
    "cleaning": pgettext_lazy("device status", "Cleaning"),
    "charging": pgettext_lazy("device status", "Charging"),
    "error": pgettext_lazy("device status", "Error"),
}
UNIT_SYMBOLS = {
    "watt": "W",
    "celsius": "°C",
    "kelvin": "K",
    "percentage": "%",
    "kbps": "kbit/s",
    "bpm": "bpm",
}
COMMAND_STATES = {
    "queued": _("Queued"),
    "sent": _("Sent"),
    "acked": _("Acknowledged"),
    "failed": _("Failed"),
    "expired": _("Expired"),
    "cancelled": pgettext_lazy("device command", "Cancelled"),
}
NUMERIC = {"int8", "int16", "int32", "uint8", "uint16", "uint32", "float"}


def _known(table: dict, name: str, fallback: str) -> str:
    """``name``'s words from ``table``; a wire key may carry its service first (``purifier.mode``),
    and a name may hold a dot of its own (``pm2.5-density``)."""
    known = table.get(name, table.get(name.split(".", 1)[-1]))
    return str(known) if known is not None else fallback


def humane(name: str) -> str:
    """A spec name as words: ``pm2.5-density`` -> ``Pm2.5 density``."""
    return name.replace("-", " ").replace("_", " ").capitalize()


def label_for(key: str, description: str = "") -> str:
    """A property in words: the owner's language for a known key, else its spec's description or name."""
    return _known(PROPERTY_LABELS, key, description or humane(key))


def event_label(name: str, description: str = "") -> str:
    return _known(EVENT_LABELS, name, description or humane(name))


def action_label(name: str, description: str = "") -> str:
    return _known(ACTION_LABELS, name, description or humane(name))


def value_label(description: str) -> str:
    """A value list's entry in words: the owner's language for a known one, else the spec's own."""
    return str(VALUE_LABELS.get(description, description))


@dataclass(frozen=True)
class Control:
    """One property as the page shows it; ``kind`` is switch, slider, select or reading."""

    key: str
    label: str
    kind: str
    value: object
    unit: str = ""
    minimum: float | None = None
    maximum: float | None = None
    step: float | None = None
    options: list[tuple[int, str]] = field(default_factory=list)
    charted: bool = False  # a number or bool: history can be drawn

    @property
    def display(self) -> str:
        """The value in words: On/Off, an option's description, a number with its unit, or a dash."""
        if self.value is None:
            return "–"
        if isinstance(self.value, bool):
            return str(_("On") if self.value else _("Off"))
        for value, description in self.options:
            if value == self.value:
                return description
        return f"{self.value} {self.unit}".strip()


def controls_for(specs: dict[str, object], reported: dict, *, may_control: bool) -> list[Control]:
    """``specs``: wire key -> ``PropertySpec`` (``services.property_keys_for``); ``reported``: the
    shadow's reported values. Without ``may_control`` (a read-only share) every control is a reading."""
    controls = []
    for key, spec in specs.items():
        writable = may_control and "write" in spec.access
        options = [(v.value, value_label(v.description)) for v in spec.value_list or []]
        low, high, step = spec.value_range or (None, None, None)
        if writable and spec.format == "bool":
            kind = "switch"
        elif writable and options:
            kind = "select"
        elif writable and spec.format in NUMERIC and spec.value_range:
            kind = "slider"
        else:
            kind = "reading"
        controls.append(
            Control(
                key=key,
                label=label_for(key),
                kind=kind,
                value=reported.get(key),
                unit=UNIT_SYMBOLS.get(spec.unit or "", spec.unit or ""),
                minimum=low,
                maximum=high,
                step=step,
                options=options,
                charted=spec.format in NUMERIC or spec.format == "bool",
            )
        )
    return controls


def actions_for(spec, *, may_control: bool) -> list[tuple[str, str]]:
    """(name, label) of the spec's actions that take no arguments; none for a read-only member."""
    if not may_control:
        return []
    return [
        (a.name, str(ACTION_LABELS.get(a.name, a.name.replace("-", " ").capitalize())))
        for s in spec.services
        for a in s.actions
        if not a.in_
    ]


@dataclass(frozen=True)
class LineChart:
    """An SVG polyline of bucket averages over [start, end), scaled into ``width`` x ``height``."""

    width: int
    height: int
    points: str  # "x,y x,y ..." for <polyline points>
    low: float | None
    high: float | None
    count: int

    @property
    def last(self) -> list[str]:
        """The newest point's x and y, marked with a dot (a single bucket draws no line)."""
        return self.points.rsplit(" ", 1)[-1].split(",") if self.points else []


CHART_WIDTH, CHART_HEIGHT, CHART_PAD = 320, 120, 8


def line_chart(buckets, start: datetime, end: datetime) -> LineChart:
    """``buckets``: ``telemetry.services.Bucket`` rows (start, avg, min, max), oldest first."""
    if not buckets:
        return LineChart(CHART_WIDTH, CHART_HEIGHT, "", None, None, 0)
    low, high = min(b.min for b in buckets), max(b.max for b in buckets)
    span = (high - low) or 1.0
    seconds = (end - start).total_seconds()
    inner_w, inner_h = CHART_WIDTH - 2 * CHART_PAD, CHART_HEIGHT - 2 * CHART_PAD
    points = " ".join(
        f"{CHART_PAD + inner_w * (b.start - start).total_seconds() / seconds:.1f},"
        f"{CHART_PAD + inner_h * (1 - (b.avg - low) / span):.1f}"
        for b in buckets
    )
    return LineChart(CHART_WIDTH, CHART_HEIGHT, points, low, high, sum(b.count for b in buckets))
