"""HTTP routes for insights; thin: parse, call a service with the actor, shape the answer."""

from __future__ import annotations

from ninja import Query, Router, Status

from millet.core.types import IdempotencyKey
from millet.insights import services
from millet.insights.metrics import METRICS
from millet.insights.schemas import (
    GoalId,
    InsightBreakdownOut,
    InsightDrillDownQuery,
    InsightFigureOut,
    InsightGoalIn,
    InsightGoalOut,
    InsightMetricOut,
    InsightRateIn,
    InsightRateOut,
)

router = Router(tags=["insights"])


def _goal_out(card: services.GoalCard) -> InsightGoalOut:
    goal, pace = card.goal, card.pace
    return InsightGoalOut(
        id=goal.pk,
        title=goal.title,
        metric=goal.metric,
        scope=goal.scope,
        target=goal.target,
        currency=goal.currency,
        starts_on=goal.starts_on,
        due_on=goal.due_on,
        owner=card.owner,
        source=goal.source,
        as_of=card.as_of,
        actual=InsightFigureOut.of(card.figure),
        expected=pace.expected.quantize(goal.target) if pace else None,
        status=pace.status if pace else None,
        reached=bool(pace and pace.reached),
    )


@router.get("/metrics", response=list[InsightMetricOut], auth=None)
def list_metrics(request):
    """Every metric, with its unit and its definition in words (the same for everyone)."""
    return [
        InsightMetricOut(
            key=m.key,
            label=str(m.label),
            unit=m.unit,
            shape=m.shape,
            definition=str(m.definition),
            scopes=list(m.scopes),
        )
        for m in METRICS.values()
    ]


@router.get("/goals", response=list[InsightGoalOut])
def list_goals(request):
    """Each goal the caller may see with its actual figure and pace (executives, staff, store managers)."""
    return [_goal_out(card) for card in services.goal_cards(actor=request.actor)]


@router.post("/goals", response={201: InsightGoalOut})
def create_goal(request, body: InsightGoalIn, idempotency_key: IdempotencyKey = None):
    """Staff: set a goal. A resend with the same ``Idempotency-Key`` answers with the first goal and
    sets nothing twice; the key with another request is 409 ``idempotency_key_reused``."""
    goal = services.create_goal(actor=request.actor, idempotency_key=idempotency_key, **body.dict())
    return Status(201, _goal_out(services.card(goal)))


@router.get("/goals/{goal_id}", response=InsightGoalOut)
def goal_detail(request, goal_id: GoalId):
    goal = services.get_goal(goal_id, actor=request.actor)
    return _goal_out(services.card(goal))


@router.get("/figures", response=list[InsightBreakdownOut])
def figures(request, query: Query[InsightDrillDownQuery]):
    """A metric over a period by market, channel, store, product line or flash sale (store
    managers: by store, their stores only)."""
    rows = services.drill_down(actor=request.actor, **query.dict())
    return [InsightBreakdownOut(name=r.name, figure=InsightFigureOut.of(r.figure)) for r in rows]


@router.get("/rates", response=list[InsightRateOut])
def list_rates(request):
    return [
        InsightRateOut(currency=r.currency, rate=r.rate, valid_from=r.valid_from)
        for r in services.list_rates(actor=request.actor)
    ]


@router.post("/rates", response={201: InsightRateOut})
def set_rate(request, body: InsightRateIn):
    rate = services.set_rate(actor=request.actor, **body.dict())
    return Status(201, InsightRateOut(currency=rate.currency, rate=rate.rate, valid_from=rate.valid_from))
