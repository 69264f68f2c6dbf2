"""The demo's catalog sells in every market, Germany included, and speaks each site language."""

from __future__ import annotations

from django.utils import translation

from millet.catalog import services
from millet.demo.build import DemoCompany, build_catalog
from millet.demo.content import EUR_PRICES, PRODUCT_TEXT
from millet.demo.data import PRODUCTS


def test_the_demo_catalog_is_priced_in_germany_and_translated(markets):
    build_catalog(DemoCompany())
    german = services.list_products("DE")
    assert len(german) >= 30 and all(p.currency == "EUR" for p in german)
    assert {s.code for p in german for s in p.skus} == set(EUR_PRICES)
    assert {slug for slug, *_ in PRODUCTS} == set(PRODUCT_TEXT)
    for language, name, words in (
        ("de", "Mi Luftreiniger 2", "Reinigt"),
        ("zh-hans", "小米空气净化器2", "净化"),
        ("hi", "Mi एयर प्यूरीफ़ायर 2", "कमरा"),
        ("en", "Mi Air Purifier 2", "Cleans"),
    ):
        with translation.override(language):
            purifier = services.product_detail("mi-air-purifier-2", "DE")
        assert purifier.name == name and words in purifier.description
        assert purifier.image_url.endswith("/catalog/drawings/purifier.svg")
