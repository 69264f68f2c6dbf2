"""The store's catalog pages: category, search and product, per market, with their 404s, odd input,
stock from inventory, the readable device spec, the add-to-cart form and a fixed number of queries."""

from __future__ import annotations

import html
import re
from datetime import timedelta
from decimal import Decimal

import pytest
from django.test import Client
from django.utils import timezone

from millet.accounts.actor import SYSTEM
from millet.catalog import services
from millet.core.errors import Unprocessable
from millet.inventory import services as inventory
from tests.catalog.conftest import PURIFIER_URN


def page(path: str, language: str = "en", **params):
    client = Client()
    client.cookies["django_language"] = language
    return client.get(path, params)


def text(response) -> str:
    """The page's visible words, roughly: tags dropped, whitespace squeezed."""
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", response.content.decode())).split())


@pytest.fixture
def warehouse(catalog):
    """A CN warehouse; ``stock(code, units)`` puts units of a SKU in it."""
    location = inventory.create_location(
        code="WH-CN-T",
        name="Test warehouse",
        kind="warehouse",
        market="CN",
        city="Beijing",
        state="CN-BJ",
        latitude=Decimal("39.9"),
        longitude=Decimal("116.4"),
    )

    def stock(code: str, units: int) -> None:
        info = services.sku_info([code])[code]
        serials = [f"{code}-{n}" for n in range(units)] if info.serialized else []
        inventory.receive_units(
            sku_id=info.id,
            location_id=location.pk,
            quantity=units,
            reference="test",
            serials=serials,
            serialized=info.serialized,
        )

    stock.location = location
    return stock


@pytest.mark.parametrize(
    "path",
    [
        "/shop/xx/category/phone/",  # unknown market
        "/shop/xx/search/",
        "/shop/xx/product/mi-6/",
        "/shop/cn/category/sofa/",  # unknown category
        "/shop/cn/category/tv/",  # a category nobody sells in CN
        "/shop/in/category/home/",  # sold in CN, not in IN
        "/shop/cn/product/nope/",  # unknown product
        "/shop/cn/product/mi-5/",  # retired
        "/shop/in/product/air-purifier-pro/",  # not priced in IN
    ],
)
def test_unknown_things_are_404_pages(catalog, path):
    response = page(path)
    assert response.status_code == 404
    assert b'href="/shop/cn/"' in response.content  # the layout's way back


def test_a_category_lists_its_products_with_a_count_and_links(catalog):
    response = page("/shop/cn/category/phone/")
    assert response.status_code == 200
    assert "<h1>Phone</h1>" in response.content.decode()
    assert "1 product" in text(response)
    assert 'href="/shop/cn/product/mi-6/"' in response.content.decode()
    assert "Mi 5" not in text(response)  # retired


def test_search_counts_results_in_the_markets_currency(catalog):
    response = page("/shop/in/search/", q="cable")
    assert response.status_code == 200
    assert "1 result for “cable”" in text(response)
    assert "₹299.00" in text(response)
    assert "USB-C cable" in text(response)


def test_search_finds_a_sku_code_and_every_language(catalog):
    services.translate_product("air-purifier-pro", "de", name="Mi Luftreiniger Pro", actor=SYSTEM)
    assert "1 result" in text(page("/shop/cn/search/", q="ap-pro"))
    found = page("/shop/cn/search/", "en", q="luftreiniger")  # a German word on the English page
    assert "1 result" in text(found) and "Mi Air Purifier Pro" in text(found)


@pytest.mark.parametrize(
    ("query", "shown"),
    [
        ("zzz", "Nothing matches “zzz”"),
        ("%", "Nothing matches “%”"),
        ("_", "Nothing matches “_”"),
        ("' OR 1=1 --", "Nothing matches “' OR 1=1 --”"),
        ("<script>alert(1)</script>", "Nothing matches “<script>alert(1)</script>”"),
        ("小米", "Nothing matches “小米”"),
        ("   ", "Type a product name"),
        ("x" * 500, "Nothing matches “" + "x" * 100 + "”"),  # cut at the longest search
    ],
)
def test_search_with_odd_input_answers_calmly(catalog, query, shown):
    response = page("/shop/cn/search/", q=query)
    assert response.status_code == 200
    assert shown in text(response)
    assert "<script>alert" not in response.content.decode()


