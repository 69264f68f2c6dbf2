"""Planned openings and the expansion goals they serve.

An opening moves one stage at a time, scouting -> signed -> fitting_out -> opened, and may be
dropped from any stage before it opens; opened and dropped are final. Reaching ``opened`` binds
the opening to a real store: an existing one of the same market, or one created on the spot from
the site details (code, address, coordinates, hours) the plan did not have.

A goal counts the active stores of its market opened between ``starts_on`` (or ever, when empty)
and today, plus the planned openings still in the pipeline that are due by the goal's date. The
goal is on track while those two together reach the target; once the date has passed only the
stores actually opened by then count.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from operator import attrgetter
from zoneinfo import ZoneInfo

from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone

from millet.accounts.actor import Actor
from millet.core.errors import Conflict, NotFound, Unprocessable
from millet.core.idempotency import fingerprint, keyed_create
from millet.core.integrity import taken_or_raise
from millet.regions.services import get_market
from millet.stores.models import ExpansionGoal, PlannedOpening, Store
from millet.stores.services.stores import get_store, market_for_input, open_store

Stage = PlannedOpening.Stage
NEXT_STAGE = {Stage.SCOUTING: Stage.SIGNED, Stage.SIGNED: Stage.FITTING_OUT, Stage.FITTING_OUT: Stage.OPENED}
IN_PIPELINE = (Stage.SCOUTING, Stage.SIGNED, Stage.FITTING_OUT)


@dataclass(frozen=True)
class StoreSite:
    """Where a new store is and when it trades: what a planned opening lacks to become a store."""

    code: str
    address: str
    latitude: Decimal
    longitude: Decimal
    opening_hours: dict


@dataclass(frozen=True)
class GoalProgress:
    goal: ExpansionGoal
    target: int
    opened: int
    planned: int
    on_track: bool


def plan_opening(
    *,
    actor: Actor,
    market: str,
    city: str,
    name: str,
    target_date: date,
    idempotency_key: str | None = None,
) -> PlannedOpening:
    """Put a store opening in the pipeline at ``scouting`` (staff; ``Forbidden`` otherwise). 422
    ``unknown_market``, ``missing_field`` (a blank city or name).

    The actor's ``idempotency_key`` makes a retry answer with the opening the first request planned
    (as it is now), planning none twice; the same key with another request is 409
    ``idempotency_key_reused`` (``core.idempotency.keyed_create``)."""
    actor.require_staff()
    market_for_input(market)
    if not city.strip() or not name.strip():
        raise Unprocessable("city and name are required", code="missing_field")
    request = fingerprint("plan_opening", market=market, city=city, name=name, target_date=target_date)
    return keyed_create(
        actor.user_id,
        idempotency_key,
        request,
        lambda: PlannedOpening.objects.create(
            market_id=market, city=city, name=name, target_date=target_date
        ),
        remember=attrgetter("pk"),
        replay=lambda pk: PlannedOpening.objects.select_related("store").get(pk=pk),
    )


def check_expansion_goal(
    *, market: str, target_store_count: int, target_date: date, starts_on: date | None = None
) -> None:
    """The rules of a goal, wherever it is set (``set_expansion_goal``, the back office's form): 422
    ``unknown_market``; ``invalid_goal`` for a store count not above 0 (a goal of 0 stores is on
    track for ever) or a start not before the target date (it would count no store)."""
    market_for_input(market)
    if target_store_count <= 0:
        raise Unprocessable("a goal needs a positive store count", code="invalid_goal")
    if starts_on is not None and starts_on >= target_date:
        raise Unprocessable("a goal must start before its target date", code="invalid_goal")


def set_expansion_goal(
    *,
    actor: Actor,
    market: str,
    target_store_count: int,
    target_date: date,
    description: str = "",
    starts_on: date | None = None,
) -> ExpansionGoal:
    """Record a target from the plan, e.g. '200 more stores in China within three years' (staff;
    ``Forbidden`` otherwise); refusals as ``check_expansion_goal``."""
    actor.require_staff()
    check_expansion_goal(
        market=market, target_store_count=target_store_count, target_date=target_date, starts_on=starts_on
    )
    return ExpansionGoal.objects.create(
        market_id=market,
        target_store_count=target_store_count,
        target_date=target_date,
        description=description[:255],
        starts_on=starts_on,
    )


def planned_openings(*, actor: Actor, market: str | None = None) -> QuerySet[PlannedOpening]:
    """The openings not yet opened or dropped and those done, by target date (staff and
    executives; ``Forbidden`` otherwise)."""
    actor.require_executive()
    openings = PlannedOpening.objects.select_related("store")
    if market is not None:
        openings = openings.filter(market_id=market)
    return openings.order_by("target_date", "pk")


def _local_today(market: str) -> date:
    return timezone.now().astimezone(ZoneInfo(get_market(market).time_zone)).date()


def _opened_store(
    actor: Actor, opening: PlannedOpening, store_code: str | None, site: StoreSite | None
) -> Store:
    if (store_code is None) == (site is None):
        raise Unprocessable(
            "opening needs exactly one of an existing store_code or a new site", code="store_required"
        )
    if site is not None:
        return open_store(
            actor=actor,
            code=site.code,
            name=opening.name,
            market=opening.market_id,
            city=opening.city,
            address=site.address,
            latitude=site.latitude,
            longitude=site.longitude,
            opening_hours=site.opening_hours,
            opened_on=_local_today(opening.market_id),
        )
    try:
        store = get_store(actor, store_code)
    except NotFound:
        raise Unprocessable(f"unknown store {store_code!r}", code="unknown_store") from None
    if store.market_id != opening.market_id:
        raise Unprocessable(f"{store.code} is not in market {opening.market_id}", code="wrong_market")
    if PlannedOpening.objects.filter(store=store).exists():
        raise Conflict(f"{store.code} already fulfils another planned opening", code="store_taken")
    return store


@transaction.atomic
def advance_opening(
    opening_id: int, stage: str, *, actor: Actor, store_code: str | None = None, site: StoreSite | None = None
) -> PlannedOpening:
    """Move an opening to ``stage``; the row is locked so two planners cannot both advance it."""
    actor.require_staff()
    if stage not in Stage.values:
        raise Unprocessable(f"stage must be one of {', '.join(Stage.values)}", code="invalid_stage")
    opening = PlannedOpening.objects.select_for_update().filter(pk=opening_id).first()
    if opening is None:
        raise NotFound(f"unknown planned opening {opening_id}", code="unknown_opening")
    allowed = {NEXT_STAGE[opening.stage], Stage.DROPPED} if opening.stage in NEXT_STAGE else set()
    if stage not in allowed:
        raise Conflict(f"a {opening.stage} opening cannot move to {stage}", code="invalid_transition")
    if stage == Stage.OPENED:
        opening.store = _opened_store(actor, opening, store_code, site)
    elif store_code is not None or site is not None:
        raise Unprocessable("a store is given only when the opening opens", code="store_not_expected")
    opening.stage = stage
    # Another opening, locked on its own row, may take the same store at once: the store is unique.
    rivals = PlannedOpening.objects.filter(store__isnull=False, store=opening.store_id).exclude(pk=opening.pk)
    store = opening.store.code if opening.store else ""
    with taken_or_raise(
        rivals, Conflict(f"{store} already fulfils another planned opening", code="store_taken")
    ):
        opening.save(update_fields=["stage", "store"])
    return opening


def expansion_progress(market: str | None = None, *, actor: Actor) -> list[GoalProgress]:
    """Every goal (of one market, or all) against stores opened and openings still planned (staff and
    executives; ``Forbidden`` otherwise)."""
    actor.require_executive()
    goals = ExpansionGoal.objects.order_by("target_date", "pk")
    if market is not None:
        get_market(market)
        goals = goals.filter(market_id=market)
    progress: list[GoalProgress] = []
    for goal in goals:
        cutoff = min(goal.target_date, _local_today(goal.market_id))
        stores = Store.objects.filter(market_id=goal.market_id, is_active=True, opened_on__lte=cutoff)
        if goal.starts_on is not None:
            stores = stores.filter(opened_on__gte=goal.starts_on)
        opened = stores.count()
        planned = 0
        if _local_today(goal.market_id) <= goal.target_date:
            planned = PlannedOpening.objects.filter(
                market_id=goal.market_id, stage__in=IN_PIPELINE, target_date__lte=goal.target_date
            ).count()
        target = goal.target_store_count
        progress.append(GoalProgress(goal, target, opened, planned, opened + planned >= target))
    return progress
