"""Checks of market and tax facts, shared by the services (a 422) and the models (shown in the admin)."""

from __future__ import annotations

import re
from collections.abc import Mapping
from decimal import Decimal, InvalidOperation
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from django.conf import settings


def parse_rate(value: object) -> Decimal | None:
    """A rate from JSON; floats are refused because 0.09 as a float is not 0.09."""
    if isinstance(value, float | bool):
        return None
    try:
        rate = Decimal(str(value))
    except (InvalidOperation, ValueError):
        return None
    return rate if rate.is_finite() and 0 <= rate <= 1 else None


def tax_rule_problems(rate: Decimal, components: Mapping[str, object]) -> list[str]:
    """Components must be exact decimal rates adding up to the rule's rate, or the split would not sum."""
    problems = []
    if not 0 <= rate <= 1:
        problems.append(f"rate {rate} must be between 0 and 1")
    parsed = {name: parse_rate(value) for name, value in components.items()}
    problems += [
        f"component {name}: {components[name]!r} is not a rate as a decimal string"
        for name, r in parsed.items()
        if r is None
    ]
    if components and not problems and sum(parsed.values()) != rate:
        problems.append(f"components add up to {sum(parsed.values())}, not to the rate {rate}")
    return problems


def currency_problems(code: str, exponent: int) -> list[str]:
    """A currency's code is ISO 4217 (three capitals, e.g. "EUR"); its exponent 0 to 4."""
    problems = []
    if not (isinstance(code, str) and re.fullmatch(r"[A-Z]{3}", code)):
        problems.append(f"{code!r} is not an ISO 4217 code")
    if not (isinstance(exponent, int) and 0 <= exponent <= 4):
        problems.append("exponent must be 0 to 4")
    return problems


def market_code_problems(code: str) -> list[str]:
    """A market's code is ISO 3166-1 alpha-2 (two capitals, e.g. "DE")."""
    if isinstance(code, str) and re.fullmatch(r"[A-Z]{2}", code):
        return []
    return [f"{code!r} is not an ISO 3166-1 alpha-2 code"]


def market_problems(languages: list[str], time_zone: str) -> list[str]:
    known = {code for code, _ in settings.LANGUAGES}
    problems = []
    if not isinstance(languages, list) or not languages or not all(isinstance(c, str) for c in languages):
        problems.append("languages must be a non-empty list of language codes, the default first")
    else:
        problems += [f"language {c!r} is not one of {sorted(known)}" for c in languages if c not in known]
        if len(set(languages)) != len(languages):
            problems.append("languages must be unique")
    try:
        ZoneInfo(time_zone)
    except (ZoneInfoNotFoundError, ValueError, OSError):
        problems.append(f"unknown time zone {time_zone!r}")
    return problems
