"""Exchange rates into the one reporting currency, and consolidation with them.

A rate says how many units of the reporting currency (``settings.MILLET_REPORTING_CURRENCY``, CNY
by default: Xiaomi reports in yuan) one unit of another currency was worth from its ``valid_from``
day until the next rate. Rates are entered in the back office; Millet fetches none (there is no
internet). A consolidated figure is Decimal arithmetic with one rounding, half-up to the target
currency's minor unit, at the end, and it carries the rates it used.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from django.conf import settings

from millet.accounts.actor import Actor
from millet.core.errors import Unprocessable
from millet.insights.models import ExchangeRate
from millet.regions.money import currency_exponent, quantize

CURRENCY = re.compile(r"[A-Z]{3}")
ONE = Decimal(1)


def reporting_currency() -> str:
    return settings.MILLET_REPORTING_CURRENCY


@dataclass(frozen=True)
class RateUsed:
    """1 ``currency`` = ``rate`` units of the reporting currency, the rate entered for ``valid_from``
    (None for the reporting currency itself)."""

    currency: str
    rate: Decimal
    valid_from: date | None


@dataclass(frozen=True)
class Consolidated:
    """A sum over currencies in ``currency``; ``amount`` is None when a rate is ``missing``."""

    amount: Decimal | None
    currency: str
    rates: tuple[RateUsed, ...]
    missing: tuple[str, ...]


def check_rate(currency: str, rate: Decimal) -> None:
    """422 ``unknown_currency`` for a currency regions does not know or the reporting currency
    itself; 422 ``invalid_rate`` for a rate that is not a positive decimal below 10^10 with at most
    10 places."""
    if not CURRENCY.fullmatch(currency or "") or currency == reporting_currency():
        raise Unprocessable(
            f"no rate can be set for {currency!r}", code="unknown_currency", facts={"currency": currency}
        )
    currency_exponent(currency)  # unknown currencies are a 422 from regions
    if not isinstance(rate, Decimal) or not rate.is_finite() or rate <= 0 or rate.as_tuple().exponent < -10:
        raise Unprocessable("a rate is a positive decimal with at most 10 places", code="invalid_rate")
    if rate.adjusted() >= 10:
        raise Unprocessable("a rate is below 10,000,000,000", code="invalid_rate")


def set_rate(*, actor: Actor, currency: str, valid_from: date, rate: Decimal, note: str = "") -> ExchangeRate:
    """Enter (or correct) the rate of ``currency`` from ``valid_from`` on (staff; 403 otherwise);
    errors as ``check_rate``."""
    actor.require_staff()
    check_rate(currency, rate)
    found, _created = ExchangeRate.objects.update_or_create(
        currency=currency, valid_from=valid_from, defaults={"rate": rate, "note": note[:160]}
    )
    return found


def list_rates(*, actor: Actor) -> list[ExchangeRate]:
    actor.require_staff()
    return list(ExchangeRate.objects.order_by("currency", "-valid_from"))


def _in_force(
    currencies: Iterable[str], day: date, rows: Iterable[tuple[str, Decimal, date]]
) -> dict[str, RateUsed | None]:
    """Pick from ``rows`` (currency, rate, valid_from; each currency's newest first) the rate in
    force on ``day`` of each of ``currencies``; None for one that has none."""
    found: dict[str, RateUsed | None] = {code: None for code in currencies}
    if reporting_currency() in found:
        found[reporting_currency()] = RateUsed(reporting_currency(), ONE, None)
    for code, rate, valid_from in rows:
        if code in found and found[code] is None and valid_from <= day:
            found[code] = RateUsed(code, Decimal(f"{rate.normalize():f}"), valid_from)  # 0.1021
    return found


def rates_on(currencies: Iterable[str], day: date) -> dict[str, RateUsed | None]:
    """The rate in force on ``day`` (the latest entered on or before it) of each currency, None
    for one that has none; one query for them all (the reporting currency needs none)."""
    currencies = list(currencies)
    wanted = [code for code in currencies if code != reporting_currency()]
    rows = ()
    if wanted:
        rows = (
            ExchangeRate.objects.filter(currency__in=wanted, valid_from__lte=day)
            .order_by("currency", "-valid_from")
            .values_list("currency", "rate", "valid_from")
        )
    return _in_force(currencies, day, rows)


class RateBook:
    """Every rate entered, read in one query on first use and kept: the rates of any day and
    currencies without another query. One per piece of work (a page, a CSV), never shared across
    requests, so a rate entered in the back office shows on the next page."""

    def __init__(self) -> None:
        self._rows: list[tuple[str, Decimal, date]] | None = None

    def rates_on(self, currencies: Iterable[str], day: date) -> dict[str, RateUsed | None]:
        """As the module's ``rates_on``."""
        if self._rows is None:
            self._rows = list(
                ExchangeRate.objects.order_by("currency", "-valid_from").values_list(
                    "currency", "rate", "valid_from"
                )
            )
        return _in_force(currencies, day, self._rows)


def rate_on(currency: str, day: date) -> RateUsed | None:
    """The rate in force on ``day`` (the latest entered on or before it), or None when none is."""
    return rates_on([currency], day)[currency]


@dataclass(frozen=True)
class Conversion:
    """Factors into currency ``to`` on one day: ``factors[c]`` times an amount in ``c`` is that
    amount in ``to`` (the reporting currency's rate of ``c`` over that of ``to``), unrounded."""

    to: str
    factors: dict[str, Decimal]
    rates: tuple[RateUsed, ...]
    missing: tuple[str, ...]

    def total(self, amounts: Mapping[str, Decimal]) -> Decimal | None:
        """The sum of ``amounts`` in ``to``, rounded once, half-up, to its minor unit; None when a
        rate is missing."""
        if self.missing:
            return None
        return quantize(sum((v * self.factors[c] for c, v in amounts.items()), Decimal(0)), self.to)


def conversion(currencies: Iterable[str], to: str, on: date, *, book: RateBook | None = None) -> Conversion:
    """The rates in force on ``on`` for ``currencies`` into ``to`` (full Decimal precision), read
    from ``book`` when given (no query), else in one query. Amounts already in ``to`` need no rate:
    a market's or a store's figure in its own currency names none and is never missing one."""
    if not set(currencies) - {to}:
        return Conversion(to, {to: ONE}, (), ())
    wanted = sorted({*currencies, to})
    found = book.rates_on(wanted, on) if book is not None else rates_on(wanted, on)
    missing = tuple(code for code, rate in found.items() if rate is None)
    rates = tuple(rate for code, rate in found.items() if rate is not None and code != reporting_currency())
    if missing:
        return Conversion(to, {}, rates, missing)
    return Conversion(to, {c: r.rate / found[to].rate for c, r in found.items()}, rates, ())


def consolidate(amounts: Mapping[str, Decimal], to: str, on: date) -> Consolidated:
    """Sum ``amounts`` (currency -> Decimal) in currency ``to`` at the rates in force on ``on``:
    each amount into the reporting currency at its rate and out into ``to`` at ``to``'s rate, in
    full Decimal precision, rounded once at the end."""
    conv = conversion(amounts, to, on)
    return Consolidated(conv.total(amounts), to, conv.rates, conv.missing)
