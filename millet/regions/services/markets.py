"""Market facts and tax arithmetic other domains call."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from functools import lru_cache

from django.db import transaction

from millet.core.errors import NotFound, Unprocessable
from millet.regions.models import Currency, Market, TaxRule
from millet.regions.money import quantize
from millet.regions.rules import market_problems, tax_rule_problems


@dataclass(frozen=True)
class MarketInfo:
    code: str
    currency: str
    languages: tuple[str, ...]
    time_zone: str
    prices_include_tax: bool
    name: str


@dataclass(frozen=True)
class TaxBreakdown:
    """Tax inside (or on top of) a gross amount; ``components`` add up to ``tax`` exactly."""

    name: str
    rate: Decimal
    net: Decimal
    tax: Decimal
    components: dict[str, Decimal] = field(default_factory=dict)


@lru_cache(maxsize=32)
def get_market(code: str) -> MarketInfo:
    market = Market.objects.filter(code=code).first()
    if market is None:
        raise NotFound(f"unknown market {code!r}", code="unknown_market")
    return _info(market)


def _info(market: Market) -> MarketInfo:
    return MarketInfo(
        market.code,
        market.currency_id,
        tuple(market.languages),
        market.time_zone,
        market.prices_include_tax,
        market.name,
    )


def list_markets() -> list[MarketInfo]:
    return [_info(market) for market in Market.objects.order_by("code")]


@lru_cache(maxsize=128)
def _tax_rule(market: str, tax_class: str) -> tuple[str, Decimal, tuple[tuple[str, Decimal], ...]]:
    rule = (
        TaxRule.objects.filter(market_id=market, tax_class=tax_class).first()
        or TaxRule.objects.filter(market_id=market, tax_class="standard").first()
    )
    if rule is None:
        return ("none", Decimal("0"), ())
    return (rule.name, rule.rate, tuple((k, Decimal(str(v))) for k, v in sorted(rule.components.items())))


def clear_caches(**_signal_kwargs: object) -> None:
    """Market and tax facts are cached per process; any save or delete of them (admin, services) clears them.

    Tests must also call it between tests: a rolled-back test transaction sends no signal.
    """
    get_market.cache_clear()
    _tax_rule.cache_clear()
    from millet.regions.money import currency_exponent, currency_symbol

    currency_exponent.cache_clear()
    currency_symbol.cache_clear()


def tax_breakdown(market: str, tax_class: str, gross: Decimal) -> TaxBreakdown:
    """Tax contained in a tax-inclusive ``gross`` (or added to a net price where the market quotes net).

    Components are computed from their rates and the last one takes the rounding remainder, so the
    parts always sum to the whole.
    """
    info = get_market(market)
    name, rate, components = _tax_rule(market, tax_class)
    if info.prices_include_tax:
        tax = quantize(gross * rate / (1 + rate), info.currency)
        net = gross - tax
    else:
        net = gross
        tax = quantize(gross * rate, info.currency)
    parts: dict[str, Decimal] = {}
    if components and rate:
        remaining = tax
        for i, (part, part_rate) in enumerate(components):
            share = remaining if i == len(components) - 1 else quantize(tax * part_rate / rate, info.currency)
            parts[part] = share
            remaining -= share
    elif rate:
        parts[name] = tax
    return TaxBreakdown(name=name, rate=rate, net=net, tax=tax, components=parts)


def _refuse(problems: list[str], code: str) -> None:
    if problems:
        raise Unprocessable("; ".join(problems), code=code)


def define_currency(code: str, name: str, *, exponent: int = 2, symbol: str = "") -> None:
    """Create or update a currency; its exponent is how many decimals every amount in it may carry."""
    problems = [] if re.fullmatch(r"[A-Z]{3}", code) else [f"{code!r} is not an ISO 4217 code"]
    _refuse(problems + ([] if 0 <= exponent <= 4 else ["exponent must be 0 to 4"]), "invalid_currency")
    defaults = {"name": name, "exponent": exponent, "symbol": symbol}
    Currency.objects.update_or_create(code=code, defaults=defaults)


def define_market(
    code: str,
    name: str,
    *,
    currency: str,
    languages: list[str],
    time_zone: str,
    prices_include_tax: bool = True,
) -> MarketInfo:
    """Create or update a market; the first language is the one its customers see by default."""
    problems = [] if re.fullmatch(r"[A-Z]{2}", code) else [f"{code!r} is not an ISO 3166-1 alpha-2 code"]
    _refuse(problems + market_problems(languages, time_zone), "invalid_market")
    if not Currency.objects.filter(code=currency).exists():
        raise NotFound(f"unknown currency {currency!r}", code="unknown_currency")
    Market.objects.update_or_create(
        code=code,
        defaults={
            "name": name,
            "currency_id": currency,
            "languages": list(languages),
            "time_zone": time_zone,
            "prices_include_tax": prices_include_tax,
        },
    )
    return get_market(code)


@transaction.atomic
def define_tax_rule(
    market: str, tax_class: str, name: str, rate: Decimal, components: Mapping[str, Decimal] | None = None
) -> None:
    """Create or update the rate of one tax class in a market; ``components`` must add up to ``rate``."""
    get_market(market)
    stored = {part: str(part_rate) for part, part_rate in (components or {}).items()}
    _refuse(tax_rule_problems(rate, stored), "invalid_tax_rule")
    TaxRule.objects.update_or_create(
        market_id=market, tax_class=tax_class, defaults={"name": name, "rate": rate, "components": stored}
    )
