"""The dashboard in a real headless Chromium: log in through the admin form, see the chart."""

from __future__ import annotations

import os
from datetime import date

import pytest
from playwright.sync_api import expect, sync_playwright

from millet.stores.models import ExpansionGoal, PlannedOpening
from tests.stores.conftest import book, create_markets, create_store, make_person

# Playwright's sync API runs an event loop in this thread; Django then refuses ORM calls from it
# (the live server's own thread is unaffected). The test only touches the ORM to set up data.
os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"

CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


@pytest.mark.browser
def test_staff_log_in_and_see_the_ranking_chart(live_server, transactional_db):
    create_markets()
    stores = [
        create_store("SH-001", name="Mi Home Shanghai"),
        create_store("BJ-001", name="Mi Home Beijing"),
        create_store("MU-001", market="IN", name="Mi Home Mumbai"),
    ]
    book("SH-001", 120_000_000_00)
    book("BJ-001", 60_000_000_00)
    book("MU-001", 5_000_000_00, "INR")
    make_person("ops", is_staff=True)
    ExpansionGoal.objects.create(
        market_id="CN", target_store_count=5, target_date=date(2999, 12, 31), description="More"
    )
    PlannedOpening.objects.create(
        market_id="CN", city="Chengdu", name="Mi Home Chengdu", target_date=date(2999, 3, 1)
    )

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS)
        try:
            page = browser.new_page()
            page.goto(f"{live_server.url}/admin/login/?next=/stores/dashboard/")
            page.fill("#id_username", "ops")
            page.fill("#id_password", "pw-ops")
            page.click("input[type=submit]")
            page.wait_for_url(f"{live_server.url}/stores/dashboard/")

            bars = page.locator("svg.ranking-chart rect.bar")
            assert bars.count() == len(stores)
            widths = {
                bars.nth(i).get_attribute("data-store"): int(bars.nth(i).get_attribute("width"))
                for i in range(3)
            }
            assert widths["SH-001"] == 2 * widths["BJ-001"] > 0
            expect(bars.first).to_be_visible()
            for store in stores:
                label = page.locator("svg.ranking-chart text.label", has_text=f"{store.name} ({store.code})")
                expect(label).to_be_visible()
            expect(page.locator("svg.ranking-chart line.club-line")).to_have_count(1)
            assert page.locator("svg.goal-bar rect.opened").get_attribute("width") == "168"  # 2 of 5 on 420
            expect(
                page.locator("#pipeline .stage", has_text="Scouting (1)").get_by_text("Mi Home Chengdu")
            ).to_be_visible()
        finally:
            browser.close()
