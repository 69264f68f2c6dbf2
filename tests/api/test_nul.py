"""Text with NUL characters is bad input everywhere, not a database error."""

from __future__ import annotations

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
