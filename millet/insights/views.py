"""The executive page: a card per goal, the drill-down, and both as CSV."""

from __future__ import annotations

from decimal import Decimal

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _

from millet.accounts.actor import actor_for_user
from millet.core.errors import Forbidden, Unprocessable
from millet.core.replicas import replica_reads
from millet.insights import services as insights
from millet.insights.forms import DrillDownForm
from millet.insights.metrics import DAYS, PERCENT, SECONDS
from millet.insights.pace import AHEAD, BEHIND
from millet.web.formats import money, number

TONES = {AHEAD: "success", BEHIND: "danger"}


def _amount(value: Decimal, currency: str, unit: str = "") -> str:
    if unit == PERCENT:
        return _("%(percent)s %%") % {"percent": number(value)}
    if unit == DAYS:
        return _("%(days)s days") % {"days": number(value)}
    if unit == SECONDS:
        return _("%(seconds)s s") % {"seconds": number(value)}
    return money(value, currency) if currency else number(value.quantize(Decimal(1)))


def gap_in_words(card: insights.GoalCard) -> str:
    """What the card's pace means, in a sentence of the page's language."""
    pace, cur, unit = card.pace, card.figure.currency, card.metric.unit
    if pace is None and not card.figure.missing:
        return _("No figure: nothing to divide by in the period.")
    if pace is None:
        return _("No figure: no exchange rate for %(currencies)s on %(day)s.") % {
            "currencies": ", ".join(card.figure.missing),
            "day": card.as_of.isoformat(),
        }
    figures = {
        "gap": _amount(abs(pace.gap), cur, unit),
        "remaining": _amount(pace.remaining, cur, unit),
        "days": number(pace.days_left),
        "per_day": _amount(pace.needed_per_day or Decimal(0), cur, unit),
    }
    if pace.reached:
        return _("Target reached.")
    if not pace.days_left:
        return _("Missed: %(remaining)s short on the due date.") % figures
    if pace.status == AHEAD:
        return _("%(gap)s ahead of the straight line; %(remaining)s to go in %(days)s days.") % figures
    if pace.status == BEHIND:
        return (
            _("%(gap)s behind the straight line; %(per_day)s a day needed for the %(days)s days left.")
            % figures
        )
    return _("On the straight line; %(remaining)s to go in %(days)s days.") % figures


def _status_label(status: str) -> str:
    return {AHEAD: _("Ahead"), BEHIND: _("Behind")}.get(status, _("On track"))


def _cards(actor, rates: insights.RateBook) -> list[dict]:
    rows = []
    for card in insights.goal_cards(actor=actor, rates=rates):
        cur, unit = card.figure.currency, card.metric.unit
        rows.append(
            {
                "card": card,
                "actual": None if card.figure.value is None else _amount(card.figure.value, cur, unit),
                "target": _amount(card.goal.target, cur, unit),
                "status": _status_label(card.pace.status) if card.pace else _("No figure"),
                "tone": TONES.get(card.pace.status, "info") if card.pace else "neutral",
                "words": gap_in_words(card),
            }
        )
    return rows


def _csv(body: str, name: str) -> HttpResponse:
    response = HttpResponse(body, content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


@login_required
@replica_reads
def goals(request: HttpRequest) -> HttpResponse:
    """Executives and staff see every goal and the drill-down by market, channel or store; a store
    manager sees their own stores'. ``?format=csv`` answers the drill-down as CSV."""
    actor = actor_for_user(request.user)
    try:
        viewer = insights.viewer_for(actor)
        rates = insights.RateBook()  # the cards and the drill-down read the rates once
        form = DrillDownForm(request.GET, stores_only=not viewer.everything)
        status = 200
        rows = []
        if form.is_bound and not form.is_valid():
            status = 422
        else:
            question = form.question()
            try:
                rows = insights.drill_down(actor=actor, rates=rates, **question)
            except Unprocessable as exc:
                form.add_error(None, exc.detail)
                status = 422
            if status == 200 and request.GET.get("format") == "csv":
                return _csv(
                    insights.breakdown_csv(rows, start=question["start"], end=question["end"]),
                    "breakdown.csv",
                )
        context = {
            "cards": _cards(actor, rates),
            "form": form,
            "rows": rows,
            "everything": viewer.everything,
            "reporting_currency": insights.reporting_currency(),
            "csv_query": request.GET.urlencode(),
        }
    except Forbidden as exc:
        raise PermissionDenied(exc.detail) from None
    return render(request, "insights/goals.html", context, status=status)


@login_required
@replica_reads
def goals_csv(request: HttpRequest) -> HttpResponse:
    try:
        cards = insights.goal_cards(actor=actor_for_user(request.user))
    except Forbidden as exc:
        raise PermissionDenied(exc.detail) from None
    return _csv(insights.goals_csv(cards), "goals.csv")
