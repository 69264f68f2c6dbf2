"""The store dashboard in Chromium: staff see every store's bar, the 100M club's mark, the expansion
goals and the openings pipeline; a store manager sees their own store highlighted and only the
ranks of the others. At 360 px in Chinese and on a desktop in English, with axe on each."""

from __future__ import annotations

from datetime import date

import pytest
from playwright.sync_api import expect

from millet.stores.models import ExpansionGoal, PlannedOpening
from tests.browser.conftest import axe, sign_in
from tests.stores.conftest import book, create_markets, create_store, make_person


@pytest.fixture
def network(transactional_db):
    create_markets()
    stores = [
        create_store("SH-001", name="Mi Home Shanghai"),
        create_store("BJ-001", name="Mi Home Beijing"),
        create_store("MU-001", market="IN", name="Mi Home Mumbai"),
    ]
    book("SH-001", 120_000_000_00)
    book("BJ-001", 60_000_000_00)
    book("MU-001", 5_000_000_00, "INR")
    ExpansionGoal.objects.create(
        market_id="CN", target_store_count=5, target_date=date(2999, 12, 31), description="More"
    )
    PlannedOpening.objects.create(
        market_id="CN", city="Chengdu", name="Mi Home Chengdu", target_date=date(2999, 3, 1)
    )
    return stores


@pytest.mark.parametrize(
    ("viewport", "language", "scouting"),
    [("mobile", "zh-hans", "选址中 (1)"), ("desktop", "en", "Scouting (1)")],
)
def test_staff_see_every_bar_the_goals_and_the_pipeline(
    open_page, network, shot, viewport, language, scouting
):
    make_person("ops", is_staff=True)
    page = open_page(viewport, language=language)
    sign_in(page, "ops", "pw-ops")
    page.goto("/stores/dashboard/")
    bars = page.locator(".ranking-chart rect.bar")
    expect(bars).to_have_count(len(network))
    widths = {bar.get_attribute("data-store"): int(bar.get_attribute("width")) for bar in bars.all()}
    assert widths == {"SH-001": 1000, "BJ-001": 500, "MU-001": 1000}  # per mille of each market's best
    for store in network:
        expect(page.locator(".ranking-chart .label", has_text=f"{store.name} ({store.code})")).to_be_visible()
    # The 100M club's mark crosses each of China's bars; India's stores are far below its own.
    expect(page.locator('.ranking-chart[data-market="CN"] line.club-line')).to_have_count(2)
    expect(page.locator('.ranking-chart[data-market="IN"] line.club-line')).to_have_count(0)
    assert page.locator("svg.goal-bar rect.opened").get_attribute("width") == "400"  # 2 of 5, per mille
    stage = page.get_by_role("region", name=scouting)
    expect(stage.get_by_text("Mi Home Chengdu")).to_be_visible()
    assert axe(page) == []
    shot(page, f"store-dashboard-{language}-{viewport}")


def test_a_manager_sees_their_store_and_only_the_others_ranks(open_page, network, shot):
    make_person("wang", store=network[1], role="manager")
    page = open_page("mobile", language="en")
    sign_in(page, "wang", "pw-wang")
    page.goto("/stores/dashboard/")
    expect(page.locator(".ranking-chart rect.bar")).to_have_count(1)
    expect(page.locator(".ranking__row.own", has_text="Mi Home Beijing (BJ-001)")).to_be_visible()
    china = page.get_by_role("list", name="China · CNY")
    expect(china.get_by_text("1. Store ranked #1")).to_be_visible()  # Shanghai, unnamed
    expect(china.get_by_text("2. Mi Home Beijing (BJ-001)")).to_be_visible()
    expect(page.get_by_text("Mi Home Shanghai")).to_have_count(0)
    expect(page.get_by_role("heading", name="Expansion goals")).to_have_count(0)
    assert axe(page) == []
    shot(page, "store-dashboard-manager-mobile")
