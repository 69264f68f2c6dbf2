"""Text with NUL characters is bad input everywhere, not a database error."""

from __future__ import annotations

from urllib.parse import urlencode

import pytest

from millet.sales.models import Order

pytestmark = pytest.mark.django_db


def test_nul_in_body_is_400_and_changes_nothing(world):
    body = {"market": "CN", "lines": [{"sku": "MI6-64\x00", "quantity": 1}], "payment_token": "tok_ok"}
    response = world.client("alice").post("/sales/orders", body)
    assert response.status_code == 400
    assert not Order.objects.exists()


@pytest.mark.parametrize("path", ["/api/sales/orders/CN%00X", "/api/catalog/products?market=CN&search=a%00b"])
def test_nul_in_url_is_400(world, path):
    response = world.client("alice").client.get(path, **world.client("alice").headers)
    assert response.status_code == 400
    assert response.json()["error"] == "invalid"


@pytest.mark.parametrize("content", ["form", "multipart"])
def test_nul_in_a_posted_form_is_the_apis_json_400(world, client, content):
    """An upload's form is the API's (``/api/vision/detect``): its NUL refusal has the API's error
    shape, which the fuzzer found answered as plain text."""
    fields = {"note": "a\x00b"}
    if content == "form":
        body = urlencode(fields)
        response = client.post("/api/vision/detect", body, content_type="application/x-www-form-urlencoded")
    else:
        response = client.post("/api/vision/detect", fields)  # the test client's multipart
    assert response.status_code == 400
    assert response["Content-Type"] == "application/json"
    assert response.json()["error"] == "invalid"


@pytest.mark.parametrize(
    ("method", "path", "body"),
    [("post", "/orders/", {"note": "a\x00b"}), ("get", "/shop/cn/search/", {"q": "a\x00b"})],
)
def test_nul_on_a_page_is_the_400_page_in_the_visitors_language(world, client, method, path, body):
    """A page's form or address with a NUL was answered with the API's JSON, in English, to a
    person: now the 400 page, in the language the browser asks for (these middlewares run before
    the locale's)."""
    response = getattr(client, method)(path, body, HTTP_ACCEPT_LANGUAGE="de")
    assert response.status_code == 400
    assert response["Content-Type"].startswith("text/html")
    page = response.content.decode()
    assert 'lang="de"' in page and "Was gesendet wurde, konnten wir nicht lesen" in page and "NUL" in page
