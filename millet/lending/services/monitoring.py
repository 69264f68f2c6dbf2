"""Model monitoring for risk officers: is the live population the one the model was trained on, and
how do the decisions turn out?

- score distribution of live applications against the training scores, bucketed on the training
  deciles, and their population stability index (C's ``population_stability``);
- per cohort (month of application): applications, approval rate, loans, and default rate, where a
  default is a loan that ever went 90+ days past due or was charged off.

A figure resting on too few applications says so instead of a reading: with fewer than
``MIN_APPLICATIONS`` live applications the PSI is shown as "not enough applications", never as
"shifted" (a PSI of 6.7 from 2 applications is noise: with 10 buckets most are empty), and a cohort's
approval rate (or default rate, counted on loans) from fewer is marked the same way. 100 puts about
10 applications in each of the 10 training deciles, the least at which a bucket's share means
anything (twice the 5 expected per cell that chi-square tests ask for).
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Count, Q
from django.db.models.functions import TruncMonth

from millet.accounts.actor import Actor
from millet.core.errors import Forbidden, NotFound
from millet.lending.credit.monitoring import population_stability, score_distribution
from millet.lending.models import Application, CreditModel, Loan
from millet.lending.services.registry import approved_model, scorecard_for

BINS = 10
PSI_WATCH, PSI_SHIFTED = 0.1, 0.25  # the customary reading of PSI
MIN_APPLICATIONS = 100  # see the module docstring
NOT_ENOUGH = "not enough applications"
ENOUGH = "enough applications"


@dataclass(frozen=True)
class ScoreBucket:
    lower: float | None
    upper: float | None
    training_share: float
    live_share: float
    live_count: int


@dataclass(frozen=True)
class Cohort:
    month: str
    applications: int
    approved: int
    declined: int
    referred: int
    approval_rate: float
    loans: int
    defaulted: int
    default_rate: float | None
    approval_reading: str  # "enough applications" or "not enough applications" (< MIN_APPLICATIONS)
    default_reading: str  # the same, counted on the cohort's loans


@dataclass(frozen=True)
class MonitoringReport:
    version: str
    metrics: dict
    live_applications: int
    minimum_applications: int
    psi: float | None
    stability: str  # stable, drifting, shifted; or "not enough applications" below the minimum
    buckets: list[ScoreBucket]
    cohorts: list[Cohort]


def _stability(psi: float | None, applications: int) -> str:
    if psi is None:
        return "no live applications yet"
    if applications < MIN_APPLICATIONS:
        return NOT_ENOUGH
    if psi < PSI_WATCH:
        return "stable"
    return "drifting" if psi < PSI_SHIFTED else "shifted"


def monitoring_report(actor: Actor, *, version: str = "") -> MonitoringReport:
    """The approved model by default, or any registered ``version`` (risk officers, executives and
    staff; ``Forbidden`` otherwise)."""
    if not (actor.is_risk_officer or actor.is_executive):
        raise Forbidden("risk officers and executives only")
    if version:
        model = CreditModel.objects.filter(version=version).first()
        if model is None:
            raise NotFound(f"no model version {version!r}", code="unknown_model")
    else:
        model = approved_model()
    training = [float(s) for s in scorecard_for(model).training_scores]
    live = [float(p) for p in Application.objects.filter(model=model).values_list("points", flat=True)]
    edges = [b.upper for b in score_distribution(training, BINS)[:-1]]
    train_buckets = score_distribution(training, edges)
    live_buckets = score_distribution(live, edges) if live else None
    buckets = [
        ScoreBucket(
            lower=t.lower,
            upper=t.upper,
            training_share=t.share,
            live_share=live_buckets[i].share if live_buckets else 0.0,
            live_count=live_buckets[i].count if live_buckets else 0,
        )
        for i, t in enumerate(train_buckets)
    ]
    psi = population_stability(training, live, BINS) if live else None
    return MonitoringReport(
        version=model.version,
        metrics=model.metrics,
        live_applications=len(live),
        minimum_applications=MIN_APPLICATIONS,
        psi=psi,
        stability=_stability(psi, len(live)),
        buckets=buckets,
        cohorts=cohorts(model),
    )


def _reading(count: int) -> str:
    return ENOUGH if count >= MIN_APPLICATIONS else NOT_ENOUGH


def cohorts(model: CreditModel | None = None) -> list[Cohort]:
    """Approval and default rates by month of application (all models unless one is given)."""
    apps = Application.objects.all() if model is None else Application.objects.filter(model=model)
    rows = (
        apps.annotate(month=TruncMonth("created_at"))
        .values("month")
        .annotate(
            total=Count("pk"),
            approved=Count("pk", filter=Q(status=Application.Status.APPROVED)),
            declined=Count("pk", filter=Q(status=Application.Status.DECLINED)),
            referred=Count("pk", filter=Q(status=Application.Status.REFERRED)),
            loans=Count("loan", filter=~Q(loan__status=Loan.Status.CANCELLED)),
            defaulted=Count(
                "loan",
                filter=~Q(loan__status=Loan.Status.CANCELLED)
                & (Q(loan__defaulted=True) | Q(loan__status=Loan.Status.CHARGED_OFF)),
            ),
        )
        .order_by("month")
    )
    return [
        Cohort(
            month=row["month"].strftime("%Y-%m"),
            applications=row["total"],
            approved=row["approved"],
            declined=row["declined"],
            referred=row["referred"],
            approval_rate=row["approved"] / row["total"],
            loans=row["loans"],
            defaulted=row["defaulted"],
            default_rate=row["defaulted"] / row["loans"] if row["loans"] else None,
            approval_reading=_reading(row["total"]),
            default_reading=_reading(row["loans"]),
        )
        for row in rows
    ]
