from decimal import Decimal

import pytest

from millet.regions.models import Currency, Market, TaxRule
from millet.regions.services import ensure_default_markets, get_market, list_markets


def test_default_markets_are_exactly_china_india_germany(markets):
    assert [(m.code, m.currency, m.languages, m.time_zone) for m in list_markets()] == [
        ("CN", "CNY", ("zh-hans", "en"), "Asia/Shanghai"),
        ("DE", "EUR", ("de", "en"), "Europe/Berlin"),
        ("IN", "INR", ("hi", "en"), "Asia/Kolkata"),
    ]
    rules = {(r.market_id, r.tax_class): (r.name, r.rate, r.components) for r in TaxRule.objects.all()}
    assert rules == {
        ("CN", "electronics"): ("VAT", Decimal("0.13"), {}),
        ("IN", "electronics"): ("GST", Decimal("0.18"), {"CGST": "0.09", "SGST": "0.09"}),
        ("DE", "electronics"): ("VAT", Decimal("0.19"), {}),
    }
    assert set(Currency.objects.values_list("code", "exponent")) == {("CNY", 2), ("INR", 2), ("EUR", 2)}


@pytest.mark.django_db
def test_ensure_default_markets_is_idempotent_and_restores_edits():
    ensure_default_markets()
    Market.objects.filter(code="IN").update(time_zone="UTC")
    TaxRule.objects.filter(market_id="DE").update(rate=Decimal("0.16"))
    ensure_default_markets()
    assert (Market.objects.count(), TaxRule.objects.count(), Currency.objects.count()) == (3, 3, 3)
    assert get_market("IN").time_zone == "Asia/Kolkata"
    assert TaxRule.objects.get(market_id="DE").rate == Decimal("0.19")
