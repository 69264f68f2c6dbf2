"""Market facts and tax arithmetic other domains call."""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from functools import lru_cache

from django.db import transaction

from millet.core.errors import Conflict, NotFound, Unprocessable
from millet.regions.models import Currency, Market, TaxRule
from millet.regions.money import quantize
from millet.regions.rules import (
    Problem,
    currency_problems,
    market_code_problems,
    market_problems,
    tax_rule_problems,
)


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
    """Tax inside (or on top of) a gross amount; ``components`` add up to ``tax`` exactly.
    ``rates`` is each component's rate as the rule stood when it was computed (e.g. ``{"CGST":
    Decimal("0.09"), "SGST": Decimal("0.09")}``): what a sale keeps to print beside its amounts,
    since an invoice states the rate applied (EU VAT Directive 2006/112/EC art. 226(9); CGST Rules
    2017, Rule 46(m)), not the rule of the day it is read."""

    name: str
    rate: Decimal
    net: Decimal
    tax: Decimal
    components: dict[str, Decimal] = field(default_factory=dict)
    rates: dict[str, Decimal] = field(default_factory=dict)


@lru_cache(maxsize=32)
def get_market(code: str) -> MarketInfo:
    market = Market.objects.filter(code=code).first()
    if market is None:
        raise NotFound(f"unknown market {code!r}", code="unknown_market", facts={"market": code})
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
    """Every market, by code. Cached per process like ``get_market``: every page's MarketMiddleware
    reads it (a browser's languages), and 1,000 live streams opening at once each held a PostgreSQL
    connection for it (bench/live.py)."""
    return list(_all_markets())


@lru_cache(maxsize=1)
def _all_markets() -> tuple[MarketInfo, ...]:
    return tuple(_info(market) for market in Market.objects.order_by("code"))


@dataclass(frozen=True)
class _Rule:
    name: str
    rate: Decimal
    components: tuple[tuple[str, Decimal], ...]  # within a state
    inter_state: tuple[tuple[str, Decimal], ...]  # empty: the same as within a state


def _parts(stored: Mapping[str, object]) -> tuple[tuple[str, Decimal], ...]:
    return tuple((k, Decimal(str(v))) for k, v in sorted(stored.items()))


@lru_cache(maxsize=128)
def _tax_rule(market: str, tax_class: str) -> _Rule:
    rule = (
        TaxRule.objects.filter(market_id=market, tax_class=tax_class).first()
        or TaxRule.objects.filter(market_id=market, tax_class="standard").first()
    )
    if rule is None:
        return _Rule("none", Decimal("0"), (), ())
    return _Rule(rule.name, rule.rate, _parts(rule.components), _parts(rule.inter_state_components))


def clear_caches(**_signal_kwargs: object) -> None:
    """Market and tax facts are cached per process; any save or delete of them (admin, services) clears them.

    Tests must also call it between tests: a rolled-back test transaction sends no signal.
    """
    get_market.cache_clear()
    _all_markets.cache_clear()
    _tax_rule.cache_clear()
    from millet.regions.money import currency_exponent, currency_symbol

    currency_exponent.cache_clear()
    currency_symbol.cache_clear()


def untaxed_markets(tax_class: str, among: Collection[str] | None = None) -> list[str]:
    """The markets, by code, where ``tax_breakdown`` finds no rule for ``tax_class``: neither one of
    that class nor the market's ``standard`` rule, so goods of that class would sell there with no
    tax at all. A rule at rate 0 counts: it says so on purpose. ``among``: only these markets
    (all when None)."""
    taxed = TaxRule.objects.filter(tax_class__in=[tax_class, "standard"]).values("market_id")
    markets = Market.objects.exclude(code__in=taxed)
    if among is not None:
        markets = markets.filter(code__in=among)
    return list(markets.order_by("code").values_list("code", flat=True))


