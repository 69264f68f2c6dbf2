"""Checks of market and tax facts, shared by the services (a 422) and the models (shown in the admin)."""

from __future__ import annotations

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
