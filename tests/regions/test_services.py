from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.utils import translation

from millet.core.errors import Conflict, NotFound, Unprocessable
from millet.regions.models import Currency, Market, TaxRule
from millet.regions.services import define_currency, define_market, define_tax_rule, get_market


def snapshot():
    return list(Market.objects.order_by("code").values()), list(TaxRule.objects.order_by("pk").values())


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"code": "cn"}, "ISO 3166-1"),
        ({"languages": []}, "non-empty list"),
        ({"languages": ["fr"]}, "language 'fr'"),
        ({"languages": ["en", "en"]}, "unique"),
        ({"time_zone": "Mars/Olympus"}, "unknown time zone"),
        ({"time_zone": "../etc/passwd"}, "unknown time zone"),
    ],
)
def test_define_market_refuses_bad_facts(markets, kwargs, message):
    before = snapshot()
    args = {
        "code": "CN",
        "name": "China",
        "currency": "CNY",
        "languages": ["zh-hans"],
        "time_zone": "Asia/Shanghai",
    }
    with pytest.raises(Unprocessable) as exc:
        define_market(**{**args, **kwargs})
    assert exc.value.code == "invalid_market" and message in exc.value.detail
    assert snapshot() == before


def test_define_market_needs_a_known_currency(markets):
    before = snapshot()
    with pytest.raises(NotFound):
        define_market("JP", "Japan", currency="JPY", languages=["en"], time_zone="Asia/Tokyo")
    assert snapshot() == before


def test_a_defined_currency_keeps_its_exponent(markets):
    """The ledger stores amounts in minor units: with 0 decimals, 2499.00 yuan (249900) would read
    as 249,900 yuan."""
    with pytest.raises(Conflict) as exc:
        define_currency("CNY", "Chinese yuan", exponent=0, symbol="¥")
    assert exc.value.code == "currency_exponent_fixed" and exc.value.status_code == 409
    assert Currency.objects.get(code="CNY").exponent == 2
    define_currency("CNY", "Renminbi", exponent=2, symbol="元")  # its name and symbol may change
    assert Currency.objects.filter(code="CNY").values_list("name", "exponent", "symbol").get() == (
        "Renminbi",
        2,
        "元",
    )


def test_a_market_keeps_its_currency(markets):
    """Its prices, orders and ledger accounts hold amounts in it: moved to EUR, 2499.00 yuan would
    sell as 2499.00 euros."""
    before = snapshot()
    with pytest.raises(Conflict) as exc:
        define_market("CN", "China", currency="EUR", languages=["zh-hans", "en"], time_zone="Asia/Shanghai")
    assert exc.value.code == "market_currency_fixed" and exc.value.status_code == 409
    assert snapshot() == before and get_market("CN").currency == "CNY"
    define_market("CN", "PRC", currency="CNY", languages=["en"], time_zone="Asia/Shanghai")
    assert (get_market("CN").name, get_market("CN").languages) == ("PRC", ("en",))


@pytest.mark.parametrize("gross", [True, False])
def test_a_market_keeps_its_tax_quoting(db, gross):
    """Its prices are stored gross or net by it: flipped, CN's 99.00 gross price would sell at 99.00
    plus 13% VAT, and a net market's at its price with the tax taken out of it."""
    define_currency("CNY", "Chinese yuan")
    define_market(
        "CN", "China", currency="CNY", languages=["en"], time_zone="Asia/Shanghai", prices_include_tax=gross
    )
    before = snapshot()
    with pytest.raises(Conflict) as exc:
        define_market(
            "CN",
            "China",
            currency="CNY",
            languages=["en"],
            time_zone="Asia/Shanghai",
            prices_include_tax=not gross,
        )
    assert exc.value.code == "market_tax_quoting_fixed" and exc.value.status_code == 409
    assert snapshot() == before and get_market("CN").prices_include_tax is gross
    define_market(
        "CN", "PRC", currency="CNY", languages=["en"], time_zone="Asia/Shanghai", prices_include_tax=gross
    )
    assert get_market("CN").name == "PRC"


