"""The executive page: a card per goal, the drill-down, and both as CSV."""

from __future__ import annotations

import hashlib
from decimal import Decimal
from urllib.parse import urlencode

from django.contrib.auth.decorators import login_required
from django.core.cache import cache
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.template.loader import render_to_string
from django.utils import formats, timezone, translation
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _

from millet.accounts.actor import request_actor
from millet.core import redis_client
from millet.core.errors import Forbidden, Unprocessable
from millet.core.replicas import replica_reads
from millet.insights import services as insights
from millet.insights.forms import DrillDownForm
from millet.insights.metrics import (
    CAMPAIGN,
    CHANNEL,
    COMPANY,
    DAYS,
    LINES_JOINED,
    MARKET,
    PERCENT,
    PRODUCT_LINE,
    SECONDS,
)
from millet.insights.pace import AHEAD, BEHIND, Pace
from millet.insights.templatetags.insights_labels import product_line_name
from millet.web.formats import local_date, market_name, money, number
from millet.web.markets import current_market

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
    if pace.reached:
        over = (card.figure.value or Decimal(0)) - card.goal.target
        if over <= 0:
            return _("Target reached.")
        return _("Target reached, %(over)s above it.") % {"over": _amount(over, cur, unit)}
    # Only the figures the sentence names are formatted (each is a CLDR pattern applied).
    remaining, days = _amount(pace.remaining, cur, unit), number(pace.days_left)
    if not pace.days_left:
        return _("Missed: %(remaining)s short on the due date.") % {"remaining": remaining}
    gap = _amount(abs(pace.gap), cur, unit)
    if pace.status == AHEAD:
        return _("%(gap)s ahead of the straight line; %(remaining)s to go in %(days)s days.") % {
            "gap": gap,
            "remaining": remaining,
            "days": days,
        }
    if pace.status == BEHIND:
        per_day = _amount(pace.needed_per_day or Decimal(0), cur, unit)
        return _("%(gap)s behind the straight line; %(per_day)s a day needed for the %(days)s days left.") % {
            "gap": gap,
            "per_day": per_day,
            "days": days,
        }
    return _("On the straight line; %(remaining)s to go in %(days)s days.") % {
        "remaining": remaining,
        "days": days,
    }


def _status_label(pace: Pace) -> str:
    if pace.reached:
        return _("Reached")
    if not pace.days_left:
        return _("Missed")  # the due date has passed: no straight line left to be behind
    return {AHEAD: _("Ahead"), BEHIND: _("Behind")}.get(pace.status, _("On track"))


def _tone(pace: Pace | None) -> str:
    if pace is None:
        return "neutral"
    if pace.reached:
        return "success"
    return "danger" if not pace.days_left else TONES.get(pace.status, "info")


def _scope_name(goal) -> str:
    kind, value = goal.scope_kind, goal.scope_value
    if kind == COMPANY:
        return _("Whole company")
    if kind == MARKET:
        return market_name(value)
    if kind == CHANNEL:
        return _("Web store") if value == "web" else _("Mi Home stores")
    if kind == PRODUCT_LINE:
        return " + ".join(product_line_name(line) for line in value.split(LINES_JOINED))
    if kind == CAMPAIGN:
        return _("Flash sale %(code)s") % {"code": value}
    return _("Store %(code)s") % {"code": value}


def _cards(actor, rates: insights.RateBook) -> list[dict]:
    """Everything a card shows, as text in the page's language, in one pass over the cards: the
    template only places it (no include, no filter, no lookup into the card per card)."""
    rows = []
    reporting = insights.reporting_currency()
    for card in insights.goal_cards(actor=actor, rates=rates):
        goal, cur, unit = card.goal, card.figure.currency, card.metric.unit
        actual = None if card.figure.value is None else _amount(card.figure.value, cur, unit)
        target = _amount(goal.target, cur, unit)
        period = _("%(start)s to %(due)s") % {
            "start": local_date(goal.starts_on),
            "due": local_date(goal.due_on),
        }
        rates_used = [
            _("1 %(currency)s = %(rate)s %(reporting)s (rate of %(day)s)")
            % {
                "currency": r.currency,
                "rate": formats.localize(r.rate),
                "reporting": reporting,
                "day": local_date(r.valid_from),
            }
            for r in card.figure.rates
        ]
        rows.append(
            {
                "id": goal.pk,
                "title": _(goal.title),  # the demo's titles are in the catalogs (demo.insights)
                "meta": " · ".join((str(card.metric.label), _scope_name(goal), period)),
                "actual": actual,
                "target": target,
                "status": _status_label(card.pace) if card.pace else _("No figure"),
                "tone": _tone(card.pace),
                "chart": card.chart,
                "chart_label": _("Progress so far, %(actual)s, against the straight line to %(target)s")
                % {"actual": actual, "target": target},
                "words": gap_in_words(card),
                "owner": _("Owner: %(owner)s · as of %(day)s")
                % {"owner": card.owner, "day": local_date(card.as_of)},
                "rates": rates_used,
            }
        )
    return rows


