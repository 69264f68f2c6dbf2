"""Money, numbers and dates as each locale writes them (web.formats, the ``money`` filter)."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

import pytest
from django.template import Context, Template
from django.utils import translation

from millet.regions.services import ensure_default_markets, get_market
from millet.web import formats
from millet.web.markets import market_override

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def markets():
    ensure_default_markets()


@pytest.mark.parametrize(
    ("language", "market", "amount", "currency", "text"),
    [
        ("en", "IN", "100000", "INR", "₹1,00,000.00"),
        ("hi", "IN", "12345678.9", "INR", "₹1,23,45,678.90"),
        ("de", "DE", "1234.56", "EUR", "1.234,56\u00a0€"),
        ("en", "DE", "1234.56", "EUR", "1.234,56\u00a0€"),
        ("zh-hans", "CN", "1999", "CNY", "¥1,999.00"),
        ("en", "CN", "1999", "CNY", "¥1,999.00"),  # the market's own symbol, not CLDR's "CN¥"
        ("de", "CN", "1999", "CNY", "1.999,00\u00a0¥"),  # CLDR puts a no-break space before the symbol
        ("en", None, "100000", "INR", "₹1,00,000.00"),  # no market: the currency's country
        ("en", "IN", "-250.5", "INR", "-₹250.50"),  # a refund
    ],
)
def test_money_per_locale(language, market, amount, currency, text):
    with translation.override(language), market_override(get_market(market) if market else None):
        assert formats.money(Decimal(amount), currency) == text
        rendered = Template("{% load ui %}{{ amount|money:currency }}").render(
            Context({"amount": Decimal(amount), "currency": currency})
        )
        assert rendered == text


def test_money_is_never_a_float():
    with pytest.raises(TypeError):
        formats.money(19.99, "EUR")


def test_numbers_and_dates_follow_the_market():
    moment = datetime(2026, 11, 11, 18, 30, tzinfo=UTC)
    with translation.override("hi"), market_override(get_market("IN")):
        assert formats.number(10000000) == "1,00,00,000"
        assert formats.local_datetime(moment, "short") == "12/11/26, 12:00 am"  # Asia/Kolkata, +05:30
    with translation.override("de"), market_override(get_market("DE")):
        assert formats.local_date(moment) == "11.11.2026"
    with translation.override("zh-hans"), market_override(get_market("CN")):
        assert formats.market_name("DE") == "德国"
