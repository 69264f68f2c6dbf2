"""Issue 11 item 5: the risk officer's review queue, a page: referred applications with their
features, score, reason codes and model version, approved or declined with a written reason kept
for audit; nobody else opens it."""

from __future__ import annotations

import pytest
from django.test import Client

from millet.accounts.actor import RISK_OFFICER_GROUP
from millet.accounts.services import add_to_group
from millet.lending.models import Application, Loan
from millet.sales.models import Order
from tests.finance.lending.conftest import BORDERLINE_FORM, apply, placed_order


def referred(credit) -> Application:
    application = apply(credit, placed_order(credit), form=BORDERLINE_FORM, term=12)
    assert application.status == "referred"
    return application


def officer(credit) -> Client:
    add_to_group(credit.users["bob"].pk, RISK_OFFICER_GROUP)
    browser = Client()
    browser.force_login(credit.users["bob"])
    return browser


@pytest.mark.django_db
def test_the_queue_shows_what_the_model_saw_and_why(credit):
    application = referred(credit)
    page = officer(credit).get("/lending/reviews/")
    assert page.status_code == 200
    html = page.content.decode()
    assert (
        application.number in html and application.model.version in html and str(application.points) in html
    )
    assert all(reason["code"] in html for reason in application.reasons) and application.reasons
    assert all(name in html for name in application.features)
    for who in ("alice", "staff"):  # a customer is refused; staff are risk officers too
        browser = Client()
        browser.force_login(credit.users[who])
        assert browser.get("/lending/reviews/").status_code == (403 if who == "alice" else 200)


@pytest.mark.django_db
def test_a_decision_needs_a_written_reason_and_is_kept(credit):
    application = referred(credit)
    browser = officer(credit)
    url = f"/lending/reviews/{application.number}/"
    blank = browser.post(url, {"decision": "approve", "reason": "   "})
    assert blank.status_code == 422
    assert Application.objects.get(pk=application.pk).status == "referred" and not Loan.objects.exists()
    done = browser.post(url, {"decision": "approve", "reason": "Long-time customer, small amount"})
    assert done.status_code == 302 and done["Location"] == "/lending/reviews/"
    kept = Application.objects.get(pk=application.pk)
    assert (kept.status, kept.review_note, kept.reviewed_by) == (
        "approved",
        "Long-time customer, small amount",
        credit.users["bob"],
    )
    assert Order.objects.get(number=application.order_number).status == "paid"
    again = browser.post(url, {"decision": "decline", "reason": "changed my mind"})
    # The page is in the market's language; it said "application is approved, not referred", in English.
    assert again.status_code == 409 and "此申请已有决定" in again.content.decode()
    browser.cookies["django_language"] = "hi"
    again = browser.post(url, {"decision": "decline", "reason": "changed my mind"})
    assert again.status_code == 409 and "यह आवेदन पहले ही तय हो चुका है" in again.content.decode()
    assert "not referred" not in again.content.decode()
    assert (
        browser.post("/lending/reviews/AP-NOPE/", {"decision": "decline", "reason": "x"}).status_code == 404
    )
    customer = Client()
    customer.force_login(credit.users["alice"])
    assert customer.post(url, {"decision": "decline", "reason": "x"}).status_code == 403
