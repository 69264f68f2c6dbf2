import pytest

from millet.regions.models import TaxRule


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
