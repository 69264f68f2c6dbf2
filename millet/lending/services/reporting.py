"""Lending's figures for reporting, per market: which market each loan was made in, credit decisions
per day, and the book that is more than 30 days past due. The insights domain rolls them up
(``insights.services.finance_series``); nothing here checks an actor (these are aggregates, named
by market and currency only).

A loan's market is its application's (the order's market, kept on the application).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time

from django.db.models import Count, Q, Sum
from django.db.models.functions import Coalesce, TruncDate

from millet.lending.models import Application, Loan

PAST_DUE_DAYS = 30  # "30+ days past due": beyond the 1-30 bucket (``daily.bucket_for``): 31-60, 61-90, 90+


def loan_markets(numbers: Iterable[str]) -> dict[str, str]:
    """Loan number -> the market it was made in, for each of ``numbers`` that is a loan (one query)."""
    return dict(Loan.objects.filter(number__in=set(numbers)).values_list("number", "application__market"))


@dataclass(frozen=True)
class CreditDecisions:
    """Applications decided on ``day`` (UTC) in ``market``: approved, and decided (approved or
    declined). A decision's day is when the scorecard decided it, or when a risk officer decided a
    referred one; an application still referred is not decided."""

    day: date
    market: str
    approved: int
    decided: int


def credit_decisions(since: date | None = None) -> list[CreditDecisions]:
    """Decisions per UTC day and market, from ``since`` (included) on, or all of them; one
    aggregate query, oldest day first."""
    decided_at = Coalesce("reviewed_at", "created_at")
    rows = Application.objects.filter(
        status__in=(Application.Status.APPROVED, Application.Status.DECLINED)
    ).annotate(decided_at=decided_at)
    if since is not None:
        rows = rows.filter(decided_at__gte=datetime.combine(since, time.min, tzinfo=UTC))
    rows = (
        rows.annotate(day=TruncDate("decided_at", tzinfo=UTC))
        .values("day", "market")
        .annotate(
            approved=Count("pk", filter=Q(status=Application.Status.APPROVED)),
            decided=Count("pk"),
        )
        .order_by("day", "market")
    )
    return [CreditDecisions(r["day"], r["market"], r["approved"], r["decided"]) for r in rows]


@dataclass(frozen=True)
class PastDue:
    """Active loans of one market and currency: the principal still owed on those more than
    ``PAST_DUE_DAYS`` days past due (integer minor units; 0 when none is), as the daily job
    (``run_daily``) last aged them."""

    market: str
    currency: str
    minor: int


def past_due() -> list[PastDue]:
    """The 30+ days past due book of every market and currency with an active loan (one query)."""
    rows = (
        Loan.objects.filter(status=Loan.Status.ACTIVE)
        .values("application__market", "currency")
        .annotate(
            late=Sum("outstanding_principal_minor", filter=Q(days_past_due__gt=PAST_DUE_DAYS), default=0)
        )
        .order_by("application__market", "currency")
    )
    return [PastDue(r["application__market"], r["currency"], r["late"]) for r in rows]
