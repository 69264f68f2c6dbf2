"""Strict API input types, defined once and used by every domain's ``schemas.py``.

pydantic's lax mode turns nonsense into values: ``"1e3"`` into 1000, ``true`` into a quantity of 1,
``0.5`` into a 1970 date. Millet's inputs are narrower (issue 8, fault 7):

- ``Money``: a decimal string of ASCII digits (``"12.50"``), or a JSON integer; at most the
  currency's decimal places (``money(places)``; 2 by default, and the services check the currency's
  own exponent), no sign, exponent, padding, whitespace, NaN or infinity. A JSON number with a
  fraction is refused: its text (``1e3``, ``12.5``, ``12.50000000000000001``) is gone once parsed,
  so it cannot be checked. Values are ``Decimal``.
- ``WholeNumber`` and ``Quantity``: JSON integers only, never a boolean, a float or a string.
- ``IsoDate`` and ``IsoDateTime``: ISO 8601 strings (``2026-11-11``, ``2026-11-11T00:00:00+08:00``),
  never numbers (no Unix timestamps), in bodies and in query strings alike.
"""

from __future__ import annotations

import re
from datetime import date, datetime
from decimal import Decimal
from functools import cache
from typing import Annotated

from ninja import Header
from pydantic import BeforeValidator, Field, Strict, WithJsonSchema
from pydantic_core import PydanticCustomError

# The codes of the refusals below: an API error whose problems all carry one of them answers with it
# (the same codes the services use), any other invalid input with ``invalid_input``.
ERROR_CODES = frozenset({"malformed_money", "malformed_date"})

MAX_MONEY_DIGITS = 12  # integer digits: below regions.money.MAX_AMOUNT's billion with room to refuse it there


@cache
def money_pattern(places: int) -> str:
    """The regular expression of a plain decimal with at most ``places`` decimal places."""
    fraction = rf"(\.[0-9]{{1,{places}}})?" if places else ""
    return rf"^(0|[1-9][0-9]{{0,{MAX_MONEY_DIGITS - 1}}}){fraction}$"


def _money_parser(places: int):
    pattern = re.compile(money_pattern(places))

    def parse(value: object) -> Decimal:
        if isinstance(value, bool):
            raise PydanticCustomError(
                "malformed_money", "money is a decimal string such as '12.50', not a boolean"
            )
        if isinstance(value, int):
            if not 0 <= value < 10**MAX_MONEY_DIGITS:
                raise PydanticCustomError(
                    "malformed_money", f"money must be between 0 and {10**MAX_MONEY_DIGITS - 1}"
                )
            return Decimal(value)
        if isinstance(value, float):
            raise PydanticCustomError(
                "malformed_money",
                "write money as a decimal string such as '12.50': a JSON fraction is not exact",
            )
        if isinstance(value, Decimal):  # from Python callers: the same rule on its text
            value = format(value, "f") if value.is_finite() else str(value)
        if not isinstance(value, str) or not pattern.fullmatch(value):
            places_text = f"at most {places} decimal places" if places else "no decimal places"
            raise PydanticCustomError(
                "malformed_money",
                f"money is a decimal string of digits with {places_text}, no sign, exponent or spaces",
            )
        return Decimal(value)

    return parse


def plain_decimal(places: int, description: str):
    """A non-negative decimal written plainly, with at most ``places`` decimal places (see Money)."""
    return Annotated[
        Decimal,
        BeforeValidator(_money_parser(places)),
        WithJsonSchema(
            {
                "anyOf": [
                    {"type": "string", "pattern": money_pattern(places)},
                    {"type": "integer", "minimum": 0, "maximum": 10**MAX_MONEY_DIGITS - 1},
                ],
                "description": description,
            }
        ),
    ]


def money(places: int = 2):
    """The Money type for a currency with ``places`` decimal places (JSON Schema included)."""
    return plain_decimal(
        places,
        f"money: a decimal string of ASCII digits with at most {places} decimal places (or the "
        "currency's), e.g. '12.50', or a JSON integer; no exponent, sign or spaces",
    )


Money = money(2)

WholeNumber = Annotated[int, Strict()]
"""A JSON integer: never a boolean, a float (``1.0``) or a string (``"1"``)."""

Quantity = Annotated[int, Strict(), Field(gt=0)]
"""A count of units, at least 1; each domain adds its own ceiling with ``Field(le=...)``."""

_DATE = r"[0-9]{4}-[0-9]{2}-[0-9]{2}"
_DATETIME = re.compile(  # a date alone is midnight, as pydantic reads it
    rf"{_DATE}([T ][0-9]{{2}}:[0-9]{{2}}(:[0-9]{{2}}(\.[0-9]{{1,6}})?)?(Z|z|[+-][0-9]{{2}}:?[0-9]{{2}})?)?"
)


def _iso(pattern: re.Pattern[str], kind: str):
    def check(value: object) -> object:
        if isinstance(value, date):  # from Python callers (datetime is a date)
            return value
        if not isinstance(value, str) or not pattern.fullmatch(value):
            raise PydanticCustomError(
                "malformed_date", f"{kind} must be an ISO 8601 string such as {_EXAMPLES[kind]!r}"
            )
        return value

    return check


_EXAMPLES = {"date": "2026-11-11", "date and time": "2026-11-11T00:00:00+08:00"}
IsoDate = Annotated[date, BeforeValidator(_iso(re.compile(_DATE), "date"))]
IsoDateTime = Annotated[datetime, BeforeValidator(_iso(_DATETIME, "date and time"))]

PaymentToken = Annotated[
    str,
    Field(
        min_length=1,
        max_length=64,
        description="The payment gateway's one-time token for the customer's instrument. The built-in "
        "test gateway (MILLET_PAYMENT_GATEWAY=test, the default) moves no money and answers by token: "
        "tok_ok (or any token starting with tok_ok) approves; tok_declined declines (402, card_declined); "
        "tok_insufficient declines (402, insufficient_funds); any other token declines (402, invalid_token).",
        examples=["tok_ok", "tok_declined"],
    ),
]


IdempotencyKey = Annotated[
    str | None,
    Header(
        alias="Idempotency-Key",
        default=None,
        max_length=64,
        description=(
            "Optional. Any string of yours, new for each new request (a UUID). Send the same key again "
            "(a retry after a timeout, a double submission) and the answer is the first request's, with "
            "nothing created twice; the same key with a different request is 409 "
            "``idempotency_key_reused``. A key is yours: nobody else's request is answered with your result."
        ),
    ),
]
