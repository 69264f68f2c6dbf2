"""Opening hours: what is accepted, and whether a store is open at an instant in its own time zone."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from django.core.exceptions import ValidationError
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from millet.core.errors import Unprocessable
from millet.stores.hours import DAYS, open_at, parse_opening_hours, validate_opening_hours
from millet.stores.services import is_open_at

UTC_INSTANTS = st.datetimes(
    min_value=datetime(2000, 1, 1), max_value=datetime(2100, 1, 1), timezones=st.just(UTC)
)
CLOCK = st.integers(min_value=0, max_value=24 * 60 - 1).map(lambda m: f"{m // 60:02d}:{m % 60:02d}")


def test_valid_hours_parse_to_minutes():
    spans = parse_opening_hours(
        {"mon": ["10:00", "22:00"], "sat": ["18:30", "02:00"], "sun": ["08:00", "24:00"]}
    )
    assert spans == {"mon": (600, 1320), "sat": (1110, 120), "sun": (480, 1440)}
    assert parse_opening_hours({}) == {}


@pytest.mark.parametrize(
    "hours",
    [
        {"monday": ["10:00", "22:00"]},
        {"mon": ["10:00"]},
        {"mon": ["10:00", "22:00", "23:00"]},
        {"mon": ["25:00", "22:00"]},
        {"mon": ["10:60", "22:00"]},
        {"mon": ["9:00", "22:00"]},
        {"mon": "10:00-22:00"},
        {"mon": [1000, 2200]},
        {"mon": ["10:00", "10:00"]},
        {"mon": ["00:00", "24:00"], "tue": ["24:00", "08:00"]},
        ["mon", "10:00", "22:00"],
        None,
    ],
)
def test_malformed_hours_are_refused(hours):
    with pytest.raises(Unprocessable) as exc:
        parse_opening_hours(hours)
    assert exc.value.code == "invalid_hours"
    with pytest.raises(ValidationError):
        validate_opening_hours(hours)


def test_model_validation_refuses_malformed_hours(network):
    network.sh.opening_hours = {"mon": ["22:00", "22:00"]}
    with pytest.raises(ValidationError) as exc:
        network.sh.full_clean()
    assert "opening_hours" in exc.value.message_dict


def test_open_in_the_store_market_time_zone(network):
    # Shanghai is UTC+8: 10:00-22:00 local is 02:00-14:00 UTC.
    monday = datetime(2017, 1, 16, tzinfo=UTC)
    assert not is_open_at(network.sh, monday + timedelta(hours=1, minutes=59))
    assert is_open_at(network.sh, monday + timedelta(hours=2))
    assert is_open_at(network.sh, monday + timedelta(hours=13, minutes=59))
    assert not is_open_at(network.sh, monday + timedelta(hours=14))
    # Mumbai is UTC+5:30: 10:00 local is 04:30 UTC.
    assert not is_open_at(network.mumbai, monday + timedelta(hours=4, minutes=29))
    assert is_open_at(network.mumbai, monday + timedelta(hours=4, minutes=30))


def test_hours_past_midnight_belong_to_the_day_they_start(network):
    network.sh.opening_hours = {"fri": ["18:00", "02:00"]}
    friday_evening = datetime(2017, 1, 20, 18, 0, tzinfo=UTC) - timedelta(hours=8)
    assert is_open_at(network.sh, friday_evening)
    assert is_open_at(network.sh, friday_evening + timedelta(hours=7, minutes=59))  # Sat 01:59
    assert not is_open_at(network.sh, friday_evening + timedelta(hours=8))  # Sat 02:00
    assert not is_open_at(network.sh, friday_evening - timedelta(days=1))  # Thursday is closed


def test_a_store_not_yet_opened_or_closed_down_is_never_open(network):
    noon = datetime(2017, 1, 16, 4, 0, tzinfo=UTC)
    assert is_open_at(network.sh, noon)
    network.sh.opened_on = date(2017, 1, 17)
    assert not is_open_at(network.sh, noon)
    network.sh.opened_on = date(2017, 1, 16)
    network.sh.is_active = False
    assert not is_open_at(network.sh, noon)


def test_naive_datetimes_are_refused(network):
    with pytest.raises(Unprocessable) as exc:
        is_open_at(network.sh, datetime(2017, 1, 16, 12, 0))
    assert exc.value.code == "naive_datetime"


@settings(max_examples=80, deadline=None)
@given(when=UTC_INSTANTS, opens=CLOCK, closes=CLOCK)
def test_a_span_and_its_complement_are_never_both_open(when, opens, closes):
    """Open opens->closes every day and open closes->opens every day cover each instant exactly once."""
    assume(opens != closes)
    day_shift = {day: [opens, closes] for day in DAYS}
    night_shift = {day: [closes, opens] for day in DAYS}
    assert open_at(day_shift, "Asia/Kolkata", when) != open_at(night_shift, "Asia/Kolkata", when)


@settings(max_examples=80, deadline=None)
@given(when=UTC_INSTANTS, opens=st.integers(0, 1438), length=st.integers(1, 1439))
def test_same_day_spans_match_the_local_clock(when, opens, length):
    closes = min(opens + length, 1440)
    hours = {
        day: [f"{opens // 60:02d}:{opens % 60:02d}", f"{closes // 60:02d}:{closes % 60:02d}"] for day in DAYS
    }
    local = when + timedelta(hours=8)  # Asia/Shanghai has no daylight saving
    minute = local.hour * 60 + local.minute
    assert open_at(hours, "Asia/Shanghai", when) == (opens <= minute < closes)
