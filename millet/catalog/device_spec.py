"""Device model specs in the spirit of Xiaomi's MIoT spec: services with typed properties, actions, events.

The spec is the contract between a device's firmware, the device cloud and the owner's app, so it is
checked whole when a model is saved and every telemetry value or command is checked against it.

Structure is validated with pydantic v2 (installed with django-ninja): it already gives typed, strict
parsing of nested JSON with a location for every error, which hand-written dict walking would repeat.
Cross-references (action and event arguments naming properties of their service) are checked after
parsing, where the whole service is known.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Callable, Mapping
from typing import Annotated, Any, Literal

from django.core.exceptions import ValidationError
from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    PlainValidator,
    PrivateAttr,
    StrictInt,
    StrictStr,
    ValidationInfo,
    field_validator,
)
from pydantic import ValidationError as PydanticValidationError
from pydantic_core import PydanticCustomError

from millet.core.errors import Unprocessable

Format = Literal["bool", "int8", "int16", "int32", "uint8", "uint16", "uint32", "float", "string"]
Access = Literal["read", "write", "notify"]

INT_BOUNDS: dict[str, tuple[int, int]] = {
    "int8": (-(2**7), 2**7 - 1),
    "int16": (-(2**15), 2**15 - 1),
    "int32": (-(2**31), 2**31 - 1),
    "uint8": (0, 2**8 - 1),
    "uint16": (0, 2**16 - 1),
    "uint32": (0, 2**32 - 1),
}
FLOAT_MAX = 3.4028234663852886e38  # MIoT "float" is IEEE 754 single precision
MAX_STRING_LENGTH = 4096  # a device never needs more in one property; longer input is abuse

Id = Annotated[StrictInt, Field(ge=1, le=2**16)]
Name = Annotated[StrictStr, Field(min_length=1, max_length=64, pattern=r"^[a-z][a-z0-9_.-]*$")]
Text = Annotated[StrictStr, Field(max_length=256)]


def _finite_number(value: object) -> int | float:
    # One validator instead of an int|float union, whose errors would be reported once per member.
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise PydanticCustomError("spec", "must be a number")
    if not math.isfinite(value):
        raise PydanticCustomError("spec", "must be a finite number")
    return value


Number = Annotated[int | float, PlainValidator(_finite_number)]


def _bounds(fmt: str) -> tuple[float, float]:
    return INT_BOUNDS.get(fmt) or (-FLOAT_MAX, FLOAT_MAX)


def _fail(message: str) -> PydanticCustomError:
    return PydanticCustomError("spec", message)


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)


class EnumValue(_Strict):
    value: StrictInt
    description: Text


class PropertySpec(_Strict):
    piid: Id
    name: Name
    description: Text = ""
    format: Format
    access: Annotated[list[Access], Field(min_length=1)]
    unit: Annotated[StrictStr, Field(min_length=1, max_length=32)] | None = None
    value_range: Annotated[list[Number], Field(min_length=3, max_length=3)] | None = None
    value_list: Annotated[list[EnumValue], Field(min_length=1)] | None = None

    @field_validator("access")
    @classmethod
    def _unique_access(cls, access: list[str]) -> list[str]:
        if len(set(access)) != len(access):
            raise _fail("access modes must be unique")
        return access

    @field_validator("value_range")
    @classmethod
    def _range_fits_format(cls, value_range: list[float] | None, info: ValidationInfo) -> list[float] | None:
        fmt = info.data.get("format")
        if value_range is None or fmt is None:
            return value_range
        if fmt not in INT_BOUNDS and fmt != "float":
            raise _fail(f"value_range is only allowed for numeric formats, not {fmt}")
        low, high, step = value_range
        if fmt in INT_BOUNDS and not all(isinstance(v, int) for v in value_range):
            raise _fail(f"value_range of an {fmt} property must be integers")
        if not low < high:
            raise _fail(f"value_range min {low} must be below max {high}")
        if not step > 0:
            raise _fail(f"value_range step {step} must be positive")
        lowest, highest = _bounds(fmt)
        if low < lowest or high > highest:
            raise _fail(f"value_range [{low}, {high}] exceeds {fmt} bounds [{lowest}, {highest}]")
        return value_range

    @field_validator("value_list")
    @classmethod
    def _enum_fits_format(
        cls, value_list: list[EnumValue] | None, info: ValidationInfo
    ) -> list[EnumValue] | None:
        fmt = info.data.get("format")
        if value_list is None or fmt is None:
            return value_list
        if fmt not in INT_BOUNDS:
            raise _fail(f"value_list is only allowed for integer formats, not {fmt}")
        values = [item.value for item in value_list]
        if len(set(values)) != len(values):
            raise _fail("value_list values must be unique")
        lowest, highest = INT_BOUNDS[fmt]
        outside = [v for v in values if not lowest <= v <= highest]
        if outside:
            raise _fail(f"value_list values {outside} exceed {fmt} bounds [{lowest}, {highest}]")
        if info.data.get("value_range") is not None:
            raise _fail("a property has either value_range or value_list, not both")
        return value_list


class ActionSpec(_Strict):
    aiid: Id
    name: Name
    description: Text = ""
    in_: Annotated[list[Id], Field(alias="in")] = []
    out: list[Id] = []


class EventSpec(_Strict):
    eiid: Id
    name: Name
    description: Text = ""
    arguments: list[Id] = []


class ServiceSpec(_Strict):
    siid: Id
    type: Name
    description: Text = ""
    properties: list[PropertySpec] = []
    actions: list[ActionSpec] = []
    events: list[EventSpec] = []


class DeviceSpec(_Strict):
    services: Annotated[list[ServiceSpec], Field(min_length=1)]

    _properties: dict[tuple[int, int], PropertySpec] = PrivateAttr(default_factory=dict)

    def model_post_init(self, context: Any) -> None:
        # The index makes per-message lookups O(1) for the device cloud, which checks every telemetry value.
        self._properties.update(
            ((service.siid, prop.piid), prop) for service in self.services for prop in service.properties
        )

    def find_property(self, siid: int, piid: int) -> PropertySpec:
        prop = self._properties.get((siid, piid))
        if prop is None:
            raise Unprocessable(f"no property siid={siid} piid={piid} in this spec", code="unknown_property")
        return prop


def _path(loc: tuple[int | str, ...]) -> str:
    path = ""
    for part in loc:
        path += f"[{part}]" if isinstance(part, int) else (f".{part}" if path else str(part))
    return path or "spec"


def _duplicates(ids: list[int]) -> list[int]:
    return sorted(i for i, count in Counter(ids).items() if count > 1)


def _reference_errors(spec: DeviceSpec) -> list[str]:
    """The rules that need a whole service in view: unique ids and arguments naming real properties."""
    errors = [f"services: duplicate siid {i}" for i in _duplicates([s.siid for s in spec.services])]
    for si, service in enumerate(spec.services):
        where = f"services[{si}]"
        piids = [p.piid for p in service.properties]
        for kind, ids in (
            ("piid", piids),
            ("aiid", [a.aiid for a in service.actions]),
            ("eiid", [e.eiid for e in service.events]),
        ):
            errors += [f"{where}: duplicate {kind} {i} in siid={service.siid}" for i in _duplicates(ids)]
        known = set(piids)
        refs = [(f"actions[{ai}].in", a.in_) for ai, a in enumerate(service.actions)]
        refs += [(f"actions[{ai}].out", a.out) for ai, a in enumerate(service.actions)]
        refs += [(f"events[{ei}].arguments", e.arguments) for ei, e in enumerate(service.events)]
        for field, ids in refs:
            errors += [
                f"{where}.{field}[{n}]: piid {piid} is not a property of service siid={service.siid}"
                for n, piid in enumerate(ids)
                if piid not in known
            ]
    return errors


def parse_spec(spec: object) -> DeviceSpec:
    """The parsed spec, or a ValidationError listing every problem as ``path: problem``."""
    if not isinstance(spec, Mapping):
        raise ValidationError(["spec: must be a JSON object with a services list"])
    try:
        parsed = DeviceSpec.model_validate(spec)
    except PydanticValidationError as exc:
        raise ValidationError([f"{_path(e['loc'])}: {e['msg']}" for e in exc.errors()]) from None
    errors = _reference_errors(parsed)
    if errors:
        raise ValidationError(errors)
    return parsed


def validate_spec_for_model(spec: object) -> None:
    """Called from ``DeviceModel.clean``: errors go on the spec field so the admin shows them there."""
    try:
        parse_spec(spec)
    except ValidationError as exc:
        raise ValidationError({"spec": exc.messages}) from None


SpecLike = DeviceSpec | Mapping[str, Any]


def checked_spec(spec: SpecLike) -> DeviceSpec:
    """The parsed spec, or a 422 listing every problem: the form services and the API need."""
    if isinstance(spec, DeviceSpec):
        return spec
    try:
        return parse_spec(spec)
    except ValidationError as exc:
        raise Unprocessable("; ".join(exc.messages), code="invalid_spec") from None


def property_spec(spec: SpecLike, siid: int, piid: int) -> PropertySpec:
    """The declaration of one property; pass a parsed ``DeviceSpec`` when checking many values."""
    return checked_spec(spec).find_property(siid, piid)


def validate_property_value(spec: SpecLike, siid: int, piid: int, value: object) -> object:
    """Check a telemetry value or command argument against its declaration and return it; raises
    ``Unprocessable`` ``invalid_property_value``. The rules are ``property_checker``'s."""
    return property_checker(property_spec(spec, siid, piid), siid)(value)


