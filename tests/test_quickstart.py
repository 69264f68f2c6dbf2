"""The quick start's own pieces: the landing page and ``millet start`` preparing a database."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.test import Client

pytestmark = pytest.mark.django_db


def test_landing_page_is_the_store_and_links_the_entry_points():
    from millet.regions.services import ensure_default_markets

    ensure_default_markets()
    page = Client().get("/", follow=True)
    assert page.redirect_chain == [("/shop/cn/", 302)] and page.status_code == 200
    for link in (
        b'href="/api/docs"',
        b'href="/admin/"',
        b'href="/stores/dashboard/"',
        b'href="/account/login/"',
    ):
        assert link in page.content


def test_api_docs_load_swagger_from_our_own_static_files():
    page = Client().get("/api/docs").content.decode()
    assert "/static/ninja/swagger-ui-bundle.js" in page
    assert "cdn." not in page  # the docs must work on a machine with no internet


def test_openapi_is_served_and_lists_the_domains():
    schema = Client().get("/api/openapi.json").json()
    paths = schema["paths"]
    for prefix in (
        "/api/catalog/",
        "/api/inventory/",
        "/api/sales/orders",
        "/api/sales/pos/sales",
        "/api/stores/",
    ):
        assert any(path.startswith(prefix) for path in paths), prefix


def test_start_prepares_without_reseeding_and_prints_logins(capsys):
    get_user_model().objects.create_user("someone")  # the database already holds a company
    call_command("start", no_serve=True, port=8123)
    out = capsys.readouterr().out
    assert "Demo data already loaded" in out
    assert out.splitlines()[2].startswith("Millet's store is at http://127.0.0.1:8123/")
    assert "http://127.0.0.1:8123/api/docs" in out
    assert "admin / millet-admin" in out


def test_periodic_jobs_run_and_report(capsys, world):
    from datetime import timedelta

    from django.utils import timezone

    from millet.inventory.models import Reservation
    from millet.sales.models import Order

    number = (
        world.client("alice")
        .post("/sales/orders", {"market": "CN", "lines": [{"sku": "CABLE-C", "quantity": 1}]})
        .json()["number"]
    )
    Reservation.objects.update(expires_at=timezone.now() - timedelta(seconds=1))
    call_command("expire_orders")
    call_command("expire_holds")
    out = capsys.readouterr().out
    assert "expired 1 unpaid orders" in out and "voided 0 expired pending transfers" in out
    assert Order.objects.get(number=number).status == "cancelled"
