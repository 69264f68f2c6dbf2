"""Markets in the URL, the landing redirect, the language switcher and the staff landing page."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model
from django.test import Client

from millet.regions.services import ensure_default_markets

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def markets():
    ensure_default_markets()


@pytest.mark.parametrize(
    ("accept_language", "cookie", "home"),
    [
        ("hi", None, "/shop/in/"),
        ("en-IN,en;q=0.8", None, "/shop/in/"),
        ("de-AT,de;q=0.9", None, "/shop/de/"),
        ("zh-Hans-CN", None, "/shop/cn/"),
        ("fr-FR,en;q=0.5", None, "/shop/cn/"),  # nothing points to a market: the default
        ("", None, "/shop/cn/"),
        ("hi", "DE", "/shop/de/"),  # a market chosen before wins over the browser's languages
        ("hi", "XX", "/shop/in/"),  # a forged cookie is ignored
    ],
)
def test_landing_redirects_to_the_visitors_market(accept_language, cookie, home):
    client = Client(HTTP_ACCEPT_LANGUAGE=accept_language)
    if cookie:
        client.cookies["millet_market"] = cookie
    response = client.get("/")
    assert response.status_code == 302 and response["Location"] == home
    assert "Accept-Language" in response["Vary"] and "Cookie" in response["Vary"]


def test_a_market_home_is_in_its_first_language_and_remembered():
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    page = client.get("/shop/de/")
    assert page.status_code == 200 and page["Content-Language"] == "de"
    assert page.cookies["millet_market"].value == "DE"
    assert client.get("/account/login/")["Content-Language"] == "de"  # the market follows the visitor
    client.cookies["django_language"] = "en"
    assert client.get("/shop/de/")["Content-Language"] == "en"  # a chosen language wins


def test_an_unknown_market_is_a_404_page_in_the_layout():
    page = Client().get("/shop/xx/")
    assert page.status_code == 404
    assert b'href="/shop/cn/"' in page.content  # the layout's way back to the store


def test_the_api_keeps_answering_in_the_language_asked():
    response = Client().get("/api/health", HTTP_ACCEPT_LANGUAGE="de")
    assert "millet_market" not in response.cookies


@pytest.mark.parametrize("target", ["https://evil.example/", "//evil.example/x", "/shop/in/"])
def test_the_language_switcher_never_redirects_off_the_site(target):
    client = Client(enforce_csrf_checks=True)
    page = client.get("/shop/cn/")
    token = page.cookies["csrftoken"].value
    response = client.post("/i18n/setlang/", {"language": "hi", "next": target, "csrfmiddlewaretoken": token})
    assert response.status_code == 302
    assert response["Location"] == (target if target.startswith("/shop/") else "/")
    assert response.cookies["django_language"].value == "hi"


def test_the_language_switcher_needs_csrf():
    client = Client(enforce_csrf_checks=True)
    assert client.post("/i18n/setlang/", {"language": "hi", "next": "/"}).status_code == 403


def test_staff_landing_is_for_people_who_work_here():
    client = Client()
    assert client.get("/staff/")["Location"].startswith("/account/login/")
    shopper = get_user_model().objects.create_user("shopper", password="pw")
    client.force_login(shopper)
    assert client.get("/staff/").status_code == 403
    staff = get_user_model().objects.create_user("ops", password="pw", is_staff=True)
    client.force_login(staff)
    page = client.get("/staff/").content.decode()
    assert 'href="/admin/"' in page and 'href="/stores/dashboard/"' in page


def test_every_page_links_the_staff_and_developer_pages_in_its_footer():
    page = Client().get("/shop/cn/").content.decode()
    footer = page[page.index("<footer") :]
    for href in (
        'href="/admin/"',
        'href="/api/docs"',
        'href="/stores/dashboard/"',
        'href="/lending/monitoring/"',
    ):
        assert href in footer
