"""HTTP routes for stores; thin: parse, call a service, shape the answer."""

from __future__ import annotations

from django.utils import timezone
from ninja import Query, Router, Status

from millet.accounts.services import usernames
from millet.core.types import IdempotencyKey
from millet.stores import services
from millet.stores.models import PlannedOpening, StaffMember, Store
from millet.stores.schemas import (
    AdvanceIn,
    GoalOut,
    MarketFilter,
    OpeningId,
    OpeningIn,
    OpeningOut,
    RoleIn,
    StaffOut,
    StoreIn,
    StoreOut,
    UserId,
)

router = Router(tags=["stores"])


def _store_out(store: Store) -> StoreOut:
    return StoreOut(
        code=store.code,
        name=store.name,
        market=store.market_id,
        city=store.city,
        address=store.address,
        opening_hours=store.opening_hours,
        opened_on=store.opened_on,
        open_now=services.is_open_at(store, timezone.now()),
    )


def _staff_outs(members: list[StaffMember]) -> list[StaffOut]:
    names = usernames(m.user_id for m in members)
    return [StaffOut(user_id=m.user_id, username=names[m.user_id], role=m.role) for m in members]


def _opening_out(opening: PlannedOpening) -> OpeningOut:
    return OpeningOut(
        id=opening.pk,
        market=opening.market_id,
        city=opening.city,
        name=opening.name,
        target_date=opening.target_date,
        stage=opening.stage,
        store_code=opening.store.code if opening.store else None,
    )


@router.get("/", response=list[StoreOut], auth=None)
def list_stores(request, filters: Query[MarketFilter]):
    """The public store directory: every open store with its hours and whether it trades right now."""
    return [_store_out(store) for store in services.public_stores(filters.market)]


@router.post("/", response={201: StoreOut})
def open_store(request, payload: StoreIn):
    return Status(201, _store_out(services.open_store(actor=request.actor, **payload.model_dump())))


@router.get("/ranking", response=list[services.RankingRow])
def store_ranking(request, filters: Query[MarketFilter]):
    """Staff see every figure; managers see their own stores' and only the rank of the others."""
    return services.ranking_for(request.actor, filters.market)


@router.get("/openings", response=list[OpeningOut])
def list_openings(request, filters: Query[MarketFilter]):
    return [_opening_out(o) for o in services.planned_openings(actor=request.actor, market=filters.market)]


@router.post("/openings", response={201: OpeningOut})
def plan_opening(request, payload: OpeningIn, idempotency_key: IdempotencyKey = None):
    """Staff: put a store opening in the pipeline. A resend with the same ``Idempotency-Key``
    answers with the first opening and plans nothing twice; the key with another request is 409
    ``idempotency_key_reused``."""
    opening = services.plan_opening(
        actor=request.actor, idempotency_key=idempotency_key, **payload.model_dump()
    )
    return Status(201, _opening_out(opening))


@router.post("/openings/{opening_id}/advance", response=OpeningOut)
def advance_opening(request, opening_id: OpeningId, payload: AdvanceIn):
    site = services.StoreSite(**payload.site.model_dump()) if payload.site else None
    opening = services.advance_opening(
        opening_id, payload.stage, actor=request.actor, store_code=payload.store_code, site=site
    )
    return _opening_out(opening)


@router.get("/goals", response=list[GoalOut])
def expansion_goals(request, filters: Query[MarketFilter]):
    return [
        GoalOut(
            id=p.goal.pk,
            market=p.goal.market_id,
            description=p.goal.description,
            starts_on=p.goal.starts_on,
            target_date=p.goal.target_date,
            target=p.target,
            opened=p.opened,
            planned=p.planned,
            on_track=p.on_track,
        )
        for p in services.expansion_progress(filters.market, actor=request.actor)
    ]


@router.get("/{code}", response=StoreOut, auth=None)
def store_detail(request, code: str):
    return _store_out(services.get_store(None, code))


@router.get("/{code}/staff", response=list[StaffOut])
def list_staff(request, code: str):
    return _staff_outs(services.staff_of(request.actor, code))


@router.put("/{code}/staff/{user_id}", response=StaffOut)
def assign_staff(request, code: str, user_id: UserId, payload: RoleIn):
    return _staff_outs([services.assign_staff(code, user_id, payload.role, actor=request.actor)])[0]


@router.delete("/{code}/staff/{user_id}", response={204: None})
def remove_staff(request, code: str, user_id: UserId):
    services.remove_staff(code, user_id, actor=request.actor)
    return Status(204, None)
