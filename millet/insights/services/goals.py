"""Goals: a metric's target in one scope between a start and a due date, and how each stands.

A card per goal gives the actual figure on the as-of day (today, or the due date once passed), the
target, the pace against the straight line from start to due date (``insights.pace``), the
sparkline's geometry and the rates a money figure used. Goals are set by staff (API, back office,
the demo); executives see all of them and a store manager only those of their own stores.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from operator import attrgetter

from django.utils import timezone

from millet.accounts.actor import Actor
from millet.accounts.services import usernames
from millet.catalog import services as catalog
from millet.core.errors import NotFound, Unprocessable
from millet.core.idempotency import fingerprint, keyed_create
from millet.core.replicas import replica_reads
from millet.flashsale import services as flashsale
from millet.insights.metrics import (
    CAMPAIGN,
    COMPANY,
    FLOW,
    LEVEL,
    LINES_JOINED,
    MARKET,
    PRODUCT_LINE,
    RATIO,
    SCOPE_KINDS,
    STORE,
    Metric,
    parse_scope,
)
from millet.insights.models import Goal
from millet.insights.pace import Pace, pace
from millet.insights.services.access import Viewer, viewer_for
from millet.insights.services.figures import Figure, Trend, TrendQuestion, get_metric, trends
from millet.insights.services.rates import RateBook, reporting_currency
from millet.insights.sparkline import Sparkline, sparkline
from millet.regions import services as regions
from millet.regions.money import currency_exponent
from millet.stores import services as stores

CENTS = Decimal("0.01")  # a target's places (check_goal)


@dataclass(frozen=True)
class GoalCard:
    goal: Goal
    metric: Metric
    owner: str
    as_of: date
    figure: Figure  # the actual figure, in the goal's currency for money
    baseline: Decimal
    pace: Pace | None  # None when the figure cannot be computed (a missing rate)
    chart: Sparkline | None


def _check_scope(metric: Metric, kind: str, value: str) -> None:
    """422 ``invalid_scope`` for a scope no figure can be measured in: a kind the metric is not
    measured per, or a store, market, product line or flash sale that does not exist (a goal for
    market "ZZ" stood at 0 for ever), or a value given to the whole company (it was dropped)."""
    try:
        parse_scope(kind if kind == COMPANY and not value else f"{kind}:{value}")
    except ValueError:
        raise Unprocessable(f"unknown scope {kind}:{value}", code="invalid_scope") from None
    if kind == MARKET:
        try:
            regions.get_market(value)
        except NotFound:
            raise Unprocessable(f"unknown market {value!r}", code="invalid_scope") from None
    if kind not in metric.scopes:
        raise Unprocessable(f"{metric.key} is not measured per {kind}", code="invalid_scope")
    if kind not in SCOPE_KINDS:  # a device scope: for the drill-down only
        raise Unprocessable(f"goals are not set per {kind}", code="invalid_scope")
    if kind == STORE and value not in {s.code for s in stores.store_openings()}:
        raise Unprocessable(f"unknown store {value!r}", code="invalid_scope")
    if kind == PRODUCT_LINE:
        lines = value.split(LINES_JOINED)
        if len(set(lines)) != len(lines) or not set(lines) <= set(dict(catalog.categories())):
            raise Unprocessable(f"unknown product line {value!r}", code="invalid_scope")
    if kind == CAMPAIGN:
        try:
            flashsale.get_campaign(value)
        except NotFound:
            raise Unprocessable(f"unknown flash sale {value!r}", code="invalid_scope") from None


def check_goal(
    *,
    title: str,
    metric: str,
    scope_kind: str,
    scope_value: str,
    target: Decimal,
    starts_on: date,
    due_on: date,
    currency: str,
) -> str:
    """The goal's currency once checked (a money goal's defaults to the reporting currency; a count
    has none). 422 with ``unknown_metric``, ``invalid_scope``, ``invalid_goal`` (no title, a target
    not above 0 or with more than 2 places, a due date not after the start) or ``unknown_currency``."""
    found = get_metric(metric)
    _check_scope(found, scope_kind, scope_value)
    if not title.strip() or not isinstance(target, Decimal) or not target.is_finite() or target <= 0:
        raise Unprocessable("a goal needs a title and a positive target", code="invalid_goal")
    if target.as_tuple().exponent < -2 or target.adjusted() >= 22:
        raise Unprocessable("a target has at most 22 digits and 2 decimals", code="invalid_goal")
    if due_on <= starts_on:
        raise Unprocessable("a goal is due after it starts", code="invalid_goal")
    if not found.is_money:
        if currency:
            raise Unprocessable(f"{found.key} is a count, not money", code="unknown_currency")
        return ""
    currency = currency or reporting_currency()
    currency_exponent(currency)
    return currency


def create_goal(
    *,
    actor: Actor,
    title: str,
    metric: str,
    scope_kind: str = COMPANY,
    scope_value: str = "",
    target: Decimal,
    starts_on: date,
    due_on: date,
    owner_id: int,
    currency: str = "",
    source: str = "",
    idempotency_key: str | None = None,
) -> Goal:
    """Set a goal (staff; 403 otherwise); errors as ``check_goal``, and 422 ``invalid_goal`` for an
    owner who is no user.

    The actor's ``idempotency_key`` makes a retry answer with the goal the first request set (as it
    is now), setting none twice; the same key with another request is 409 ``idempotency_key_reused``
    (``core.idempotency.keyed_create``)."""
    actor.require_staff()
    fields = {"title": title, "metric": metric, "scope_kind": scope_kind, "scope_value": scope_value}
    fields |= {"target": target, "starts_on": starts_on, "due_on": due_on}
    currency = check_goal(**fields, currency=currency)
    if not usernames([owner_id]):
        raise Unprocessable("the owner is no user", code="invalid_goal")
    request = fingerprint("create_goal", **fields, currency=currency, owner_id=owner_id, source=source)
    return keyed_create(
        actor.user_id,
        idempotency_key,
        request,
        lambda: Goal.objects.create(
            # the target as the column keeps it (2 places), so the first answer reads as every later one
            **fields | {"title": title.strip()[:160], "target": target.quantize(CENTS)},
            currency=currency,
            owner_id=owner_id,
            source=source[:255],
        ),
        remember=attrgetter("pk"),
        replay=lambda pk: Goal.objects.get(pk=pk),
    )


def _visible(viewer: Viewer) -> list[Goal]:
    goals = Goal.objects.order_by("due_on", "pk")
    if not viewer.everything:
        goals = goals.filter(scope_kind=STORE, scope_value__in=viewer.stores)
    return list(goals)


def list_goals(*, actor: Actor) -> list[Goal]:
    return _visible(viewer_for(actor))


def get_goal(goal_id: int, *, actor: Actor) -> Goal:
    """One goal the actor may see; 404 ``unknown_goal`` for any other id, as for one that does not exist."""
    viewer = viewer_for(actor)
    goal = Goal.objects.filter(pk=goal_id).first()
    if goal is None or not viewer.sees(goal.scope):
        raise NotFound(f"unknown goal {goal_id}", code="unknown_goal")
    return goal


def _as_of(goal: Goal, today: date | None) -> date:
    return min(today or timezone.now().date(), goal.due_on)


def _question(goal: Goal, as_of: date) -> TrendQuestion:
    return TrendQuestion(get_metric(goal.metric), goal.scope, goal.starts_on, as_of, goal.currency or None)


@replica_reads
def card(goal: Goal, *, today: date | None = None, owner: str | None = None) -> GoalCard:
    """How ``goal`` stands on ``today`` (UTC; the due date once it has passed); ``owner``, the
    owner's name, is looked up when not given (the API's one goal answered an empty owner)."""
    as_of = _as_of(goal, today)
    if owner is None:
        owner = usernames([goal.owner_id]).get(goal.owner_id, "")
    return _card(goal, as_of, owner, trends([_question(goal, as_of)])[0])


def _card(goal: Goal, as_of: date, owner: str, found: Trend) -> GoalCard:
    metric = get_metric(goal.metric)
    baseline = Decimal(0) if metric.shape in (FLOW, RATIO) else found.baseline
    if found.figure.value is None:
        return GoalCard(goal, metric, owner, as_of, found.figure, baseline, None, None)
    status = pace(
        actual=found.figure.value,
        target=goal.target,
        baseline=baseline,
        starts_on=goal.starts_on,
        due_on=goal.due_on,
        as_of=as_of,
    )
    series = found.series
    if metric.shape in (FLOW, LEVEL) and not (series and series[0][0] == goal.starts_on):
        series = [(goal.starts_on, baseline), *series]  # the line climbs from where the goal started
    chart = sparkline(
        series, baseline=baseline, target=goal.target, starts_on=goal.starts_on, due_on=goal.due_on
    )
    return GoalCard(goal, metric, owner, as_of, found.figure, baseline, status, chart)


@replica_reads
def goal_cards(*, actor: Actor, today: date | None = None, rates: RateBook | None = None) -> list[GoalCard]:
    """A card for every goal the actor may see, soonest due first (403 for those who see none).

    A constant number of queries whatever the number of goals: the goals, their owners' names,
    every goal's rollups in one (``trends``) and the exchange rates once (from ``rates`` when the
    caller shares a ``RateBook`` with its other figures)."""
    goals = _visible(viewer_for(actor))
    owners = usernames({g.owner_id for g in goals}) if goals else {}
    as_of = [_as_of(g, today) for g in goals]
    found = trends([_question(g, day) for g, day in zip(goals, as_of, strict=True)], rates=rates)
    return [
        _card(g, day, owners.get(g.owner_id, ""), t) for g, day, t in zip(goals, as_of, found, strict=True)
    ]
