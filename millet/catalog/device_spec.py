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
import operator
from collections import Counter
from collections.abc import Callable, Mapping
from typing import Annotated, Any, Literal

from django.core.exceptions import ValidationError
from django.utils.functional import lazy
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext_lazy, override
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


# Each problem the checker finds, by pydantic's error type or the checker's own code, with named
# placeholders for pydantic's context or the checker's values: the admin shows a refused spec in the
# staff member's language. A problem of a type not here keeps pydantic's English.
PROBLEMS = {
    "missing": _("Field required"),
    "extra_forbidden": _("Extra inputs are not permitted"),
    "int_type": _("Input should be a valid integer"),
    "string_type": _("Input should be a valid string"),
    "list_type": _("Input should be a valid list"),
    "literal_error": _("Input should be %(expected)s"),
    "greater_than_equal": _("Input should be greater than or equal to %(ge)s"),
    "less_than_equal": _("Input should be less than or equal to %(le)s"),
    "string_pattern_mismatch": _("String should match pattern '%(pattern)s'"),
    "string_too_short": ngettext_lazy(
        "String should have at least %(min_length)d character",
        "String should have at least %(min_length)d characters",
        "min_length",
    ),
    "string_too_long": ngettext_lazy(
        "String should have at most %(max_length)d character",
        "String should have at most %(max_length)d characters",
        "max_length",
    ),
    "too_short": ngettext_lazy(
        "List should have at least %(min_length)d item after validation, not %(actual_length)d",
        "List should have at least %(min_length)d items after validation, not %(actual_length)d",
        "min_length",
    ),
    "too_long": ngettext_lazy(
        "List should have at most %(max_length)d item after validation, not %(actual_length)d",
        "List should have at most %(max_length)d items after validation, not %(actual_length)d",
        "max_length",
    ),
    "not_an_object": _("must be a JSON object with a services list"),
    "not_a_number": _("must be a number"),
    "not_finite": _("must be a finite number"),
    "access_not_unique": _("access modes must be unique"),
    "range_not_numeric": _("value_range is only allowed for numeric formats, not %(format)s"),
    "range_not_integers": _("value_range of an %(format)s property must be integers"),
    "range_empty": _("value_range min %(low)s must be below max %(high)s"),
    "step_not_positive": _("value_range step %(step)s must be positive"),
    "range_out_of_bounds": _(
        "value_range [%(low)s, %(high)s] exceeds %(format)s bounds [%(lowest)s, %(highest)s]"
    ),
    "list_not_integer": _("value_list is only allowed for integer formats, not %(format)s"),
    "list_not_unique": _("value_list values must be unique"),
    "list_out_of_bounds": _(
        "value_list values %(values)s exceed %(format)s bounds [%(lowest)s, %(highest)s]"
    ),
    "range_and_list": _("a property has either value_range or value_list, not both"),
    "duplicate_siid": _("duplicate siid %(id)s"),
    "duplicate_piid": _("duplicate piid %(id)s in siid=%(siid)s"),
    "duplicate_aiid": _("duplicate aiid %(id)s in siid=%(siid)s"),
    "duplicate_eiid": _("duplicate eiid %(id)s in siid=%(siid)s"),
    "unknown_argument": _("piid %(piid)s is not a property of service siid=%(siid)s"),
}
AT_PATH = _("%(path)s: %(problem)s")
# A problem said when it is shown, in the language then active (the admin's page, the API's English).
_said = lazy(operator.mod, str)


def _problem(path: str, code: str, params: Mapping[str, object], english: str = "") -> ValidationError:
    """One problem at ``path``, said in the language active when it is shown; ``english`` is
    pydantic's own message, kept for a type ``PROBLEMS`` does not translate."""
    problem = _said(PROBLEMS[code], dict(params)) if code in PROBLEMS else english
    return ValidationError(AT_PATH, code=code, params={"path": path, "problem": problem})


def _finite_number(value: object) -> int | float:
    # One validator instead of an int|float union, whose errors would be reported once per member.
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise _fail("not_a_number")
    if not math.isfinite(value):
        raise _fail("not_finite")
    return value


Number = Annotated[int | float, PlainValidator(_finite_number)]


def _bounds(fmt: str) -> tuple[float, float]:
    return INT_BOUNDS.get(fmt) or (-FLOAT_MAX, FLOAT_MAX)


