"""Model monitoring: PSI and score buckets against training, cohorts, and the risk officers' page."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Group
from django.contrib.messages import get_messages
from django.test import Client
from django.utils import timezone

from millet.accounts.actor import SYSTEM, actor_for_user
from millet.core.errors import Forbidden, NotFound
from millet.lending import services as lending
from millet.lending.models import Application, CreditModel, Loan
from millet.lending.services import monitoring
from tests.finance.lending.conftest import BAD_FORM, DAY0, apply, placed_order

pytestmark = pytest.mark.django_db


def test_report_compares_live_scores_with_training_and_counts_cohorts(credit):
    for form, term in ((None, 6), (None, 3), (BAD_FORM, 12)):
        apply(credit, placed_order(credit), form=form, term=term)
    loan = Loan.objects.first()
    Loan.objects.filter(pk=loan.pk).update(defaulted=True)
    report = monitoring.monitoring_report(SYSTEM)
    assert report.live_applications == 3 and report.psi > 0
    assert report.stability == "not enough applications"  # three applications say nothing yet
    assert sum(b.live_count for b in report.buckets) == 3
    assert abs(sum(b.live_share for b in report.buckets) - 1) < 1e-9
    (cohort,) = report.cohorts
    assert (cohort.applications, cohort.approved, cohort.declined, cohort.loans, cohort.defaulted) == (
        3,
        2,
        1,
        2,
        1,
    )
    assert cohort.default_rate == 0.5
    assert cohort.approval_reading == cohort.default_reading == "not enough applications"
    with pytest.raises(Forbidden):
        monitoring.monitoring_report(actor_for_user(credit.users["alice"]))


def test_an_application_decided_on_an_earlier_day_counts_in_that_months_cohort(credit):
    """``on`` dates the application as well as the loan: a decision recorded today for an earlier
    business day (the demo's months of history) is in that month's cohort, beside its loan."""
    earlier = apply(credit, placed_order(credit), on=DAY0)
    today = apply(credit, placed_order(credit))
    assert timezone.localdate(earlier.created_at) == earlier.loan.disbursed_on == DAY0
    assert timezone.localdate(today.created_at) == today.loan.disbursed_on == timezone.localdate()
    months = [(c.month, c.applications, c.loans) for c in monitoring.monitoring_report(SYSTEM).cohorts]
    assert months == [("2026-01", 1, 1), (timezone.localdate().strftime("%Y-%m"), 1, 1)]


def test_a_new_approved_version_retires_the_old_one(credit, credit_artifact):
    other = {**credit_artifact, "training_scores": credit_artifact["training_scores"][:-1]}
    from millet.lending.credit import artifact_version

    other["version"] = artifact_version(other)
    model = lending.register_model(other)
    assert lending.register_model(other).pk == model.pk  # registering again changes nothing
    lending.approve_model(SYSTEM, model.version)
    assert [m.status for m in lending.list_models(SYSTEM).order_by("pk")] == ["retired", "approved"]
    assert apply(credit, placed_order(credit)).model == model


def test_the_approve_action_speaks_the_admins_language(credit, credit_artifact, admin_client, monkeypatch):
    """The action's messages and a refusal (the service's English detail) were English in a Hindi
    admin: each is said in the admin's language now."""
    other = {**credit_artifact, "training_scores": credit_artifact["training_scores"][:-1]}
    from millet.lending.credit import artifact_version

    other["version"] = artifact_version(other)
    model = lending.register_model(other)
    changelist = "/admin/lending/creditmodel/"
    admin_client.cookies["django_language"] = "hi"

    def said(*models) -> list[str]:
        sent = {"action": "approve", "_selected_action": [m.pk for m in models]}
        return [str(m) for m in get_messages(admin_client.post(changelist, sent, follow=True).wsgi_request)]

    assert said(*CreditModel.objects.all()) == ["ठीक एक संस्करण चुनें।"]

    def deleted_meanwhile(actor, version):
        raise NotFound(f"no model version {version!r}", code="unknown_model")

    with monkeypatch.context() as patched:
        patched.setattr(lending, "approve_model", deleted_meanwhile)
        assert said(model) == ["यह संस्करण अब मौजूद नहीं है।"]
    assert said(model) == [f"{model.version} अब स्वीकृत है।"]