def test_an_empty_search_offers_the_categories(catalog):
    body = page("/shop/cn/search/", q="zzz").content.decode()
    assert 'href="/shop/cn/category/phone/"' in body and 'href="/shop/cn/category/home/"' in body


def test_search_answers_htmx_with_the_results_alone(catalog):
    response = Client().get("/shop/cn/search/", {"q": "mi"}, HTTP_HX_REQUEST="true")
    assert response.status_code == 200 and "HX-Request" in response["Vary"]
    assert b"<html" not in response.content and b'id="results"' in response.content


def test_a_product_page_has_price_stock_and_the_add_to_cart_form(catalog, warehouse):
    warehouse("MI6-64", 20)
    response = page("/shop/cn/product/mi-6/")
    body, words = response.content.decode(), text(response)
    assert response.status_code == 200
    assert "<h1" in body and "Mi 6" in words and "Snapdragon 835" in words
    assert "¥2,499.00" in words and "In stock" in words
    form = re.search(
        r'<form class="form add-to-cart" method="post" action="([^"]+)">(.*?)</form>', body, re.S
    )
    assert form and form.group(1) == "/shop/cn/cart/add/"
    assert 'name="csrfmiddlewaretoken"' in form.group(2)
    assert '<input type="hidden" name="sku" value="MI6-64">' in form.group(2)
    quantity = r'<input id="quantity" type="text" name="quantity" value="1" inputmode="numeric"'
    assert re.search(quantity, form.group(2))  # text: Chromium drops Devanagari digits from a number input
    assert '<label for="quantity">Quantity</label>' in form.group(2)


def test_a_version_is_picked_by_link(catalog, warehouse):
    warehouse("MI6-64", 20)
    warehouse("MI6-128", 20)
    response = page("/shop/cn/product/mi-6/", sku="MI6-128")
    assert '<input type="hidden" name="sku" value="MI6-128">' in response.content.decode()
    assert "¥2,899.00" in text(response)
    odd = page("/shop/cn/product/mi-6/", sku="CABLE-C")  # not this product's: the first version
    assert '<input type="hidden" name="sku" value="MI6-128">' in odd.content.decode()
    only_priced = page("/shop/in/product/mi-6/")  # MI6-128 has no price in India
    assert "MI6-128" not in only_priced.content.decode()


def test_stock_reads_low_back_order_with_its_date_and_sold_out(catalog, warehouse):
    warehouse("MI6-64", 3)
    low = text(page("/shop/cn/product/mi-6/"))  # the first version that can be bought
    assert "Low stock" in low and "Only 3 left" in low
    sold_out = page("/shop/cn/product/mi-6/", sku="MI6-128")  # no stock, no back-orders
    assert "Sold out" in text(sold_out) and "add-to-cart" not in sold_out.content.decode()
    due = timezone.localdate() + timedelta(days=9)
    sku_id = services.sku_info(["AP-PRO"])["AP-PRO"].id
    inventory.create_purchase_order(
        actor=SYSTEM,
        supplier="Factory",
        location_id=warehouse.location.pk,
        lines=[(sku_id, 5)],
        expected_on=due,
    )
    back_order = page("/shop/cn/product/air-purifier-pro/", "de")
    assert "Vorbestellung" in text(back_order)
    assert f"Versand bis {due:%d.%m.%Y}" in text(back_order)
    assert "add-to-cart" in back_order.content.decode()


def test_a_connected_product_shows_its_spec_as_properties(catalog):
    words = text(page("/shop/cn/product/air-purifier-pro/"))
    for shown in (
        "Specifications",
        "Air Purifier",
        "Fan level",
        "0–1,400",
        "-40–125 °C",
        "Auto, Sleep, Favorite",
    ):
        assert shown in words
    assert "On / off" in words and "You can change it" in words and "Shown as reported" in words
    assert "PM2.5 density" in words and "Filter exhausted" in words and "Toggle" in words
    assert "siid" not in words and "value_range" not in words and "{" not in words