def property_checker(prop: PropertySpec, siid: int) -> Callable[[object], object]:
    """The check of one property's values, compiled once from its declaration (ingestion checks
    every telemetry value, so nothing about the declaration is looked up per value): a function
    returning the value or raising ``Unprocessable`` ``invalid_property_value``.

    Booleans are refused for numeric formats (``True`` is an ``int`` in Python but not on the wire),
    and NaN/infinity for floats. Steps are enforced for integer formats only: float sensors report at
    their own precision, while integer settings (fan level, brightness) must land on the grid.
    """
    where = f"siid={siid} piid={prop.piid} ({prop.name}, {prop.format})"

    def refuse(problem: str) -> Unprocessable:
        return Unprocessable(f"{where}: {problem}", code="invalid_property_value")

    if prop.format == "bool":

        def check_bool(value: object) -> object:
            if value is True or value is False:
                return value
            raise refuse(f"expected true or false, got {value!r}")

        return check_bool
    if prop.format == "string":

        def check_string(value: object) -> object:
            if not isinstance(value, str):
                raise refuse(f"expected a string, got {value!r}")
            if len(value) > MAX_STRING_LENGTH:
                raise refuse(f"string longer than {MAX_STRING_LENGTH} characters")
            return value

        return check_string
    integer = prop.format in INT_BOUNDS
    lowest, highest = _bounds(prop.format)
    allowed = frozenset(item.value for item in prop.value_list) if prop.value_list is not None else None
    low, high, step = prop.value_range if prop.value_range is not None else (lowest, highest, None)

    def check_number(value: object) -> object:
        kind = type(value)
        if kind is not int and kind is not float:
            if isinstance(value, bool) or not isinstance(value, int | float):
                raise refuse(f"expected a number, got {value!r}")
        if integer and not isinstance(value, int):
            raise refuse(f"expected an integer, got {value!r}")
        if not math.isfinite(value):
            raise refuse(f"{value!r} is not a finite number")
        if not lowest <= value <= highest:
            raise refuse(f"{value} is outside the format's bounds [{lowest}, {highest}]")
        if allowed is not None and value not in allowed:
            raise refuse(f"{value} is not one of {[item.value for item in prop.value_list]}")
        if not low <= value <= high:
            raise refuse(f"{value} is outside [{low}, {high}]")
        if integer and step is not None and (value - low) % step:
            raise refuse(f"{value} is not on the step {step} from {low}")
        return value

    return check_number