@pytest.mark.django_db(transaction=True)
@pytest.mark.postgres
def test_two_versions_approved_at_once_leave_the_later_approved(world, credit_artifact, require_postgres):
    """Each approval locked only its own version: the second's retiring UPDATE did not see the first's
    uncommitted approval, so its own met the one-approved constraint (IntegrityError, a 500)."""
    from millet.lending.credit import artifact_version
    from tests.concurrency import behind_open_transaction

    other = {**credit_artifact, "training_scores": credit_artifact["training_scores"][:-1]}
    other["version"] = artifact_version(other)
    first, second = (lending.register_model(a) for a in (credit_artifact, other))
    answers = behind_open_transaction(
        lambda: lending.approve_model(SYSTEM, first.version),
        lambda: lending.approve_model(SYSTEM, second.version),
    )
    for answer in answers:
        assert isinstance(answer, CreditModel), repr(answer)
    statuses = dict(lending.list_models(SYSTEM).values_list("version", "status"))
    assert statuses == {first.version: "retired", second.version: "approved"}


def test_the_monitoring_page_draws_for_risk_officers_only(credit):
    apply(credit, placed_order(credit))
    browser = Client()
    browser.force_login(credit.users["alice"])
    assert browser.get("/lending/monitoring/").status_code == 403
    credit.users["bob"].groups.add(Group.objects.create(name="risk_officer"))
    browser.force_login(credit.users["bob"])
    browser.cookies["django_language"] = "en"  # China's market would answer in Chinese
    page = browser.get("/lending/monitoring/")
    assert page.status_code == 200
    assert b"<svg" in page.content and b"PSI" in page.content and b"Cohorts" in page.content


def test_the_monitoring_page_without_an_approved_model_says_so_in_the_officers_language(credit):
    """It read "no credit model is approved; credit is not offered", the API's English, in Chinese."""
    CreditModel.objects.update(status="retired")
    credit.users["bob"].groups.add(Group.objects.create(name="risk_officer"))
    browser = Client()
    browser.force_login(credit.users["bob"])
    page = browser.get("/lending/monitoring/")
    assert page.status_code == 409 and "尚无已批准的信用模型" in page.content.decode()
    assert "credit is not offered" not in page.content.decode()


def test_a_figure_on_too_few_applications_is_never_read_as_shifted(credit):
    """Issue 8: a PSI of 6.7 from 2 applications was shown as "shifted". Below the minimum it says
    "not enough applications"; from the minimum on, the same PSI is read as usual."""
    first = apply(credit, placed_order(credit), form=BAD_FORM, term=12)
    apply(credit, placed_order(credit), form=BAD_FORM, term=12)
    few = monitoring.monitoring_report(SYSTEM)
    assert few.live_applications == 2 and few.psi > monitoring.PSI_SHIFTED
    assert few.stability == "not enough applications" and few.minimum_applications == 100
    copies = monitoring.MIN_APPLICATIONS - 2  # the same applicant again: the shift is real now
    Application.objects.bulk_create(
        Application(**{**_fields(first), "number": f"AP-COPY-{i:04d}"}) for i in range(copies)
    )
    enough = monitoring.monitoring_report(SYSTEM)
    assert enough.live_applications == monitoring.MIN_APPLICATIONS and enough.stability == "shifted"
    (cohort,) = enough.cohorts
    assert cohort.approval_reading == "enough applications"
    assert cohort.default_reading == "not enough applications"  # no loans: nothing to count defaults on
    browser = Client()
    credit.users["bob"].groups.add(Group.objects.create(name="risk_officer"))
    browser.force_login(credit.users["bob"])
    browser.cookies["django_language"] = "en"  # China's market would answer in Chinese
    Application.objects.filter(number__startswith="AP-COPY-").delete()
    page = browser.get("/lending/monitoring/").content.decode()
    assert "not enough applications" in page and "shifted" not in page


def _fields(application: Application) -> dict:
    return {
        field.attname: getattr(application, field.attname)
        for field in Application._meta.concrete_fields
        if not field.primary_key
    }
