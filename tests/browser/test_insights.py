"""The executive page in Chromium: goal cards with pace and sparkline, the drill-down, in English
and German, at 360 px and on a desktop, with no serious axe violation."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from tests.browser.conftest import axe, sign_in


@pytest.fixture
def figures(shop, make_user):
    from millet.accounts.actor import EXECUTIVE_GROUP, SYSTEM
    from millet.accounts.services import add_to_group
    from millet.insights import services as insights
    from millet.regions.services import define_currency
    from millet.stores.services import open_store
    from tests.insights.conftest import book

    define_currency("USD", "US dollar", symbol="$")
    today = timezone.now().date()
    hours = {day: ["10:00", "22:00"] for day in ("mon", "tue", "wed", "thu", "fri", "sat", "sun")}
    for code, market, city in (("CN-SH-001", "CN", "Shanghai"), ("IN-BLR-001", "IN", "Bengaluru")):
        open_store(
            actor=SYSTEM, code=code, name=f"Mi Home {city}", market=market, city=city, address="1 Main Road",
            latitude=Decimal("31.2"), longitude=Decimal("121.4"), opening_hours=hours,
            opened_on=today - timedelta(days=20),
        )  # fmt: skip
    insights.set_rate(
        actor=SYSTEM, currency="INR", valid_from=today - timedelta(days=60), rate=Decimal("0.1021")
    )
    insights.set_rate(
        actor=SYSTEM, currency="USD", valid_from=today - timedelta(days=60), rate=Decimal("6.937")
    )
    executive = make_user("lei")
    add_to_group(executive.pk, EXECUTIVE_GROUP)
    span = {
        "starts_on": today - timedelta(days=30),
        "due_on": today + timedelta(days=30),
        "owner_id": executive.pk,
    }
    insights.create_goal(
        actor=SYSTEM, title="India past US$1 million", metric="revenue", scope_kind="market",
        scope_value="IN", target=Decimal("1000000"), currency="USD", **span,
    )  # fmt: skip
    insights.create_goal(actor=SYSTEM, title="Two stores", metric="stores_open", target=Decimal(2), **span)
    book("revenue:store:IN-BLR-001:INR", 40_000_000_00, "INR")
    book("revenue:store:CN-SH-001:CNY", 250_000_00, "CNY")
    book("revenue:web:CN:CNY", 90_000_00, "CNY")
    insights.catch_up()


@pytest.mark.parametrize(("viewport", "language"), [("mobile", "en"), ("desktop", "de")])
def test_the_executive_sees_each_goal_and_drills_down(open_page, figures, shot, viewport, language):
    page = open_page(viewport, language=language)
    sign_in(page, "lei", next_url="/insights/")
    page.goto("/insights/")
    shot(page, f"insights-{language}-{viewport}")
    heading = {"en": "Company goals", "de": "Unternehmensziele"}[language]
    expect(page.get_by_role("heading", name=heading, level=1)).to_be_visible()
    india = page.get_by_role("article", name="India past US$1 million")
    expect(india.get_by_text({"en": "$588,727.12", "de": "588.727,12 $"}[language])).to_be_visible()
    expect(india.get_by_role("img")).to_have_count(1)  # the sparkline, with its text alternative
    behind = {"en": "Behind", "de": "Im Rückstand"}[language]
    ahead = {"en": "Ahead", "de": "Voraus"}[language]
    expect(india.get_by_text(ahead, exact=True).or_(india.get_by_text(behind, exact=True))).to_be_visible()
    stores = page.get_by_role("article", name="Two stores")
    expect(stores.get_by_text({"en": "Target reached.", "de": "Ziel erreicht."}[language])).to_be_visible()
    expect(stores.get_by_text({"en": "Reached", "de": "Erreicht"}[language], exact=True)).to_be_visible()
    assert axe(page) == []

    page.get_by_label({"en": "By", "de": "Nach"}[language]).select_option("channel")
    page.get_by_role("button", name={"en": "Show", "de": "Anzeigen"}[language]).click()
    table = page.get_by_role("table")
    web = {"en": "Web store", "de": "Webshop"}[language]
    expect(table.get_by_role("row", name=web)).to_be_visible()
    assert axe(page) == []


def test_a_cashier_is_refused(open_page, figures, make_user):
    make_user("till")
    page = open_page("mobile")
    sign_in(page, "till")
    assert page.goto("/insights/").status == 403
