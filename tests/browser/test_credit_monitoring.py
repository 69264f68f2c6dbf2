"""The credit monitoring page in Chromium, in the site's layout: the model's stability reading, the
score distribution as one row per decile, and the month's cohort, at 360 px in Hindi and on a
desktop in German, with axe on each and nothing wider than the screen."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from millet.accounts.actor import RISK_OFFICER_GROUP
from millet.accounts.services import add_to_group
from tests.browser.conftest import PASSWORD, axe, sign_in
from tests.finance.lending.conftest import (  # noqa: F401, F811 (credit and credit_artifact: fixtures)
    BORDERLINE_FORM,
    apply,
    credit,
    credit_artifact,
    placed_order,
)

# (viewport, language, the page's heading, the distribution's heading, "not enough applications")
PAGES = [
    ("mobile", "hi", "क्रेडिट मॉडल निगरानी", "स्कोर वितरण", "पर्याप्त आवेदन नहीं"),
    ("desktop", "de", "Überwachung des Kreditmodells", "Verteilung der Scores", "nicht genug Anträge"),
]


@pytest.mark.parametrize(("viewport", "language", "title", "distribution", "too_few"), PAGES)
def test_a_risk_officer_reads_the_model_in_their_language(
    open_page,
    credit,  # noqa: F811 (the fixture)
    shot,
    viewport,
    language,
    title,
    distribution,
    too_few,
):
    apply(credit, placed_order(credit))
    apply(credit, placed_order(credit), form=BORDERLINE_FORM, term=12)
    bob = credit.users["bob"]
    bob.set_password(PASSWORD)
    bob.save()
    add_to_group(bob.pk, RISK_OFFICER_GROUP)
    page = open_page(viewport, language=language)
    sign_in(page, "bob")
    page.goto("/lending/monitoring/")
    expect(page.get_by_role("heading", name=title, level=1)).to_be_visible()
    expect(page.get_by_role("list", name=distribution).get_by_role("listitem")).to_have_count(10)
    expect(page.get_by_text(too_few).first).to_be_visible()  # two applications read nothing yet
    expect(page.locator("table tbody tr")).to_have_count(1)  # this month's cohort
    assert axe(page) == []
    shot(page, f"credit-monitoring-{language}-{viewport}")
