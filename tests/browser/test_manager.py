"""Issue 11 item 3 in the browser: a store manager asks the warehouse for stock, a supply planner
approves it as a transfer, and the manager receives it by scanning each unit; a manager cannot
approve their own request, nor open another store's page. A period asked backwards is refused on
its form in the service's words."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from millet.accounts.actor import SUPPLY_PLANNER_GROUP
from millet.accounts.services import add_to_group
from millet.inventory.models import StockRequest
from tests.browser.conftest import PASSWORD, axe, sign_in


@pytest.fixture
def world(transactional_db):
    """The test world (markets, stock in CN warehouses and stores), committed for the live server."""
    from tests.factories import build_world

    return build_world()


@pytest.fixture
def people(world):
    """manager_sh runs SH-001; bob is a supply planner; every password is the browser tests' own."""
    for user in world.users.values():
        user.set_password(PASSWORD)
        user.save()
    add_to_group(world.users["bob"].pk, SUPPLY_PLANNER_GROUP)
    return world


def test_a_request_through_the_planners_approval_to_receipt_by_scanning(open_page, people, shot):
    manager = open_page("mobile", language="en")
    sign_in(manager, "manager_sh")
    manager.get_by_role("main").get_by_role("link", name="My store").click()
    expect(manager.get_by_role("heading", level=1, name="Mi Home Shanghai")).to_be_visible()
    stock = manager.get_by_role("table", name="Stock by SKU")
    expect(stock.get_by_role("row", name="MI6-64")).to_be_visible()
    expect(manager.get_by_role("region", name="Staff").get_by_text("cashier_sh")).to_be_visible()
    expect(manager.get_by_role("link", name="Store dashboard").first).to_be_visible()
    assert axe(manager) == []
    shot(manager, "manager-store-mobile")

    standing = manager.get_by_role("region", name="Revenue and rank")
    standing.get_by_label("From").fill("2026-03-01")
    standing.get_by_label("To").fill("2026-02-01")  # backwards: the service's own refusal, worded
    standing.get_by_role("button", name="Show").click()
    expect(standing.get_by_text("The last day comes on or after the first.")).to_be_visible()
    expect(standing.get_by_label("To")).to_have_attribute("aria-invalid", "true")
    expect(standing.get_by_text("it does not trade")).to_have_count(0)
    assert axe(manager) == []
    shot(manager, "manager-period-refused-mobile")
    manager.goto("/stores/SH-001/")

    form = manager.get_by_role("region", name="Ask the warehouse for stock")
    form.get_by_label("SKU code").fill("MI6-64")
    form.get_by_label("Quantity").fill("2")
    form.get_by_role("button", name="Send request").click()
    asked = StockRequest.objects.get()
    expect(manager.get_by_text(f"Stock request {asked} sent to the supply planners.")).to_be_visible()
    assert manager.goto("/stores/BJ-001/").status == 404  # another store's page

    planner = open_page("desktop", language="en")
    sign_in(planner, "bob")
    planner.get_by_role("main").get_by_role("link", name="Stock requests to approve").click()
    request = planner.get_by_role("region", name=str(asked))
    expect(request.get_by_text("manager_sh")).to_be_visible()
    assert axe(planner) == []
    shot(planner, "planner-requests-desktop")
    request.get_by_label("Ship from warehouse").select_option("WH-CN-SH")
    request.get_by_role("button", name="Approve as a transfer").click()
    asked.refresh_from_db()
    expect(
        planner.get_by_text(f"{asked} approved: transfer TR-{asked.transfer_id} is on its way.")
    ).to_be_visible()
    expect(planner.get_by_text("Nothing to approve")).to_be_visible()

    manager.goto("/stores/SH-001/")
    manager.get_by_role("link", name=f"Receive TR-{asked.transfer_id}").click()
    scan = manager.get_by_label("Serial or SKU code")
    expect(scan).to_be_focused()  # ready for the scanner, without a click
    for done, serial in enumerate(asked.transfer.serials, start=1):
        manager.keyboard.type(serial)
        manager.keyboard.press("Enter")
        expect(manager.get_by_text(f"{done} of 2 units scanned")).to_be_visible()
        expect(scan).to_be_focused()
    scan.fill("CABLE-C")
    scan.press("Enter")
    expect(manager.get_by_role("alert").get_by_text("CABLE-C is not in this transfer.")).to_be_visible()
    expect(manager.get_by_text("2 of 2 units scanned")).to_be_visible()
    assert axe(manager) == []
    shot(manager, "manager-receive-mobile")
    manager.get_by_role("button", name="Receive transfer").click()
    expect(manager.get_by_text(f"TR-{asked.transfer_id} received.")).to_be_visible()
    expect(stock.get_by_role("row", name="MI6-64").get_by_text("5", exact=True).first).to_be_visible()
    expect(manager.get_by_role("region", name="Stock requests").get_by_text("Received")).to_be_visible()


def test_a_manager_cannot_approve_their_own_request(open_page, people, shot):
    """manager_sh is a supply planner too: the page offers the request, the service refuses it
    (with JavaScript off: every form here is a plain form)."""
    add_to_group(people.users["manager_sh"].pk, SUPPLY_PLANNER_GROUP)
    page = open_page("desktop", language="en", javascript=False)
    sign_in(page, "manager_sh")
    page.goto("/stores/SH-001/")
    form = page.get_by_role("region", name="Ask the warehouse for stock")
    form.get_by_label("SKU code").fill("CABLE-C")
    form.get_by_label("Quantity").fill("10")
    form.get_by_role("button", name="Send request").click()
    page.goto("/stock/requests/")
    asked = StockRequest.objects.get()
    request = page.get_by_role("region", name=str(asked))
    expect(request.get_by_text("You sent this request: another planner decides it.")).to_be_visible()
    request.get_by_role("button", name="Approve as a transfer").click()
    expect(page.get_by_text("You cannot approve or reject your own stock request")).to_be_visible()
    shot(page, "planner-own-request-desktop")
    asked.refresh_from_db()
    assert (asked.status, asked.transfer_id) == ("pending", None)
    assert page.goto("/stores/BJ-001/").status == 404
    assert page.goto("/stores/BJ-001/receive/1/").status == 404
