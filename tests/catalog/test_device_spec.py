import copy
import math

import pytest
from django.core.exceptions import ValidationError
from django.utils.translation import override
from hypothesis import given, settings
from hypothesis import strategies as st

from millet.catalog.device_spec import checked_spec, parse_spec, property_spec, validate_property_value
from millet.catalog.models import DeviceModel
from millet.core.errors import Unprocessable
from tests.catalog.conftest import PURIFIER_SPEC

SPEC = parse_spec(PURIFIER_SPEC)


def broken(change) -> dict:
    spec = copy.deepcopy(PURIFIER_SPEC)
    change(spec)
    return spec


def prop(spec: dict, piid: int) -> dict:
    return next(p for p in spec["services"][0]["properties"] if p["piid"] == piid)


BAD_SPECS = [
    (lambda s: s.clear(), "services: Field required"),
    (lambda s: s["services"].clear(), "services: List should have at least 1 item"),
    (lambda s: s["services"][1].update(siid=2), "services: duplicate siid 2"),
    (
        lambda s: s["services"][0].update(siid=0),
        "services[0].siid: Input should be greater than or equal to 1",
    ),
    (lambda s: s["services"][0].update(siid="2"), "services[0].siid: Input should be a valid integer"),
    (lambda s: prop(s, 2).update(piid=1), "services[0]: duplicate piid 1 in siid=2"),
    (lambda s: s["services"][0]["actions"].append({"aiid": 1, "name": "x"}), "duplicate aiid 1"),
    (lambda s: s["services"][0]["events"].append({"eiid": 1, "name": "x"}), "duplicate eiid 1"),
    (
        lambda s: prop(s, 1).update(format="double"),
        "services[0].properties[0].format: Input should be 'bool'",
    ),
    (lambda s: prop(s, 1).update(access=[]), "services[0].properties[0].access: List should have at least 1"),
    (lambda s: prop(s, 1).update(access=["read", "read"]), "access modes must be unique"),
    (
        lambda s: prop(s, 1).update(access=["execute"]),
        "services[0].properties[0].access[0]: Input should be 'read'",
    ),
    (lambda s: prop(s, 1).update(value_range=[0, 1, 1]), "value_range is only allowed for numeric formats"),
    (
        lambda s: prop(s, 5).update(value_list=[{"value": 1, "description": "a"}]),
        "only allowed for integer formats",
    ),
    (
        lambda s: prop(s, 4).update(value_list=[{"value": 1, "description": "a"}]),
        "only allowed for integer formats",
    ),
    (lambda s: prop(s, 3).update(value_range=[10, 10, 1]), "min 10 must be below max 10"),
    (lambda s: prop(s, 3).update(value_range=[0, 10, 0]), "step 0 must be positive"),
    (lambda s: prop(s, 3).update(value_range=[0, 10]), "value_range: List should have at least 3 items"),
    (
        lambda s: prop(s, 3).update(value_range=[0, 40000, 1]),
        "[0, 40000] exceeds int16 bounds [-32768, 32767]",
    ),
    (
        lambda s: prop(s, 3).update(value_range=[0, 10.5, 1]),
        "value_range of an int16 property must be integers",
    ),
    (lambda s: prop(s, 4).update(value_range=[0, math.nan, 1]), "value_range[1]: must be a finite number"),
    (lambda s: prop(s, 4).update(value_range=[0, math.inf, 1]), "value_range[1]: must be a finite number"),
    (lambda s: prop(s, 4).update(value_range=[0, 1e39, 1]), "exceeds float bounds"),
    (lambda s: prop(s, 4).update(value_range=[True, 5, 1]), "value_range[0]: must be a number"),
    (
        lambda s: prop(s, 2)["value_list"].append({"value": 0, "description": "again"}),
        "values must be unique",
    ),
    (
        lambda s: prop(s, 2)["value_list"].append({"value": 256, "description": "big"}),
        "[256] exceed uint8 bounds",
    ),
    (lambda s: prop(s, 2).update(value_range=[0, 2, 1]), "either value_range or value_list, not both"),
    (
        lambda s: prop(s, 1).update(colour="red"),
        "services[0].properties[0].colour: Extra inputs are not permitted",
    ),
    (
        lambda s: prop(s, 1).update(name="On Off"),
        "services[0].properties[0].name: String should match pattern",
    ),
    (
        lambda s: s["services"][0]["actions"][0].update({"in": [9]}),
        "services[0].actions[0].in[0]: piid 9 is not a property of service siid=2",
    ),
    (
        lambda s: s["services"][0]["actions"][0].update(out=[1, 7]),
        "services[0].actions[0].out[1]: piid 7 is not a property of service siid=2",
    ),
    (
        lambda s: (
            s["services"][0]["events"][0].update(arguments=[1])
            or s["services"][1].update(events=[{"eiid": 1, "name": "x", "arguments": [2]}])
        ),
        "services[1].events[0].arguments[0]: piid 2 is not a property of service siid=3",
    ),
]


def test_valid_spec_parses():
    assert [s.siid for s in SPEC.services] == [2, 3]
    assert SPEC.services[0].actions[0].in_ == []


@pytest.mark.parametrize(("change", "message"), BAD_SPECS)
def test_invalid_specs_name_path_and_problem(change, message):
    with pytest.raises(ValidationError) as exc:
        parse_spec(broken(change))
    assert any(message in m for m in exc.value.messages), exc.value.messages