def is_inter_state(supplier_state: str, place_of_supply: str) -> bool:
    """An inter-state supply: the supplier's state and the place of supply are known and differ.

    Source: IGST Act 2017, s. 7(1) (inter-state: "the location of the supplier and the place of
    supply are in two different States") and s. 8(1) (intra-state: the same State). For goods that
    move, the place of supply is where the movement ends for delivery to the buyer (s. 10(1)(a));
    for goods handed over at a counter it is where they are handed over (s. 10(1)(c)), so a sale at
    a store, or a collection there, is always intra-state. An unknown state (no address) is taken as
    the supplier's own: nothing says the goods cross a border.
    """
    return bool(supplier_state and place_of_supply and supplier_state != place_of_supply)


def tax_breakdown(market: str, tax_class: str, gross: Decimal, *, inter_state: bool = False) -> TaxBreakdown:
    """The tax in a tax-inclusive ``gross`` (or on top of a net price where the market quotes net),
    split into the components the law fixes, each computed at its own rate and rounded on its own.

    Shapes: ``gross`` is a Decimal in the market's currency; the result's ``net`` (the taxable
    value), ``tax`` and each of ``components`` are quantized to the currency's minor unit, and
    ``net + tax == gross`` exactly (net-quoting markets: ``net == gross``, tax on top). Raises
    NotFound ``unknown_market``. ``inter_state`` picks the rule's inter-state components (India:
    IGST instead of CGST + SGST; see ``is_inter_state``).

    How a gross price is split, exactly: each component c_i with rate r_i (rule rate r = sum r_i) is
    ``round_half_up(gross * r_i / (1 + r))``, the component's share of the unrounded taxable value
    ``gross / (1 + r)``; the tax is the sum of the components and the taxable value is ``gross -
    tax``, so the invoice adds up to the paisa. Equal rates give equal components: CGST 9% and
    SGST 9% are always the same amount, never a remainder split. Whenever some taxable value T in
    minor units satisfies ``T + sum(round_half_up(T * r_i)) == gross`` (Rule 46's arithmetic taken
    literally), this split is that T and those components; for the other gross amounts no such T
    exists, and each component is still within 0.6 of a minor unit of its rate times the taxable
    value. A net-quoted price is the taxable value itself: c_i = ``round_half_up(net * r_i)``.

    Sources: CGST Rules 2017, Rule 46(k)-(m): a tax invoice shows the taxable value, and the rate and
    amount of central tax, State tax and integrated tax separately; CGST Act 2017 s. 9 and SGST Acts
    levy each on the taxable value at its own rate (9% + 9% for most electronics, IGST Act s. 5:
    18% integrated tax on inter-state supplies). Rounding to the paisa half-up is the invoicing
    convention (CGST Act s. 170 rounds to the rupee only what is paid to the government).
    """
    info = get_market(market)
    rule = _tax_rule(market, tax_class)
    if not rule.rate:
        return TaxBreakdown(name=rule.name, rate=rule.rate, net=gross, tax=Decimal(0), components={})
    parts = (rule.inter_state if inter_state else ()) or rule.components or ((rule.name, rule.rate),)
    divisor = 1 + rule.rate if info.prices_include_tax else 1
    # Multiply before dividing: gross * r_i is exact, so a share that is exactly half a paisa rounds up.
    components = {part: quantize(gross * part_rate / divisor, info.currency) for part, part_rate in parts}
    tax = sum(components.values(), Decimal(0))
    net = gross - tax if info.prices_include_tax else gross
    return TaxBreakdown(
        name=rule.name, rate=rule.rate, net=net, tax=tax, components=components, rates=dict(parts)
    )


def _refuse(problems: Sequence[str | Problem], code: str) -> None:
    if problems:
        raise Unprocessable("; ".join(map(str, problems)), code=code)


