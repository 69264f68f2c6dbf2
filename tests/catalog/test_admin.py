import json

import pytest

from millet.catalog.models import DeviceModel
from tests.catalog.conftest import PURIFIER_URN


@pytest.mark.parametrize("page", ["devicemodel", "product", "sku", "pricelist", "price"])
def test_changelists_render_with_search(catalog, admin_client, page):
    response = admin_client.get(f"/admin/catalog/{page}/", {"q": "mi"})
    assert response.status_code == 200


def test_prices_filter_by_market(catalog, admin_client):
    response = admin_client.get("/admin/catalog/price/", {"price_list__market__code__exact": "DE"})
    assert response.status_code == 200
    assert b"249.99 EUR" in response.content and b"1499.00 CNY" not in response.content


def test_product_page_has_its_skus_inline(catalog, admin_client):
    product = DeviceModel.objects.get(urn=PURIFIER_URN).products.get()
    response = admin_client.get(f"/admin/catalog/product/{product.pk}/change/")
    assert response.status_code == 200 and b"AP-PRO" in response.content


def test_device_model_form_shows_spec_errors_and_saves_nothing(catalog, admin_client, purifier_spec):
    purifier_spec["services"][1]["siid"] = 2
    response = admin_client.post(
        "/admin/catalog/devicemodel/add/",
        {"urn": "urn:new", "name": "New", "spec": json.dumps(purifier_spec)},
    )
    assert response.status_code == 200
    assert b"services: duplicate siid 2" in response.content
    assert not DeviceModel.objects.filter(urn="urn:new").exists()
