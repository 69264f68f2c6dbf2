"""Which 4xx an API request that is not signed in gets: a refused bearer token without the session
cookie is 401 on every route (a script's credential failed), and only a cookie-signed request is
held to CSRF (403 without its token)."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model
from django.test import Client

pytestmark = pytest.mark.django_db

ROUTES = ["/api/sales/orders", "/api/flashsale/campaigns/any-sale/claims", "/api/sales/carts"]


@pytest.mark.parametrize("path", ROUTES)
def test_a_refused_bearer_token_is_401_not_a_csrf_403(path):
    response = Client(enforce_csrf_checks=True).post(
        path, "{}", content_type="application/json", HTTP_AUTHORIZATION="Bearer mlt_revoked-or-made-up"
    )
    assert response.status_code == 401, response.content
    assert response.json()["error"] == "unauthorized"


def test_a_session_request_without_its_csrf_token_is_403():
    client = Client(enforce_csrf_checks=True)
    client.force_login(get_user_model().objects.create_user("csrf-person"))
    response = client.post(ROUTES[0], "{}", content_type="application/json")
    assert response.status_code == 403