@pytest.mark.parametrize("spec", [None, [], "services", 3])
def test_spec_must_be_an_object(spec):
    with pytest.raises(ValidationError, match="must be a JSON object"):
        parse_spec(spec)


def test_problems_are_said_in_the_language_they_are_shown_in():
    """The admin shows a refused spec in the staff member's language; the API keeps its English."""
    spec = broken(lambda s: s["services"][1].update(siid=2))
    with pytest.raises(ValidationError) as exc:
        parse_spec(spec)
    with override("de"):
        assert exc.value.messages == ["services: siid 2 kommt doppelt vor"]
    with override("zh-hans"):
        assert exc.value.messages == ["services：siid 2 重复"]
    with override("de"), pytest.raises(Unprocessable, match="services: duplicate siid 2"):
        checked_spec(spec)


def test_every_problem_is_reported_at_once():
    spec = broken(lambda s: prop(s, 1).update(format="double") or prop(s, 3).update(value_range=[5, 1, 1]))
    with pytest.raises(ValidationError) as exc:
        parse_spec(spec)
    assert len(exc.value.messages) == 2


@pytest.mark.django_db
def test_model_save_refuses_invalid_spec_on_the_spec_field():
    with pytest.raises(ValidationError) as exc:
        DeviceModel(urn="urn:x", name="X", spec=broken(lambda s: s["services"][1].update(siid=2))).save()
    assert exc.value.message_dict == {"spec": ["services: duplicate siid 2"]}
    assert not DeviceModel.objects.exists()


def test_property_spec_finds_the_declaration():
    assert property_spec(PURIFIER_SPEC, 3, 1).name == "pm2.5-density"
    assert property_spec(SPEC, 2, 4).unit == "celsius"


@pytest.mark.parametrize(("siid", "piid"), [(2, 9), (9, 1), (3, 2)])
def test_unknown_property_is_refused(siid, piid):
    with pytest.raises(Unprocessable) as exc:
        property_spec(SPEC, siid, piid)
    assert exc.value.code == "unknown_property"


def test_property_spec_of_a_broken_spec_is_refused():
    with pytest.raises(Unprocessable) as exc:
        property_spec({"services": []}, 1, 1)
    assert exc.value.code == "invalid_spec"


@pytest.mark.parametrize(
    ("siid", "piid", "value"),
    [
        (2, 1, True),
        (2, 2, 0),
        (2, 2, 2),
        (2, 3, 0),
        (2, 3, 1400),
        (2, 3, 730),
        (2, 4, -40),
        (2, 4, 23.47),
        (2, 5, "zhimi.airpurifier.v7"),
        (3, 1, 600),
    ],
)
def test_valid_values_pass(siid, piid, value):
    assert validate_property_value(SPEC, siid, piid, value) == value


@pytest.mark.parametrize(
    ("siid", "piid", "value", "problem"),
    [
        (2, 1, 1, "expected true or false"),
        (2, 1, "true", "expected true or false"),
        (2, 2, True, "expected a number"),
        (2, 2, 3, "is not one of [0, 1, 2]"),
        (2, 2, 1.0, "expected an integer"),
        (2, 3, 735, "not on the step 10"),
        (2, 3, 1410, "outside [0, 1400]"),
        (2, 3, -10, "outside [0, 1400]"),
        (2, 3, "100", "expected a number"),
        (2, 3, None, "expected a number"),
        (2, 4, math.nan, "not a finite number"),
        (2, 4, math.inf, "not a finite number"),
        (2, 4, -math.inf, "not a finite number"),
        (2, 4, 125.01, "outside [-40, 125]"),
        (2, 4, False, "expected a number"),
        (2, 5, 7, "expected a string"),
        (2, 5, "x" * 5000, "longer than 4096"),
    ],
)
def test_invalid_values_are_refused(siid, piid, value, problem):
    with pytest.raises(Unprocessable) as exc:
        validate_property_value(SPEC, siid, piid, value)
    assert exc.value.code == "invalid_property_value" and problem in exc.value.detail


@settings(max_examples=200, deadline=None)
@given(st.integers(min_value=-(2**40), max_value=2**40))
def test_integer_values_pass_exactly_on_the_declared_grid(value):
    on_grid = 0 <= value <= 1400 and value % 10 == 0
    try:
        validate_property_value(SPEC, 2, 3, value)
        accepted = True
    except Unprocessable:
        accepted = False
    assert accepted == on_grid


@settings(max_examples=200, deadline=None)
@given(st.floats(allow_nan=True, allow_infinity=True))
def test_float_values_pass_exactly_when_finite_and_in_range(value):
    try:
        validate_property_value(SPEC, 2, 4, value)
        accepted = True
    except Unprocessable:
        accepted = False
    assert accepted == (math.isfinite(value) and -40 <= value <= 125)


@settings(max_examples=100, deadline=None)
@given(st.integers(min_value=-(2**34), max_value=2**34))
def test_format_bounds_apply_without_a_range(value):
    spec = {
        "services": [
            {
                "siid": 1,
                "type": "t",
                "properties": [{"piid": 1, "name": "n", "format": "uint32", "access": ["read"]}],
            }
        ]
    }
    try:
        validate_property_value(spec, 1, 1, value)
        accepted = True
    except Unprocessable:
        accepted = False
    assert accepted == (0 <= value < 2**32)
