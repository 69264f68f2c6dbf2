"""How the device cloud names a model's properties, actions and events on the wire, with a cache.

A property's key is its spec ``name`` (``"temperature"``); when two services of one model share a
name, both are qualified by their service id (``"2.on"``, ``"3.on"``). Parsed specs are cached per
model for a short time: ingestion validates every telemetry message, and re-parsing the JSON spec for
each one would cost more than the insert. Each property's value check is compiled once per parse
(``property_checker``), so checking a value is a few comparisons.
"""

from __future__ import annotations

import threading
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field

from millet.catalog.services import DeviceSpec, PropertySpec, checked_spec, property_checker
from millet.core.errors import Unprocessable

SPEC_TTL_SECONDS = 30.0


@dataclass(frozen=True)
class PropertyRef:
    key: str
    siid: int
    piid: int
    spec: PropertySpec
    check: Callable[[object], object]  # the value check, compiled once per model (``property_checker``)

    @property
    def writable(self) -> bool:
        return "write" in self.spec.access


@dataclass(frozen=True)
class ModelSpec:
    """A parsed spec indexed by wire names: properties by key, actions and events by name."""

    spec: DeviceSpec
    properties: dict[str, PropertyRef]
    actions: dict[str, tuple[int, list[str]]] = field(default_factory=dict)  # name -> (siid, in keys)
    events: dict[str, tuple[int, list[str]]] = field(default_factory=dict)  # name -> (siid, arg keys)

    def prop(self, key: object) -> PropertyRef:
        ref = self.properties.get(key) if isinstance(key, str) else None
        if ref is None:
            raise Unprocessable(f"unknown property {key!r}", code="unknown_property")
        return ref

    def value(self, key: object, value: object) -> object:
        return self.prop(key).check(value)

    def values(self, props: object, *, writable: bool = False) -> dict:
        if not isinstance(props, dict) or not props:
            raise Unprocessable("props must be a non-empty object", code="invalid_props")
        checked = {}
        for key, value in props.items():
            if writable and not self.prop(key).writable:
                raise Unprocessable(f"property {key!r} is read-only", code="read_only_property")
            checked[key] = self.value(key, value)
        return checked

    def arguments(self, keys: list[str], args: object, what: str) -> dict:
        if not isinstance(args, dict):
            raise Unprocessable(f"{what} arguments must be an object", code="invalid_arguments")
        unknown = sorted(set(args) - set(keys))
        if unknown:
            raise Unprocessable(f"{what} takes no arguments {unknown}", code="invalid_arguments")
        return {key: self.value(key, value) for key, value in args.items()}


def index_spec(raw: object) -> ModelSpec:
    spec = checked_spec(raw)
    names = Counter(p.name for s in spec.services for p in s.properties)
    properties: dict[str, PropertyRef] = {}
    keys_by_id: dict[tuple[int, int], str] = {}
    for service in spec.services:
        for p in service.properties:
            key = p.name if names[p.name] == 1 else f"{service.siid}.{p.name}"
            properties[key] = PropertyRef(key, service.siid, p.piid, p, property_checker(p, service.siid))
            keys_by_id[(service.siid, p.piid)] = key
    actions = {
        a.name: (s.siid, [keys_by_id[(s.siid, piid)] for piid in a.in_])
        for s in spec.services
        for a in s.actions
    }
    events = {
        e.name: (s.siid, [keys_by_id[(s.siid, piid)] for piid in e.arguments])
        for s in spec.services
        for e in s.events
    }
    return ModelSpec(spec=spec, properties=properties, actions=actions, events=events)


_lock = threading.Lock()
_cache: dict[str, tuple[float, ModelSpec]] = {}


def model_spec(model_urn: str, raw_loader) -> ModelSpec:
    """The indexed spec of a device model, parsed at most once per ``SPEC_TTL_SECONDS`` per process."""
    now = time.monotonic()
    hit = _cache.get(model_urn)  # one dict read, atomic: the ingest decoder asks for every message
    if hit and hit[0] > now:
        return hit[1]
    indexed = index_spec(raw_loader())
    with _lock:
        _cache[model_urn] = (now + SPEC_TTL_SECONDS, indexed)
    return indexed


def clear_cached_specs() -> None:
    with _lock:
        _cache.clear()
