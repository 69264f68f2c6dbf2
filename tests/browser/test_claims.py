"""Issue 11 item 6 in the browser: a claims handler reads a claim with its unit's telemetry, approves
it and pays it out from the queue (paid again from another tab, the queue says it is paid); a
customer is refused the queue."""

from __future__ import annotations

from datetime import timedelta

import pytest
from playwright.sync_api import expect

from millet.finance.services import balance
from millet.insurance.models import Claim
from tests.browser.conftest import PASSWORD, axe, sign_in
from tests.finance.insurance.conftest import handler  # noqa: F401 (fixture)
from tests.finance.insurance.test_claim_evidence import INCIDENT, all_risks, phone  # noqa: F401


@pytest.fixture
def world(transactional_db):
    """The test world, committed for the live server; every password is the browser tests' own."""
    from tests.factories import build_world

    built = build_world()
    for user in built.users.values():
        user.set_password(PASSWORD)
        user.save()
    return built


def test_a_claims_handler_decides_and_pays_a_claim(open_page, world, phone, handler, shot):  # noqa: F811
    phone.event("fault", INCIDENT - timedelta(hours=2))
    number = phone.claim("breakdown")["number"]
    page = open_page("mobile", language="en")
    sign_in(page, "bob")
    page.get_by_role("main").get_by_role("link", name="Claims queue").click()
    claim = page.get_by_role("region", name=number)
    expect(claim.get_by_text("Telemetry supports the claim")).to_be_visible()
    expect(claim.get_by_text("fault").first).to_be_visible()
    assert axe(page) == []
    shot(page, "claims-queue-mobile")

    claim.get_by_role("button", name="Reject").click()  # no reason: refused on the form
    expect(page.get_by_text("A rejection needs a reason.")).to_be_visible()
    claim = page.get_by_role("region", name=number)
    claim.get_by_label("Reason for the decision").fill("Fault logged by the unit two hours before")
    claim.get_by_role("button", name="Approve").click()
    expect(page.get_by_text(f"{number} approved: the payout is reserved.")).to_be_visible()
    expect(page.get_by_text("Nothing to decide")).to_be_visible()
    assert axe(page) == []
    shot(page, "claims-to-pay-mobile")

    other_tab = open_page("mobile", language="en")
    sign_in(other_tab, "bob", next_url="/claims/")
    page.get_by_role("region", name=number).get_by_role("button", name="Pay CN¥501.00").click()
    expect(page.get_by_text(f"{number} paid out.")).to_be_visible()
    # The queue left open in another tab pays again: told it is paid, nothing paid twice.
    other_tab.get_by_role("region", name=number).get_by_role("button", name="Pay CN¥501.00").click()
    expect(other_tab.get_by_text("This claim has already been paid.")).to_be_visible()
    assert axe(other_tab) == []
    shot(other_tab, "claims-paid-again-mobile")
    kept = Claim.objects.get(number=number)
    assert (kept.status, kept.payout) == ("paid", 501)
    reserve = balance("insurance:claims-reserve:CN:CNY")
    assert reserve.credits_posted == reserve.debits_posted == 501_00  # reserved, then paid out

    customer = open_page("mobile", language="en", javascript=False)
    sign_in(customer, "alice")
    assert customer.goto("/claims/").status == 403