@transaction.atomic
def define_currency(code: str, name: str, *, exponent: int = 2, symbol: str = "") -> None:
    """Create a currency, or update a defined one's name and symbol (defining it again as it is
    changes nothing). Its exponent is how many decimals every amount in it may carry, and is fixed
    once defined: the ledger stores amounts in minor units and prices and orders keep amounts in
    it, so another exponent would misread every one of them.

    422 ``invalid_currency`` for a code that is not ISO 4217 or an exponent not 0 to 4; 409
    ``currency_exponent_fixed`` for another exponent than the defined currency's.
    """
    _refuse(currency_problems(code, exponent), "invalid_currency")
    defaults = {"name": name, "exponent": exponent, "symbol": symbol}
    currency, created = Currency.objects.select_for_update().get_or_create(code=code, defaults=defaults)
    if created:
        return
    if currency.exponent != exponent:
        raise Conflict(
            f"{code} has {currency.exponent} decimals: amounts in it are stored so",
            code="currency_exponent_fixed",
        )
    currency.name, currency.symbol = name, symbol
    currency.save(update_fields=["name", "symbol"])


def define_market(
    code: str,
    name: str,
    *,
    currency: str,
    languages: list[str],
    time_zone: str,
    prices_include_tax: bool = True,
) -> MarketInfo:
    """Create a market, or update a defined one's name, languages and time zone (defining it again
    as it is changes nothing); the first language is the one its customers see by default. Its
    currency is fixed once the market exists: its prices, carts, orders and ledger accounts hold
    amounts in it, which another currency would misread. So is its tax quoting
    (``prices_include_tax``): every price stored in the market is gross or net by it, and flipped,
    a 99.00 gross price would sell at 99.00 plus tax the moment the flag changed.

    422 ``invalid_market`` for a code that is not ISO 3166-1 alpha-2, unknown or repeated languages
    or an unknown time zone; 404 ``unknown_currency``; 409 ``market_currency_fixed`` for another
    currency than the existing market's, 409 ``market_tax_quoting_fixed`` for the other quoting.
    """
    _refuse(market_code_problems(code) + market_problems(languages, time_zone), "invalid_market")
    if not Currency.objects.filter(code=currency).exists():
        raise NotFound(
            f"unknown currency {currency!r}", code="unknown_currency", facts={"currency": currency}
        )
    facts = {
        "name": name,
        "languages": list(languages),
        "time_zone": time_zone,
    }
    with transaction.atomic():
        market, created = Market.objects.select_for_update().get_or_create(
            code=code, defaults={**facts, "currency_id": currency, "prices_include_tax": prices_include_tax}
        )
        if not created:
            if market.currency_id != currency:
                raise Conflict(
                    f"market {code} sells in {market.currency_id}: its amounts are stored in it",
                    code="market_currency_fixed",
                )
            if market.prices_include_tax != prices_include_tax:
                quoted = "gross (tax included)" if market.prices_include_tax else "net (tax added)"
                raise Conflict(
                    f"market {code}'s prices are stored {quoted}: its tax quoting is fixed",
                    code="market_tax_quoting_fixed",
                )
            for field_name, value in facts.items():
                setattr(market, field_name, value)
            market.save(update_fields=[*facts])
    return get_market(code)


@transaction.atomic
def define_tax_rule(
    market: str,
    tax_class: str,
    name: str,
    rate: Decimal,
    components: Mapping[str, Decimal] | None = None,
    *,
    inter_state_components: Mapping[str, Decimal] | None = None,
) -> None:
    """Create or update the rate of one tax class in a market. ``components`` (within a state) and
    ``inter_state_components`` (India's IGST) must each add up to ``rate``; 422 ``invalid_tax_rule``."""
    get_market(market)
    stored = {part: str(part_rate) for part, part_rate in (components or {}).items()}
    inter = {part: str(part_rate) for part, part_rate in (inter_state_components or {}).items()}
    _refuse(tax_rule_problems(rate, stored) + tax_rule_problems(rate, inter), "invalid_tax_rule")
    TaxRule.objects.update_or_create(
        market_id=market,
        tax_class=tax_class,
        defaults={"name": name, "rate": rate, "components": stored, "inter_state_components": inter},
    )
