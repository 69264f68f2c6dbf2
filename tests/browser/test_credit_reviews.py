"""Issue 11: a risk officer's review, in the browser (the journey the issue names)."""

from __future__ import annotations

from playwright.sync_api import expect

from millet.accounts.actor import RISK_OFFICER_GROUP
from millet.accounts.services import add_to_group
from millet.lending.models import Application
from tests.browser.conftest import PASSWORD, axe, sign_in
from tests.finance.lending.conftest import credit, credit_artifact  # noqa: F401, F811 (fixtures)
from tests.finance.lending.test_reviews import referred


def test_a_risk_officer_reviews_in_the_browser(open_page, credit, shot):  # noqa: F811
    application = referred(credit)
    bob = credit.users["bob"]
    bob.set_password(PASSWORD)
    bob.save()
    add_to_group(bob.pk, RISK_OFFICER_GROUP)
    page = open_page("mobile", language="en")
    sign_in(page, "bob")
    page.get_by_role("main").get_by_role("link", name="Credit review queue").click()
    expect(page.get_by_role("heading", name=application.number)).to_be_visible()
    assert axe(page) == []
    shot(page, "credit-reviews-mobile")
    section = page.get_by_role("region", name=application.number)
    section.get_by_label("Reason for the decision").fill("Income too uncertain for 12 months")
    section.get_by_role("button", name="Decline").click()
    expect(page.get_by_text(f"{application.number} declined.")).to_be_visible()
    expect(page.get_by_text("Nothing to review")).to_be_visible()
    assert axe(page) == []
    kept = Application.objects.get(pk=application.pk)
    assert (kept.status, kept.review_note) == ("declined", "Income too uncertain for 12 months")
