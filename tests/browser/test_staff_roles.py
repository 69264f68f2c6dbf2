"""Issue 11: every person at the company signs in at the web store's sign-in, lands on /staff/ with
the links of their own roles only, can open those pages and gets a 403 on the others."""

from __future__ import annotations

from decimal import Decimal

import pytest
from playwright.sync_api import expect

from millet.accounts import services as accounts
from millet.accounts.actor import (
    CLAIMS_HANDLER_GROUP,
    EXECUTIVE_GROUP,
    MERCHANDISER_GROUP,
    RISK_OFFICER_GROUP,
    SUPPLY_PLANNER_GROUP,
    SYSTEM,
)
from millet.lending import services as lending
from millet.stores import services as stores
from tests.browser.conftest import PASSWORD, axe, sign_in
from tests.factories import trained_scorecard

DASHBOARD, MONITORING, BACK_OFFICE = "Store dashboard", "Credit monitoring", "Back office"
REVIEWS, TILL = "Credit review queue", "Till"
ROLE_LINKS = {DASHBOARD, MONITORING, BACK_OFFICE, REVIEWS, TILL}

# username: (its group or store job, the links it sees, pages it may open, pages refused with 403)
PEOPLE = {
    "cashier": ("cashier", {TILL}, ["/till/"], ["/stores/dashboard/", "/lending/monitoring/", "/admin/"]),
    "manager": (
        "manager",
        {DASHBOARD, TILL},
        ["/stores/dashboard/", "/till/"],
        ["/lending/monitoring/", "/admin/"],
    ),
    "planner": (
        SUPPLY_PLANNER_GROUP,
        {BACK_OFFICE},
        ["/admin/inventory/purchaseorder/"],
        ["/stores/dashboard/", "/lending/monitoring/", "/admin/flashsale/campaign/"],
    ),
    "merchandiser": (
        MERCHANDISER_GROUP,
        {BACK_OFFICE},
        ["/admin/flashsale/campaign/", "/admin/sales/voucher/"],
        ["/lending/monitoring/", "/admin/inventory/purchaseorder/"],
    ),
    "risk": (
        RISK_OFFICER_GROUP,
        {MONITORING, REVIEWS},
        ["/lending/monitoring/", "/lending/reviews/"],
        ["/stores/dashboard/", "/admin/"],
    ),
    "claims": (
        CLAIMS_HANDLER_GROUP,
        {BACK_OFFICE},
        ["/admin/insurance/claim/"],
        ["/lending/monitoring/", "/admin/sales/order/"],
    ),
    "executive": (
        EXECUTIVE_GROUP,
        {DASHBOARD, MONITORING},
        ["/stores/dashboard/", "/lending/monitoring/"],
        ["/admin/", "/lending/reviews/"],
    ),
    "staff": (
        "staff",
        {DASHBOARD, MONITORING, BACK_OFFICE, REVIEWS},
        ["/stores/dashboard/", "/lending/monitoring/", "/admin/sales/order/"],
        ["/till/"],  # the till is a store's: staff without a store job have none
    ),
}


@pytest.fixture
def company(shop):
    """A store with its stock location, for the store jobs."""
    stores.open_store(
        code="CN-SH-001",
        name="Mi Home Shanghai 1",
        market="CN",
        city="Shanghai",
        address="1 Nanjing Road",
        latitude=Decimal("31.2304"),
        longitude=Decimal("121.4737"),
        opening_hours={},
        opened_on=None,
        actor=SYSTEM,
    )


@pytest.fixture
def credit_model(transactional_db):
    """An approved credit model, so the monitoring page draws (trained once per process)."""
    model = lending.register_model(trained_scorecard().artifact)
    lending.approve_model(SYSTEM, model.version)


def hire(username: str, role: str) -> None:
    user = accounts.create_user(
        username, password=PASSWORD, email=f"{username}@millet.test", staff=role == "staff"
    )
    if role in ("cashier", "manager"):
        stores.assign_staff("CN-SH-001", user.pk, role, actor=SYSTEM)
    elif role != "staff":
        accounts.add_to_group(user.pk, role)


@pytest.mark.parametrize("username", PEOPLE)
def test_each_role_signs_in_at_the_store_and_sees_only_its_pages(request, open_page, company, shot, username):
    role, links, allowed, refused = PEOPLE[username]
    if "/lending/monitoring/" in allowed:
        request.getfixturevalue("credit_model")
    hire(username, role)
    page = open_page("mobile", language="en")
    sign_in(page, username)
    assert page.url.endswith("/staff/"), page.url
    expect(page.get_by_role("heading", level=1, name="Staff pages")).to_be_visible()
    menu = page.get_by_role("navigation", name="Main menu")
    shown = {name for name in ROLE_LINKS if menu.get_by_role("link", name=name, exact=True).count()}
    assert shown == links
    cards = {name for name in ROLE_LINKS if page.get_by_role("main").get_by_role("link", name=name).count()}
    assert cards == links
    if not links:
        expect(page.get_by_text("No page for your role yet")).to_be_visible()
    assert axe(page) == []
    shot(page, f"staff-{username}-mobile")
    for path in allowed:
        response = page.goto(path)
        assert response.status == 200, path
        if not path.startswith("/admin/"):
            assert axe(page) == [], path
    for path in refused:
        assert page.goto(path).status == 403, path


def test_the_back_office_shows_each_role_only_its_models(open_page, company):
    hire("planner", SUPPLY_PLANNER_GROUP)
    page = open_page("desktop", language="en")
    sign_in(page, "planner")
    page.goto("/admin/")
    main = page.get_by_role("main")
    expect(main.get_by_role("link", name="Purchase orders").first).to_be_visible()
    for other in ("Ledger accounts", "Flash-sale campaigns", "Orders", "Users"):
        expect(main.get_by_role("link", name=other, exact=True)).to_have_count(0)


def test_a_shopper_is_refused_the_staff_pages(open_page, company):
    accounts.create_user("ravi", password=PASSWORD, email="ravi@example.com")
    page = open_page("mobile", language="en")
    sign_in(page, "ravi")
    assert "/account/" in page.url
    for path in ("/staff/", "/admin/", "/stores/dashboard/", "/lending/monitoring/"):
        assert page.goto(path).status == 403, path
