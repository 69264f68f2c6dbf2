"""Checks of market and tax facts, shared by the services (a 422) and the models (shown in the admin)."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils.translation import gettext, gettext_noop


@dataclass(frozen=True)
class Problem:
    """A refused fact said two ways: in English for the API's detail and the logs (``str``), where
    every refusal is English beside its code, and in the staff's language on an admin form
    (``error``). ``message`` is the English text with named placeholders, marked for the catalogs."""

    message: str
    params: Mapping[str, object] = field(default_factory=dict)

    def __str__(self) -> str:
        return self.message % self.params

    def error(self) -> ValidationError:
        return ValidationError(gettext(self.message), params=dict(self.params))


def parse_rate(value: object) -> Decimal | None:
    """A rate from JSON; floats are refused because 0.09 as a float is not 0.09."""
    if isinstance(value, float | bool):
        return None
    try:
        rate = Decimal(str(value))
    except (InvalidOperation, ValueError):
        return None
    return rate if rate.is_finite() and 0 <= rate <= 1 else None


def tax_rule_problems(rate: Decimal, components: Mapping[str, object]) -> list[Problem]:
    """Components must be exact decimal rates adding up to the rule's rate, or the split would not sum."""
    problems = []
    if not 0 <= rate <= 1:
        problems.append(Problem(gettext_noop("rate %(rate)s must be between 0 and 1"), {"rate": rate}))
    parsed = {name: parse_rate(value) for name, value in components.items()}
    problems += [
        Problem(
            gettext_noop("component %(name)s: %(value)s is not a rate as a decimal string"),
            {"name": name, "value": repr(components[name])},
        )
        for name, r in parsed.items()
        if r is None
    ]
    if components and not problems and sum(parsed.values()) != rate:
        total = sum(parsed.values())
        problems.append(
            Problem(
                gettext_noop("components add up to %(total)s, not to the rate %(rate)s"),
                {"total": total, "rate": rate},
            )
        )
    return problems


def currency_problems(code: str, exponent: int) -> list[Problem]:
    """A currency's code is ISO 4217 (three capitals, e.g. "EUR"); its exponent 0 to 4."""
    problems = []
    if not (isinstance(code, str) and re.fullmatch(r"[A-Z]{3}", code)):
        problems.append(Problem(gettext_noop("%(code)s is not an ISO 4217 code"), {"code": repr(code)}))
    if not (isinstance(exponent, int) and 0 <= exponent <= 4):
        problems.append(Problem(gettext_noop("exponent must be 0 to 4")))
    return problems


def market_code_problems(code: str) -> list[Problem]:
    """A market's code is ISO 3166-1 alpha-2 (two capitals, e.g. "DE")."""
    if isinstance(code, str) and re.fullmatch(r"[A-Z]{2}", code):
        return []
    return [Problem(gettext_noop("%(code)s is not an ISO 3166-1 alpha-2 code"), {"code": repr(code)})]


def market_problems(languages: list[str], time_zone: str) -> list[Problem]:
    known = {code for code, _ in settings.LANGUAGES}
    problems = []
    if not isinstance(languages, list) or not languages or not all(isinstance(c, str) for c in languages):
        problems.append(
            Problem(gettext_noop("languages must be a non-empty list of language codes, the default first"))
        )
    else:
        problems += [
            Problem(
                gettext_noop("language %(language)s is not one of %(known)s"),
                {"language": repr(c), "known": str(sorted(known))},
            )
            for c in languages
            if c not in known
        ]
        if len(set(languages)) != len(languages):
            problems.append(Problem(gettext_noop("languages must be unique")))
    try:
        ZoneInfo(time_zone)
    except (ZoneInfoNotFoundError, ValueError, OSError):
        problems.append(
            Problem(gettext_noop("unknown time zone %(time_zone)s"), {"time_zone": repr(time_zone)})
        )
    return problems
