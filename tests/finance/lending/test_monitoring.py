"""Model monitoring: PSI and score buckets against training, cohorts, and the risk officers' page."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Group
from django.test import Client

from millet.accounts.actor import SYSTEM, actor_for_user
from millet.core.errors import Forbidden
from millet.lending import services as lending
from millet.lending.models import Loan
from millet.lending.services import monitoring
from tests.finance.lending.conftest import BAD_FORM, apply, placed_order

pytestmark = pytest.mark.django_db


def test_report_compares_live_scores_with_training_and_counts_cohorts(credit):
    for form, term in ((None, 6), (None, 3), (BAD_FORM, 12)):
        apply(credit, placed_order(credit), form=form, term=term)
    loan = Loan.objects.first()
    Loan.objects.filter(pk=loan.pk).update(defaulted=True)
    report = monitoring.monitoring_report(SYSTEM)
    assert (
        report.live_applications == 3
        and report.psi > 0
        and report.stability in ("stable", "drifting", "shifted")
    )
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
    with pytest.raises(Forbidden):
        monitoring.monitoring_report(actor_for_user(credit.users["alice"]))


def test_a_new_approved_version_retires_the_old_one(credit, credit_artifact):
    other = {**credit_artifact, "training_scores": credit_artifact["training_scores"][:-1]}
    from millet.lending.credit import artifact_version

    other["version"] = artifact_version(other)
    model = lending.register_model(other)
    assert lending.register_model(other).pk == model.pk  # registering again changes nothing
    lending.approve_model(SYSTEM, model.version)
    assert [m.status for m in lending.list_models(SYSTEM).order_by("pk")] == ["retired", "approved"]
    assert apply(credit, placed_order(credit)).model == model


def test_the_monitoring_page_draws_for_risk_officers_only(credit):
    apply(credit, placed_order(credit))
    browser = Client()
    browser.force_login(credit.users["alice"])
    assert browser.get("/lending/monitoring/").status_code == 403
    credit.users["bob"].groups.add(Group.objects.create(name="risk_officer"))
    browser.force_login(credit.users["bob"])
    page = browser.get("/lending/monitoring/")
    assert page.status_code == 200
    assert b"<svg" in page.content and b"PSI" in page.content and b"Cohorts" in page.content
