"""The store in a browser: the landing page finds the visitor's market, each market and language
shows its prices as that locale writes them, and the switchers work with and without JavaScript."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import sign_in

# (Accept-Language, market home it lands on, heading words, a price as that page writes it)
LANDINGS = [
    ("hi-IN,hi;q=0.9,en;q=0.8", "/shop/in/", "स्मार्ट डिवाइस", "₹1,24,999.00"),
    ("de-DE,de;q=0.9", "/shop/de/", "Smarte Geräte", "1.234,56 €"),
    ("zh-CN,zh;q=0.9", "/shop/cn/", "智能设备", "¥1,999.00"),
    ("en-IN,en;q=0.9", "/shop/in/", "स्मार्ट डिवाइस", "₹24,999.00"),
    ("fr-FR,fr;q=0.9", "/shop/cn/", "智能设备", "¥6,999.00"),
]


@pytest.mark.parametrize(("accept_language", "home", "heading", "price"), LANDINGS)
def test_landing_is_the_store_of_the_visitors_market(open_page, shop, accept_language, home, heading, price):
    """``/`` redirects by the browser's languages (default CN); the page speaks the market's first
    language until the visitor picks one, and writes prices the market's way."""
    page = open_page("mobile", accept_language=accept_language)
    page.goto("/")
    assert page.url.endswith(home)
    assert heading in page.get_by_role("heading", level=1).inner_text()
    expect(page.get_by_text(price, exact=True).first).to_be_visible()


# (market, language, a price on its home, a translated word on it)
MARKET_LANGUAGES = [
    ("cn", "zh-hans", "¥1,999.00", "精选"),
    ("cn", "en", "¥1,999.00", "Featured"),
    ("cn", "hi", "¥1,999.00", "ख़ास उत्पाद"),
    ("cn", "de", "1.999,00 ¥", "Empfohlen"),
    ("in", "hi", "₹1,24,999.00", "ख़ास उत्पाद"),
    ("in", "en", "₹1,24,999.00", "Featured"),
    ("in", "zh-hans", "₹124,999.00", "精选"),
    ("in", "de", "124.999,00 ₹", "Empfohlen"),
    ("de", "de", "1.234,56 €", "Empfohlen"),
    ("de", "en", "1.234,56 €", "Featured"),
    ("de", "hi", "€1,234.56", "ख़ास उत्पाद"),
    ("de", "zh-hans", "€1,234.56", "精选"),
]


@pytest.mark.parametrize(("market", "language", "price", "word"), MARKET_LANGUAGES)
def test_each_market_in_each_language(open_page, shop, market, language, price, word):
    page = open_page("desktop", language=language)
    page.goto(f"/shop/{market}/")
    assert page.locator("html").get_attribute("lang") == language
    expect(page.get_by_role("heading", name=word)).to_be_visible()
    expect(page.get_by_text(price, exact=True).first).to_be_visible()


def open_locale_picker(page) -> None:
    """Taps the globe in the header (a <details> disclosure, so it opens without JavaScript too)."""
    page.get_by_role("banner").locator("summary").click()


@pytest.mark.parametrize("javascript", [True, False], ids=["js", "no-js"])
def test_switching_language_then_market(open_page, shop, javascript):
    page = open_page("mobile", javascript=javascript)
    page.goto("/shop/cn/")
    expect(page.get_by_role("heading", name="精选")).to_be_visible()
    open_locale_picker(page)
    page.get_by_role("button", name="English").click()
    page.wait_for_load_state()
    assert page.url.endswith("/shop/cn/")
    expect(page.get_by_role("heading", name="Featured")).to_be_visible()
    open_locale_picker(page)
    page.get_by_role("navigation", name="Market").get_by_role("link", name=re.compile("India")).click()
    page.wait_for_load_state()
    assert page.url.endswith("/shop/in/")
    expect(page.get_by_role("heading", name="Featured")).to_be_visible()  # the chosen language stays
    expect(page.get_by_text("₹1,24,999.00", exact=True)).to_be_visible()
    page.goto("/account/login/")  # a page without a market in its URL keeps the visitor's
    expect(page.get_by_role("banner").get_by_text("India").first).to_be_visible()


@pytest.mark.parametrize("javascript", [True, False], ids=["js", "no-js"])
def test_category_tiles_open_the_category(open_page, shop, javascript):
    page = open_page("desktop", language="en", javascript=javascript)
    page.goto("/shop/in/")
    products = page.get_by_role("region", name="Featured")
    expect(products.get_by_role("heading", name="Mi Band 3")).to_be_visible()
    page.get_by_role("link", name="Laptop").click()
    page.wait_for_url("**/shop/in/category/laptop/")
    expect(page.get_by_role("heading", level=1, name="Laptop")).to_be_visible()
    expect(page.get_by_role("heading", name="Mi Notebook Pro")).to_be_visible()
    expect(page.get_by_role("heading", name="Mi Band 3")).to_have_count(0)


def test_staff_land_on_the_pages_their_roles_may_use(open_page, shop, make_user):
    make_user("ops", staff=True)
    page = open_page("desktop", language="en")
    sign_in(page, "ops")
    assert page.url.endswith("/staff/")
    links = page.get_by_role("main").get_by_role("link")
    expect(links.get_by_text("Back office")).to_be_visible()
    expect(links.get_by_text("Store dashboard")).to_be_visible()
    expect(links.get_by_text("Credit monitoring")).to_be_visible()
    expect(
        page.get_by_role("navigation", name="Main menu").get_by_role("link", name="Back office")
    ).to_be_visible()
