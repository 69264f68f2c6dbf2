"""Issue 11 item 5: the risk officer's review queue, a page: referred applications with their
features, score, reason codes and model version, approved or declined with a written reason kept
for audit; nobody else opens it."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.test import Client

from millet.accounts.actor import RISK_OFFICER_GROUP, actor_for_user
from millet.accounts.services import add_to_group
from millet.lending.models import Application, Loan, LoanProduct
from millet.lending.schedule import interest_on
from millet.lending.services import review_application
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
    assert "<dd>18%</dd>" in html  # the rate offered, which the loan will keep
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


@pytest.mark.django_db
def test_a_referral_approved_after_the_product_changed_is_lent_on_the_terms_applied_for(credit):
    """The credit agreement is the one applied for (Directive 2008/48/EC art. 5 and 10): the loan
    took the product's rate and late-payment terms as they were at approval."""
    application = referred(credit)
    offered = (
        application.apr,
        application.late_fee_minor,
        application.grace_days,
        application.charge_off_days,
    )
    product = LoanProduct.objects.filter(pk=application.product_id)
    product.update(apr=Decimal("0.3500"), late_fee=Decimal("99.00"), grace_days=1, charge_off_days=60)
    officer(credit)
    review_application(actor_for_user(credit.users["bob"]), application.number, approve=True, reason="ok")
    loan = Loan.objects.get(application=application)
    assert (loan.apr, loan.late_fee_minor, loan.grace_days, loan.charge_off_days) == offered
    assert offered[0] != Decimal("0.3500") and offered[1] != 9900
    first = loan.installments.order_by("seq").first()
    assert first.interest_due_minor == interest_on(loan.principal_minor, offered[0])


@pytest.mark.django_db(transaction=True)  # migrations run outside a test's transaction
def test_migration_0009_gives_each_application_the_terms_it_was_lent_on_or_else_its_products(credit, migrate):
    waiting = referred(credit)  # first: a loan of the same buyer's would weigh in the next decision
    lent = apply(credit, placed_order(credit))
    assert lent.status == "approved" and waiting.status == "referred"
    Loan.objects.filter(application=lent).update(apr=Decimal("0.0999"), late_fee_minor=123, grace_days=3)
    migrate(("lending", "0008_loan_terms"))
    migrate(("lending", "0009_application_terms"))
    product = LoanProduct.objects.get(pk=waiting.product_id)
    kept = {
        a.pk: (a.apr, a.late_fee_minor, a.grace_days, a.charge_off_days)
        for a in Application.objects.filter(pk__in=[lent.pk, waiting.pk])
    }
    loan = Loan.objects.get(application=lent)
    assert kept[lent.pk] == (Decimal("0.0999"), 123, 3, loan.charge_off_days)
    assert kept[waiting.pk] == (
        product.apr,
        int(product.late_fee * 100),
        product.grace_days,
        product.charge_off_days,
    )
