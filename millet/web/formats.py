"""Prices, numbers and dates as each locale writes them, from CLDR through Babel.

Babel (the Pallets project's CLDR library) rather than Django's per-language formats: Django's
formats know a language, not a territory, so they cannot write 1,00,000 for English in India, and
they have no currency patterns (where the symbol goes, its spacing). The locale is the page's
language with the territory of the money's market: INR in English is en_IN (₹1,00,000.00), EUR in
German is de_DE (1.234,56 €). The symbol is the one the market's currency stores (¥ rather than
CLDR's CN¥ for English pages).
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from functools import lru_cache
from zoneinfo import ZoneInfo

from babel import Locale, UnknownLocaleError
from babel.dates import format_date, format_datetime
from babel.numbers import format_currency, format_decimal, format_percent, get_currency_symbol
from django.utils import translation

from millet.regions.money import currency_symbol
from millet.web.markets import current_market


@lru_cache(maxsize=128)
def babel_locale(language: str, territory: str | None) -> Locale:
    """CLDR's locale for a Django language code in a territory, falling back to the language alone."""
    base = Locale.parse(translation.to_locale(language or "en"))
    if territory:
        try:
            return Locale.parse(f"{base}_{territory}")
        except (UnknownLocaleError, ValueError):
            pass
    return base


def _territory(currency: str | None) -> str | None:
    """The current market when it uses this currency, else the currency's country (ISO 4217's
    first two letters: INR -> IN); a territory CLDR does not know for the language falls back."""
    market = current_market()
    if market is not None and (currency is None or market.currency == currency):
        return market.code
    return currency[:2] if currency else None


def page_locale(currency: str | None = None) -> Locale:
    return babel_locale(translation.get_language() or "en", _territory(currency))


def money(amount: Decimal | int | str, currency: str) -> str:
    """``amount`` of ``currency`` for the current page: ``money(Decimal("100000"), "INR")`` is
    ₹1,00,000.00 in English and Hindi, ``money(Decimal("1234.56"), "EUR")`` is 1.234,56 € in German.

    Raises TypeError for a float: money is never a float (team charter).
    """
    if isinstance(amount, float):
        raise TypeError("money is never a float; pass a Decimal")
    locale = page_locale(currency)
    text = format_currency(Decimal(amount), currency, locale=locale)
    ours = currency_symbol(currency)
    theirs = get_currency_symbol(currency, locale)
    return text.replace(theirs, ours, 1) if ours and theirs != ours else text


def number(value: int | Decimal | str) -> str:
    """A count or quantity with the page's grouping (1,00,000 on Indian pages)."""
    if isinstance(value, float):
        raise TypeError("pass an int or a Decimal")
    return format_decimal(Decimal(value), locale=page_locale())


def percent(share: float | Decimal, *, exact: bool = False) -> str:
    """A share (0.125) as the page's locale writes a whole percentage: 13% in English, 13 % in
    German (babel's CLDR pattern). For rates and shares, never money. ``exact`` keeps every decimal
    the share has (a loan's APR of 0.165 is 16.5%, never rounded to 17%: it is a contract's term)."""
    return format_percent(share, locale=page_locale(), decimal_quantization=not exact)


def _zone() -> ZoneInfo | None:
    market = current_market()
    return ZoneInfo(market.time_zone) if market is not None else None


def local_date(value: date | datetime, length: str = "medium") -> str:
    """A day as the page's locale writes it (a datetime is first moved to the market's time zone)."""
    if isinstance(value, datetime):
        zone = _zone()
        value = value.astimezone(zone).date() if zone is not None else value.date()
    return format_date(value, length, locale=page_locale())


def local_datetime(value: datetime, length: str = "medium") -> str:
    """A moment in the market's time zone, as the page's locale writes it."""
    return format_datetime(value, length, tzinfo=_zone(), locale=page_locale())


def market_name(code: str, fallback: str = "") -> str:
    """The market's country as the page's language names it (CLDR): 中国, भारत, Deutschland."""
    locale = babel_locale(translation.get_language() or "en", None)
    return locale.territories.get(code.upper(), fallback or code)
