import pytest
from django.utils import translation

from millet.catalog.models import Product


@pytest.mark.parametrize(
    ("language", "phone", "home"),
    [
        ("zh-hans", "手机", "智能家居"),
        ("hi", "फ़ोन", "स्मार्ट होम"),
        ("de", "Telefon", "Smart Home"),
        ("en", "Phone", "Smart home"),
    ],
)
def test_category_names_are_translated(language, phone, home):
    with translation.override(language):
        assert (str(Product.Category.PHONE.label), str(Product.Category.HOME.label)) == (phone, home)


@pytest.mark.parametrize(
    ("language", "text"), [("zh-hans", "精选"), ("hi", "ख़ास उत्पाद"), ("de", "Empfohlen")]
)
def test_storefront_labels_ship_compiled(language, text):
    with translation.override(language):
        assert translation.gettext("Featured") == text


def test_api_labels_follow_accept_language(catalog, api_client):
    response = api_client().get("/catalog/products?market=CN&category=phone", HTTP_ACCEPT_LANGUAGE="zh-Hans")
    assert response.json()[0]["category_label"] == "手机"
    response = api_client().get("/catalog/skus/MI6-64", HTTP_ACCEPT_LANGUAGE="hi")
    assert response.json()["category_label"] == "फ़ोन"