def test_names_and_descriptions_follow_the_language(catalog):
    services.translate_product("mi-6", "hi", name="एमआई 6", description="स्नैपड्रैगन 835, डुअल कैमरा", actor=SYSTEM)
    hindi = text(page("/shop/in/product/mi-6/", "hi"))
    assert "एमआई 6" in hindi and "स्नैपड्रैगन 835" in hindi and "₹19,999.00" in hindi
    assert "Mi 6" in text(page("/shop/in/product/mi-6/", "de"))  # no German text: the English one


def test_variant_names_and_spec_labels_follow_the_language(catalog):
    services.translate_sku("MI6-64", "zh-hans", name="小米6 64GB 黑色", actor=SYSTEM)
    assert "小米6 64GB 黑色" in text(page("/shop/cn/product/mi-6/", "zh-hans"))
    assert "Mi 6 64GB Black" in text(page("/shop/cn/product/mi-6/", "hi"))  # no Hindi name: the English one
    labels = {"Air Purifier": "空气净化器", "Fan level": "风扇档位", "Auto": "自动", "Toggle": "切换开关"}
    services.translate_device_model(PURIFIER_URN, "zh-hans", labels, actor=SYSTEM)
    chinese = text(page("/shop/cn/product/air-purifier-pro/", "zh-hans"))
    for shown in ("空气净化器", "风扇档位", "自动, Sleep, Favorite", "切换开关", "PM2.5 density"):
        assert shown in chinese, shown  # a label without a translation stays in English
    assert "Fan level" in text(page("/shop/cn/product/air-purifier-pro/", "de"))
    with pytest.raises(Unprocessable) as refused:
        services.translate_device_model(PURIFIER_URN, "zh-hans", {"Warp drive": "曲速"}, actor=SYSTEM)
    assert refused.value.code == "unknown_label"
    with pytest.raises(Unprocessable):
        services.translate_sku("MI6-64", "fr", name="Mi 6", actor=SYSTEM)


def test_the_product_picture_is_its_drawing_until_a_photo_is_uploaded(catalog):
    body = page("/shop/cn/product/mi-6/").content.decode()
    assert 'src="/static/catalog/drawings/phone-black.svg"' in body  # the category's drawing
    assert 'alt="Mi 6"' in body


def test_the_product_and_category_pages_cost_the_same_queries_however_many_things(
    catalog, warehouse, django_assert_num_queries
):
    """Product: the product, its SKUs with prices, their facts and their stock. Category: products,
    their SKUs with prices. Both: the menu's announced flash sales (one query, flashsale's promotions
    provider); the layout's market switcher and currency symbols are cached per process after the
    first page (regions.list_markets)."""
    warehouse("MI6-64", 20)
    page("/shop/cn/")  # warms the layout's cached market facts
    with django_assert_num_queries(5):
        page("/shop/cn/product/mi-6/")
    with django_assert_num_queries(3):
        page("/shop/cn/category/phone/")
    for n in range(6):
        services.create_product(f"phone-{n}", f"Phone {n}", "phone", actor=SYSTEM)
        for v in range(3):
            services.create_sku(f"P{n}-{v}", f"phone-{n}", f"Phone {n} v{v}", actor=SYSTEM)
            services.set_price("CN", f"P{n}-{v}", Decimal("999"), actor=SYSTEM)
    for v in range(8):
        services.create_sku(f"MI6-X{v}", "mi-6", f"Mi 6 v{v}", actor=SYSTEM)
        services.set_price("CN", f"MI6-X{v}", Decimal("2599"), actor=SYSTEM)
        warehouse(f"MI6-X{v}", 2)
    with django_assert_num_queries(5):
        assert "Mi 6 v7" in text(page("/shop/cn/product/mi-6/"))
    with django_assert_num_queries(3):
        assert "7 products" in text(page("/shop/cn/category/phone/"))