def _fail(code: str, **params: object) -> PydanticCustomError:
    """A rule of ``PROBLEMS`` broken inside a pydantic validator, with the values its text names."""
    with override("en"):  # pydantic's own message, for whoever reads the error outside parse_spec
        return PydanticCustomError(code, PROBLEMS[code] % params, params)


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
            raise _fail("access_not_unique")
        return access

    @field_validator("value_range")
    @classmethod
    def _range_fits_format(cls, value_range: list[float] | None, info: ValidationInfo) -> list[float] | None:
        fmt = info.data.get("format")
        if value_range is None or fmt is None:
            return value_range
        if fmt not in INT_BOUNDS and fmt != "float":
            raise _fail("range_not_numeric", format=fmt)
        low, high, step = value_range
        if fmt in INT_BOUNDS and not all(isinstance(v, int) for v in value_range):
            raise _fail("range_not_integers", format=fmt)
        if not low < high:
            raise _fail("range_empty", low=low, high=high)
        if not step > 0:
            raise _fail("step_not_positive", step=step)
        lowest, highest = _bounds(fmt)
        if low < lowest or high > highest:
            raise _fail("range_out_of_bounds", low=low, high=high, format=fmt, lowest=lowest, highest=highest)
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
            raise _fail("list_not_integer", format=fmt)
        values = [item.value for item in value_list]
        if len(set(values)) != len(values):
            raise _fail("list_not_unique")
        lowest, highest = INT_BOUNDS[fmt]
        outside = [v for v in values if not lowest <= v <= highest]
        if outside:
            raise _fail("list_out_of_bounds", values=outside, format=fmt, lowest=lowest, highest=highest)
        if info.data.get("value_range") is not None:
            raise _fail("range_and_list")
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


def _reference_errors(spec: DeviceSpec) -> list[ValidationError]:
    """The rules that need a whole service in view: unique ids and arguments naming real properties."""
    errors = [
        _problem("services", "duplicate_siid", {"id": i})
        for i in _duplicates([s.siid for s in spec.services])
    ]
    for si, service in enumerate(spec.services):
        where = f"services[{si}]"
        piids = [p.piid for p in service.properties]
        for kind, ids in (
            ("piid", piids),
            ("aiid", [a.aiid for a in service.actions]),
            ("eiid", [e.eiid for e in service.events]),
        ):
            errors += [
                _problem(where, f"duplicate_{kind}", {"id": i, "siid": service.siid})
                for i in _duplicates(ids)
            ]
        known = set(piids)
        refs = [(f"actions[{ai}].in", a.in_) for ai, a in enumerate(service.actions)]
        refs += [(f"actions[{ai}].out", a.out) for ai, a in enumerate(service.actions)]
        refs += [(f"events[{ei}].arguments", e.arguments) for ei, e in enumerate(service.events)]
        for field, ids in refs:
            errors += [
                _problem(f"{where}.{field}[{n}]", "unknown_argument", {"piid": piid, "siid": service.siid})
                for n, piid in enumerate(ids)
                if piid not in known
            ]
    return errors


def parse_spec(spec: object) -> DeviceSpec:
    """The parsed spec, or a ValidationError listing every problem as ``path: problem``, each said
    in the language active when it is shown."""
    if not isinstance(spec, Mapping):
        raise ValidationError([_problem("spec", "not_an_object", {})])
    try:
        parsed = DeviceSpec.model_validate(spec)
    except PydanticValidationError as exc:
        raise ValidationError(
            [_problem(_path(e["loc"]), e["type"], e.get("ctx") or {}, e["msg"]) for e in exc.errors()]
        ) from None
    errors = _reference_errors(parsed)
    if errors:
        raise ValidationError(errors)
    return parsed


def validate_spec_for_model(spec: object) -> None:
    """Called from ``DeviceModel.clean``: errors go on the spec field so the admin shows them there."""
    try:
        parse_spec(spec)
    except ValidationError as exc:
        raise ValidationError({"spec": exc.error_list}) from None


SpecLike = DeviceSpec | Mapping[str, Any]


def checked_spec(spec: SpecLike) -> DeviceSpec:
    """The parsed spec, or a 422 listing every problem in English: the form services and the API need."""
    if isinstance(spec, DeviceSpec):
        return spec
    try:
        return parse_spec(spec)
    except ValidationError as exc:
        with override("en"):
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