KEEP_SECONDS = 3600  # a part is kept at most an hour, and never past a change (the version in its key)


class _Kept:
    """The page's parts kept in the cache while nothing they show has changed. A part's key holds
    the figures' version (bumped by every rollup, goal or rate change; one query per visit), the
    UTC day (a card's as-of date, the drill-down's default period), the page's language and market
    (its formats) and which goals and stores the viewer sees."""

    def __init__(self, viewer: insights.Viewer) -> None:
        market = current_market()
        self.version = insights.figures_version()
        self.prefix = "|".join(
            (
                str(self.version),
                timezone.now().date().isoformat(),
                translation.get_language() or "",
                market.code if market else "",
                "all" if viewer.everything else ",".join(sorted(viewer.stores)),
            )
        )

    def key(self, part: str, question: str = "") -> str:
        text = "|".join((self.prefix, part, question))
        return "insights:" + hashlib.sha256(text.encode()).hexdigest()

    def get(self, key: str) -> str | None:
        if not self.version:
            return None  # nothing has counted a change yet: no version tells this page from another
        if redis_client.seems_down():
            return None  # the cache only spares the rendering: rendered again while Redis is down
        try:
            html = cache.get(key)
        except redis_client.ERRORS as exc:
            redis_client.tolerate(exc)
            return None
        return None if html is None else mark_safe(html)  # rendered by the template engine, escaped there

    def keep(self, key: str, html: str) -> str:
        if self.version and not redis_client.seems_down():
            try:
                cache.set(key, str(html), KEEP_SECONDS)
            except redis_client.ERRORS as exc:
                redis_client.tolerate(exc)
        return html


def _csv(body: str, name: str) -> HttpResponse:
    response = HttpResponse(body, content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


def _drill_down(request: HttpRequest, actor, viewer: insights.Viewer, rates: insights.RateBook, kept: _Kept):
    """The drill-down section's HTML and status, or a CSV response for ``?format=csv``. A valid
    question's answer is kept under the question itself, which its CSV link asks again: a parameter
    that asks nothing (``?utm_source=...``) neither misses the kept answer nor keeps another copy."""
    form = DrillDownForm(request.GET, stores_only=not viewer.everything)
    csv = request.GET.get("format") == "csv"
    status, rows, asked = 200, [], ""
    if form.is_bound and not form.is_valid():
        status = 422
    else:
        question = form.question()
        asked = urlencode({name: str(question[name]) for name in form.fields})  # dates in ISO form
        key = kept.key("drill", asked)
        html = None if csv else kept.get(key)
        if html is not None:
            return html, 200
        try:
            rows = insights.drill_down(actor=actor, rates=rates, **question)
        except Unprocessable as exc:
            form.refuse(exc)
            status = 422
        if status == 200 and csv:
            return _csv(
                insights.breakdown_csv(rows, start=question["start"], end=question["end"]), "breakdown.csv"
            ), status
    names = insights.device_scope_names(row.scope for row in rows)
    context = {
        "form": form,
        "rows": [(row, names.get(row.scope, "")) for row in rows],
        "reporting_currency": insights.reporting_currency(),
        "csv_query": asked,
    }
    html = render_to_string("insights/_drill.html", context, request=request)
    return (kept.keep(key, html) if status == 200 else html), status


@login_required
@replica_reads
def goals(request: HttpRequest) -> HttpResponse:
    """Executives and staff see every goal and the drill-down by market, channel, store, device
    model, firmware or production batch; a store manager sees their own stores'. ``?format=csv``
    answers the drill-down as CSV."""
    actor = request_actor(request)
    try:
        viewer = insights.viewer_for(actor)
        rates = insights.RateBook()  # the cards and the drill-down read the rates once (if at all)
        kept = _Kept(viewer)
        drill, status = _drill_down(request, actor, viewer, rates, kept)
        if isinstance(drill, HttpResponse):
            return drill
        key = kept.key("cards")
        cards = kept.get(key)
        if cards is None:
            context = {"cards": _cards(actor, rates)}
            cards = kept.keep(key, render_to_string("insights/_cards.html", context, request=request))
        context = {
            "cards_html": cards,
            "drill_html": drill,
            "everything": viewer.everything,
            "reporting_currency": insights.reporting_currency(),
        }
    except Forbidden as exc:
        raise PermissionDenied(exc.detail) from None
    return render(request, "insights/goals.html", context, status=status)


@login_required
@replica_reads
def goals_csv(request: HttpRequest) -> HttpResponse:
    try:
        cards = insights.goal_cards(actor=request_actor(request))
    except Forbidden as exc:
        raise PermissionDenied(exc.detail) from None
    return _csv(insights.goals_csv(cards), "goals.csv")