@pytest.mark.parametrize(
    ("rate", "components", "message"),
    [
        (Decimal("0.18"), {"CGST": Decimal("0.09"), "SGST": Decimal("0.08")}, "add up to 0.17"),
        (Decimal("1.5"), {}, "between 0 and 1"),
        (Decimal("0.18"), {"CGST": "nine"}, "not a rate"),
    ],
)
def test_define_tax_rule_refuses_inconsistent_rates(markets, rate, components, message):
    before = snapshot()
    with pytest.raises(Unprocessable) as exc:
        define_tax_rule("IN", "electronics", "GST", rate, components)
    assert exc.value.code == "invalid_tax_rule" and message in exc.value.detail
    assert snapshot() == before


def test_inter_state_components_must_add_up_to_the_rate_too(markets):
    before = snapshot()
    with pytest.raises(Unprocessable) as exc:
        define_tax_rule(
            "IN", "electronics", "GST", Decimal("0.18"), inter_state_components={"IGST": Decimal("0.09")}
        )
    assert exc.value.code == "invalid_tax_rule" and "add up to 0.09" in exc.value.detail
    assert snapshot() == before
    rule = TaxRule.objects.get(market_id="IN")
    rule.inter_state_components = {"IGST": "0.28"}
    with pytest.raises(ValidationError) as invalid:
        rule.full_clean()
    assert "add up to 0.28" in str(invalid.value.message_dict["inter_state_components"])


def test_tax_rule_clean_refuses_float_components(markets):
    rule = TaxRule.objects.get(market_id="IN")
    rule.components = {"CGST": 0.09, "SGST": 0.09}
    with pytest.raises(ValidationError) as exc:
        rule.full_clean()
    assert "not a rate as a decimal string" in str(exc.value.message_dict["components"])


def test_market_clean_refuses_unknown_language(markets):
    market = Market.objects.get(code="DE")
    market.languages = ["de", "klingon"]
    with pytest.raises(ValidationError):
        market.full_clean()


def test_a_refused_currency_or_market_says_why_in_the_staff_language(markets):
    """The admin shows ``clean``'s refusal in the active language, its values in place; the API's
    detail for the same rule stays English (``test_define_market_refuses_bad_facts``)."""
    market = Market.objects.get(code="DE")
    market.time_zone = "Mars/Olympus"
    with translation.override("de"):
        with pytest.raises(ValidationError) as currency:
            Currency(code="eur", name="Euro", exponent=2).full_clean()
        with pytest.raises(ValidationError) as refused_market:
            market.full_clean()
    assert currency.value.messages == ["'eur' ist kein ISO-4217-Code"]
    assert refused_market.value.messages == ["Unbekannte Zeitzone 'Mars/Olympus'"]


def test_a_refused_tax_rule_says_why_in_the_staff_language(markets):
    """The tax rule's refusals were English on a German admin; the API's detail stays English."""
    rule = TaxRule.objects.get(market_id="IN")
    rule.components = {"CGST": "0.09", "SGST": "0.10"}
    rule.inter_state_components = ["IGST"]
    with translation.override("de"):
        with pytest.raises(ValidationError) as refused:
            rule.full_clean()
    errors = refused.value.message_dict
    assert errors["components"] == ["Die Komponenten ergeben zusammen 0.19, nicht den Satz 0.1800"]
    assert errors["inter_state_components"] == ['Muss ein Objekt wie {"IGST": "0.18"} sein']


def test_cached_market_facts_follow_edits(markets):
    assert get_market("DE").time_zone == "Europe/Berlin"
    market = Market.objects.get(code="DE")
    market.time_zone = "Europe/Busingen"
    market.save()
    assert get_market("DE").time_zone == "Europe/Busingen"
