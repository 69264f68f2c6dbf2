"""Shopping in a browser: home -> category -> search -> product in each market and language, at
360 px and on a desktop, with and without JavaScript; axe on every page, and a screenshot of each."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.utils import translation
from playwright.sync_api import expect

from tests.browser.conftest import axe

# Product names as the demo's translators wrote them (the shop fixture's English names otherwise).
BAND_NAMES = {"zh-hans": "小米手环3", "hi": "Mi बैंड 3", "de": "Mi Band 3 Fitnessarmband", "en": "Mi Band 3"}
WAREHOUSES = {"CN": "CN-BJ", "IN": "IN-KA", "DE": "DE-HE"}


@pytest.fixture
def stocked_shop(shop):
    """The shop fixture's products with a warehouse full of them in every market, and the band's
    name and description translated."""
    from millet.accounts.actor import SYSTEM
    from millet.catalog import services as catalog
    from millet.inventory import services as inventory

    for market, state in WAREHOUSES.items():
        location = inventory.create_location(
            code=f"WH-{market}",
            name=f"{market} warehouse",
            kind="warehouse",
            market=market,
            city="Capital",
            state=state,
            latitude=Decimal("10"),
            longitude=Decimal("10"),
        )
        for _slug, _name, _category, sku, _prices in shop:
            info = catalog.sku_info([sku])[sku]
            inventory.receive_units(sku_id=info.id, location_id=location.pk, quantity=40, reference="test")
    for language, name in BAND_NAMES.items():
        if language != "en":
            catalog.translate_product("mi-band", language, name=name, description=f"{name}.", actor=SYSTEM)
    return shop


def words(language: str) -> dict[str, str]:
    """What the pages say, in ``language``, as a shopper reads it."""
    from millet.catalog.models import Product

    with translation.override(language):
        return {
            "band": str(Product.Category.BAND.label),
            "search": translation.gettext("Search"),
            "search box": translation.gettext("Search the store"),
            "one result": translation.ngettext(
                "%(count)s result for “%(query)s”", "%(count)s results for “%(query)s”", 1
            )
            % {"count": "1", "query": "band"},
            "nothing": translation.gettext("Nothing matches “%(query)s”") % {"query": "zzzz"},
            "in stock": translation.gettext("In stock"),
            "quantity": translation.gettext("Quantity"),
            "add": translation.gettext("Add to cart"),
            "specs": translation.gettext("Specifications"),
        }


JOURNEYS = [
    ("cn", "zh-hans", "mobile", True, "¥169.00"),
    ("cn", "en", "desktop", True, "¥169.00"),
    ("in", "hi", "desktop", True, "₹1,999.00"),
    ("in", "en", "mobile", False, "₹1,999.00"),
    ("de", "de", "mobile", True, "29,99 €"),
    ("de", "de", "desktop", False, "29,99 €"),
]


@pytest.mark.parametrize(("market", "language", "viewport", "javascript", "price"), JOURNEYS)
def test_home_category_search_product(
    open_page, stocked_shop, shot, market, language, viewport, javascript, price
):
    said = words(language)
    name = BAND_NAMES[language]
    page = open_page(viewport, language=language, javascript=javascript)
    found = []

    def check(page) -> list[str]:  # axe runs in the page: with JavaScript on (the same pages)
        return axe(page) if javascript else []

    tag = f"{market}-{language}-{viewport}-{'js' if javascript else 'nojs'}"

    page.goto(f"/shop/{market}/")
    found += check(page)
    page.get_by_role("link", name=said["band"], exact=True).click()
    page.wait_for_url(f"**/shop/{market}/category/band/")
    expect(page.get_by_role("heading", level=1, name=said["band"])).to_be_visible()
    expect(page.get_by_role("heading", name=name)).to_be_visible()
    expect(page.get_by_text(price, exact=True).first).to_be_visible()
    found += check(page)
    shot(page, f"catalog-category-{tag}")

    box = page.get_by_role("searchbox", name=said["search box"])
    box.fill("zzzz")
    box.press("Enter")
    page.wait_for_url("**/search/?q=zzzz")
    page.get_by_text(said["nothing"]).wait_for()
    expect(page.get_by_role("link", name=said["band"], exact=True)).to_be_visible()  # where to go instead
    found += check(page)
    shot(page, f"catalog-search-empty-{tag}")

    box = page.get_by_role("searchbox", name=said["search box"])
    box.fill("band")
    page.get_by_role("button", name=said["search"]).click()
    page.wait_for_url("**/search/?q=band")
    page.get_by_role("heading", name=said["one result"]).wait_for()  # JavaScript may answer first
    found += check(page)
    shot(page, f"catalog-search-{tag}")

    page.get_by_role("link", name=name, exact=True).click()
    page.wait_for_url(f"**/shop/{market}/product/mi-band/")
    expect(page.get_by_role("heading", level=1, name=name)).to_be_visible()
    expect(page.get_by_role("img", name=name)).to_be_visible()
    expect(page.get_by_text(price, exact=True).first).to_be_visible()
    expect(page.get_by_text(said["in stock"], exact=True)).to_be_visible()
    assert page.get_by_label(said["quantity"]).input_value() == "1"
    expect(page.get_by_role("button", name=said["add"])).to_be_visible()
    expect(page.get_by_role("heading", name=said["specs"])).to_be_visible()
    found += check(page)
    shot(page, f"catalog-product-{tag}")
    assert not found, "\n".join(found)


def test_the_search_box_shows_results_as_one_types(open_page, stocked_shop):
    page = open_page("desktop", language="en")
    page.goto("/shop/in/search/")
    page.get_by_role("searchbox", name="Search the store").press_sequentially("note", delay=30)
    page.get_by_role("heading", name="1 result for “note”").wait_for()
    expect(page.get_by_role("heading", name="Mi Notebook Pro")).to_be_visible()
    page.wait_for_url("**/search/?q=note")  # the address follows, so back and reload keep the results
