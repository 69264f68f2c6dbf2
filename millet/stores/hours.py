"""Opening hours: the stored format, its validation, and whether a store is open at an instant.

Stored as ``{"mon": ["10:00", "22:00"], ...}`` in the store's local time; a missing day is closed.
A closing time before the opening time means the store closes after midnight (``["18:00",
"02:00"]``), and ``"24:00"`` closes at midnight. Validation uses pydantic (already the API's
validator) so the admin, the API and the services refuse the same malformed hours.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Annotated, Literal
from zoneinfo import ZoneInfo

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _
from pydantic import StringConstraints, TypeAdapter
from pydantic import ValidationError as PydanticValidationError

from millet.core.errors import Unprocessable

DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
MINUTES_PER_DAY = 24 * 60

Day = Literal["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
ClockTime = Annotated[str, StringConstraints(pattern=r"^(([01]\d|2[0-3]):[0-5]\d|24:00)$")]
OpeningHours = dict[Day, tuple[ClockTime, ClockTime]]

_adapter: TypeAdapter[OpeningHours] = TypeAdapter(OpeningHours)


def _minutes(clock: str) -> int:
    hours, minutes = clock.split(":")
    return int(hours) * 60 + int(minutes)


def parse_opening_hours(value: object) -> dict[str, tuple[int, int]]:
    """Day -> (open, close) in minutes after local midnight; refuses malformed or empty spans."""
    try:
        hours = _adapter.validate_python(value)
    except PydanticValidationError as exc:
        raise Unprocessable(
            f"malformed opening hours: {exc.errors()[0]['msg']}", code="invalid_hours"
        ) from None
    spans: dict[str, tuple[int, int]] = {}
    for day, (opens, closes) in hours.items():
        if opens == "24:00":
            raise Unprocessable(f"{day}: a store cannot open at 24:00", code="invalid_hours")
        if _minutes(opens) == _minutes(closes) % MINUTES_PER_DAY:
            raise Unprocessable(f"{day}: opening and closing times are the same", code="invalid_hours")
        spans[day] = (_minutes(opens), _minutes(closes))
    return spans


REFUSED_HOURS = _(
    'Opening hours are like {"mon": ["10:00", "22:00"]}: for each open day, a time from 00:00 to 23:59 '
    "it opens and a different time it closes (24:00 for midnight); a day left out is closed."
)


def validate_opening_hours(value: object) -> None:
    """Django field validator, so the admin refuses what the services refuse; it says the format in
    the staff member's language, as the admin around it is (the refusal's detail is English)."""
    try:
        parse_opening_hours(value)
    except Unprocessable:
        raise ValidationError(REFUSED_HOURS, code="invalid_hours") from None


def _open_within(spans: dict[str, tuple[int, int]], day: str, minute: int, previous_day: str) -> bool:
    span = spans.get(day)
    if span is not None:
        opens, closes = span
        if opens <= minute < (closes if closes > opens else MINUTES_PER_DAY):
            return True
    overnight = spans.get(previous_day)
    return overnight is not None and overnight[1] <= overnight[0] and minute < overnight[1]


def open_at(hours: object, time_zone: str, when: datetime) -> bool:
    """Whether ``hours`` (local to ``time_zone``) cover the aware instant ``when``."""
    if when.tzinfo is None or when.utcoffset() is None:
        raise Unprocessable("the time must carry a time zone", code="naive_datetime")
    local = when.astimezone(ZoneInfo(time_zone))
    day = DAYS[local.weekday()]
    previous_day = DAYS[(local - timedelta(days=1)).weekday()]
    return _open_within(parse_opening_hours(hours), day, local.hour * 60 + local.minute, previous_day)
