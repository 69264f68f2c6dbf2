from decimal import Decimal

import pytest

from millet.regions.models import Currency, Market, TaxRule


@pytest.mark.parametrize("page", ["currency", "market", "taxrule"])
def test_changelists_render_with_filters_and_search(markets, admin_client, page):
    response = admin_client.get(f"/admin/regions/{page}/", {"q": "IN"})
    assert response.status_code == 200


def test_market_change_page_shows_tax_rules_inline(markets, admin_client):
    response = admin_client.get("/admin/regions/market/IN/change/")
    assert response.status_code == 200 and b"CGST" in response.content


def test_tax_rule_with_components_not_adding_up_is_not_saved(markets, admin_client):
    rule = TaxRule.objects.get(market_id="IN")
    response = admin_client.post(
        f"/admin/regions/taxrule/{rule.pk}/change/",
        {
            "market": "IN",
            "tax_class": "electronics",
            "name": "GST",
            "rate": "0.18",
            "components": '{"CGST": "0.09", "SGST": "0.10"}',
        },
    )
    assert response.status_code == 200
    assert b"components add up to 0.19" in response.content
    rule.refresh_from_db()
    assert rule.components == {"CGST": "0.09", "SGST": "0.09"}


@pytest.mark.parametrize("code", ["eur", "E1", "EU"])
def test_a_currency_code_is_iso_4217_as_define_currency_requires(markets, admin_client, code):
    response = admin_client.post(
        "/admin/regions/currency/add/", {"code": code, "name": "Bad", "exponent": "2", "symbol": ""}
    )
    assert response.status_code == 200
    assert not Currency.objects.filter(code=code).exists()


@pytest.mark.parametrize("code", ["fr", "F1", "F"])
def test_a_market_code_is_iso_3166_as_define_market_requires(markets, admin_client, code):
    response = admin_client.post(
        "/admin/regions/market/add/",
        {
            "code": code,
            "name": "France",
            "currency": "EUR",
            "languages": '["en"]',
            "time_zone": "Europe/Paris",
            "prices_include_tax": "on",
            "tax_rules-TOTAL_FORMS": "0",
            "tax_rules-INITIAL_FORMS": "0",
            "tax_rules-MIN_NUM_FORMS": "0",
            "tax_rules-MAX_NUM_FORMS": "1000",
        },
    )
    assert response.status_code == 200
    assert not Market.objects.filter(code=code).exists()


def test_a_new_currency_is_added_with_its_exponent(markets, admin_client):
    response = admin_client.post(
        "/admin/regions/currency/add/", {"code": "JPY", "name": "Yen", "exponent": "0", "symbol": "¥"}
    )
    assert response.status_code == 302, response.content
    assert Currency.objects.get(code="JPY").exponent == 0


def test_a_currency_keeps_its_code_and_exponent(markets, admin_client):
    """``define_currency``'s rule: the ledger's minor units of every stored amount count on them."""
    response = admin_client.post(
        "/admin/regions/currency/CNY/change/", {"code": "CNH", "name": "Yuan", "exponent": "0", "symbol": "¥"}
    )
    assert response.status_code == 302, response.content
    assert list(Currency.objects.filter(code__in=["CNY", "CNH"]).values_list("code", "name", "exponent")) == [
        ("CNY", "Yuan", 2)
    ]


def test_a_market_keeps_its_code_and_currency(markets, admin_client):
    """``define_market``'s rule: its prices and orders are amounts in its currency."""
    response = admin_client.post(
        "/admin/regions/market/CN/change/",
        {
            "code": "CX",
            "name": "PRC",
            "currency": "EUR",
            "languages": '["zh-hans", "en"]',
            "time_zone": "Asia/Shanghai",
            "prices_include_tax": "on",
            "tax_rules-TOTAL_FORMS": "0",
            "tax_rules-INITIAL_FORMS": "0",
            "tax_rules-MIN_NUM_FORMS": "0",
            "tax_rules-MAX_NUM_FORMS": "1000",
        },
    )
    assert response.status_code == 302, response.content
    assert not Market.objects.filter(code="CX").exists()
    assert Market.objects.filter(code="CN").values_list("name", "currency").get() == ("PRC", "CNY")


def test_a_market_keeps_its_tax_quoting(markets, admin_client):
    """``define_market``'s rule: its prices are stored gross or net by it."""
    response = admin_client.post(
        "/admin/regions/market/CN/change/",
        {
            "name": "China",
            "languages": '["zh-hans", "en"]',
            "time_zone": "Asia/Shanghai",
            "tax_rules-TOTAL_FORMS": "0",
            "tax_rules-INITIAL_FORMS": "0",
            "tax_rules-MIN_NUM_FORMS": "0",
            "tax_rules-MAX_NUM_FORMS": "1000",
        },  # an unticked box posts nothing: the quoting flipped to net
    )
    assert response.status_code == 302, response.content
    assert Market.objects.get(code="CN").prices_include_tax is True


def test_a_tax_rule_keeps_its_market_and_class(markets, admin_client):
    """Products name their tax class: renamed or moved, the rule would leave them untaxed."""
    rule = TaxRule.objects.get(market_id="CN")
    response = admin_client.post(
        f"/admin/regions/taxrule/{rule.pk}/change/",
        {
            "market": "DE",
            "tax_class": "services",
            "name": "VAT",
            "rate": "0.09",
            "components": "{}",
            "inter_state_components": "{}",
        },
    )
    assert response.status_code == 302, response.content
    rule.refresh_from_db()
    assert (rule.market_id, rule.tax_class, rule.rate) == ("CN", "electronics", Decimal("0.09"))
