"""The dashboard page: who may open it and what each viewer sees."""

from __future__ import annotations

import re
from datetime import date

import pytest
from django.test import Client

from millet.stores.models import ExpansionGoal, PlannedOpening
from millet.web.bars import SCALE

URL = "/stores/dashboard/"


def page_for(person) -> Client:
    """A signed-in client that reads the page in English (China's market would answer in Chinese)."""
    client = Client()
    client.force_login(person.user)
    client.cookies["django_language"] = "en"
    return client


@pytest.fixture
def busy(network, book_revenue):
    book_revenue("SH-001", 100_000_000_00)
    book_revenue("BJ-001", 40_000_000_00)
    book_revenue("MU-001", 9_000_00, "INR")
    ExpansionGoal.objects.create(
        market_id="CN",
        target_store_count=200,
        target_date=date(2999, 12, 31),
        description="200 more Mi Homes",
    )
    PlannedOpening.objects.create(
        market_id="CN", city="Chengdu", name="Mi Home Chengdu", target_date=date(2999, 3, 1)
    )
    PlannedOpening.objects.create(
        market_id="IN", city="Delhi", name="Mi Home Delhi", stage="signed", target_date=date(2999, 4, 1)
    )
    return network


def test_anonymous_visitors_are_sent_to_log_in(network):
    response = Client().get(URL)
    assert response.status_code == 302
    assert response["Location"].startswith("/account/login/")  # the one sign-in for shoppers and staff


@pytest.mark.parametrize("who", ["customer", "cashier_sh"])
def test_customers_and_cashiers_are_refused(network, who):
    assert page_for(getattr(network, who)).get(URL).status_code == 403


def test_staff_see_every_bar_the_goals_and_the_pipeline(busy):
    html = page_for(busy.staff).get(URL).content.decode()
    bars = re.findall(r'<rect class="bar" data-store="([^"]+)" x="0" y="0" width="(\d+)"', html)
    # The best store of each market fills its track; Beijing earned 40% of Shanghai's revenue.
    full, beijing = str(SCALE), str(round(SCALE * 0.4))
    assert bars == [("SH-001", full), ("BJ-001", beijing), ("MU-001", full)]
    for text in (
        "Mi Home Shanghai",
        "Mi Home Beijing",
        "Mi Home Mumbai",
        '¥100,000,000.00 <span title="100-million club">★</span>',
        "200 more Mi Homes",
        "Mi Home Chengdu",
        "Mi Home Delhi",
        'class="club-line"',
    ):
        assert text in html
    assert "2 opened · 1 planned · target 200" in html


def test_managers_see_their_store_highlighted_and_nobody_elses_figures(busy):
    response = page_for(busy.manager_bj).get(URL)
    assert response.status_code == 200
    html = response.content.decode()
    assert re.findall(r'<rect class="bar" data-store="([^"]+)"', html) == ["BJ-001"]
    assert 'class="ranking__row own"' in html
    assert "Mi Home Beijing" in html
    for secret in ("Mi Home Shanghai", "100,000,000", "Mumbai", "200 more Mi Homes", "Chengdu"):
        assert secret not in html
    assert "Store ranked #1" in html
