"""Store network services: opening stores, who works where, and who may see which store.

Access rules: anyone (even anonymous) sees the public facts of active stores; cashiers and managers
see the private side only of their own stores; back-office staff see everything. Managers hire and
dismiss cashiers at their own store; granting or revoking the manager role is a back-office act, so
a manager can never promote themselves or a friend.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

from django.db import IntegrityError, transaction
from django.db.models import Q, QuerySet
from django.utils import timezone

from millet.accounts.actor import Actor, StoreJob
from millet.accounts.services import is_active_user, usernames
from millet.core.errors import Conflict, Forbidden, NotFound, Unprocessable
from millet.core.integrity import created_or_found
from millet.inventory.services import create_location
from millet.regions.services import MarketInfo, get_market
from millet.stores.hours import open_at, parse_opening_hours
from millet.stores.models import StaffMember, Store

STORE_CODE = re.compile(r"[A-Z0-9][A-Z0-9-]{1,31}")


def store_jobs(user_id: int) -> list[StoreJob]:
    """A user's roles at stores, with each store's stock location (none for customers); the
    accounts kernel builds every actor from this (see ``StoresConfig.ready``)."""
    rows = StaffMember.objects.filter(user_id=user_id).values_list("store_id", "store__location_id", "role")
    return [StoreJob(store_id, location_id, role) for store_id, location_id, role in rows]


def market_for_input(code: str) -> MarketInfo:
    """A market named in a request body: unknown is bad input (422), not a missing page."""
    try:
        return get_market(code)
    except NotFound:
        raise Unprocessable(
            f"unknown market {code!r}", code="unknown_market", facts={"market": code}
        ) from None


def _check_coordinate(value: Decimal, limit: int, name: str) -> None:
    if not isinstance(value, Decimal) or not value.is_finite() or abs(value) > limit:
        raise Unprocessable(f"{name} must be a decimal from -{limit} to {limit}", code="invalid_coordinates")
    if value != value.quantize(Decimal("0.000001")):
        raise Unprocessable(f"{name} has more than 6 decimals", code="invalid_coordinates")


@transaction.atomic
def open_store(
    *,
    actor: Actor,
    code: str,
    name: str,
    market: str,
    city: str,
    address: str,
    latitude: Decimal,
    longitude: Decimal,
    opening_hours: dict,
    opened_on: date | None,
) -> Store:
    """Create a store with its own stock location (same code), so it can sell from day one (staff)."""
    actor.require_staff()
    if not STORE_CODE.fullmatch(code):
        raise Unprocessable("store code: 2-32 of A-Z, 0-9 and '-'", code="invalid_store_code")
    if not name.strip() or not city.strip() or not address.strip():
        raise Unprocessable("name, city and address are required", code="missing_field")
    _check_coordinate(latitude, 90, "latitude")
    _check_coordinate(longitude, 180, "longitude")
    parse_opening_hours(opening_hours)
    market_for_input(market)
    if Store.objects.filter(code=code).exists():
        raise Conflict(f"store {code} already exists", code="duplicate_store", facts={"code": code})
    try:
        with transaction.atomic():
            location = create_location(
                code=code,
                name=name,
                kind="store",
                market=market,
                city=city,
                latitude=latitude,
                longitude=longitude,
            )
    except IntegrityError:
        if Store.objects.filter(code=code).exists():  # a twin opened this store at the same moment
            raise Conflict(
                f"store {code} already exists", code="duplicate_store", facts={"code": code}
            ) from None
        raise Conflict(f"a stock location named {code} already exists", code="duplicate_location") from None
    return Store.objects.create(
        code=code,
        name=name,
        market_id=market,
        city=city,
        address=address,
        opening_hours=opening_hours,
        opened_on=opened_on,
        location=location,
    )


def store_for_location(location_id: int) -> Store | None:
    """The store selling from a stock location; None for warehouses."""
    return Store.objects.filter(location_id=location_id).first()


def is_open_at(store: Store, when: datetime) -> bool:
    """Whether the store trades at ``when``: active, already opened, and within its local hours."""
    time_zone = get_market(store.market_id).time_zone
    within_hours = open_at(store.opening_hours, time_zone, when)  # also refuses naive datetimes
    opened = store.opened_on is not None and store.opened_on <= when.astimezone(ZoneInfo(time_zone)).date()
    return store.is_active and opened and within_hours


def public_stores(market: str | None = None) -> QuerySet[Store]:
    """Active stores that have opened (in UTC days; a day's skew does not matter for a directory)."""
    stores = Store.objects.filter(is_active=True, opened_on__lte=timezone.now().date())
    if market is not None:
        get_market(market)  # an unknown market is a 404, not an empty directory
        stores = stores.filter(market_id=market)
    return stores.order_by("market_id", "city", "code")


def stores_of(actor: Actor) -> QuerySet[Store]:
    """Stores the actor works for: all for back-office staff, their own for store staff, none else."""
    if actor.is_staff:
        return Store.objects.order_by("market_id", "code")
    return Store.objects.filter(pk__in=actor.store_roles.keys()).order_by("market_id", "code")


def get_store(actor: Actor | None, code: str) -> Store:
    """A store's page: public while active; a closed store only to its own staff and the back office."""
    visible = Q(is_active=True)
    if actor is not None:
        if actor.is_staff:
            visible = Q()
        else:
            visible |= Q(pk__in=actor.store_roles.keys())
    store = Store.objects.filter(visible, code=code).first()
    if store is None:
        raise NotFound(f"unknown store {code!r}", code="unknown_store")
    return store


def _managed_store(actor: Actor, store_code: str) -> Store:
    store = get_store(actor, store_code)
    if not actor.can_manage(store.pk):
        raise Forbidden("only this store's managers and the back office manage its staff")
    return store


def staff_of(actor: Actor, store_code: str) -> list[StaffMember]:
    """The store's staff, by role, then username (its managers and the back office only)."""
    store = _managed_store(actor, store_code)
    members = list(store.staff.all())
    names = usernames(m.user_id for m in members)
    return sorted(members, key=lambda m: (m.role, names.get(m.user_id, "")))


def _require_role_change(actor: Actor, *roles: str | None) -> None:
    if not actor.is_staff and StaffMember.Role.MANAGER in roles:
        raise Forbidden("only the back office grants or revokes the manager role", code="manager_role")


@transaction.atomic
def assign_staff(store_code: str, user_id: int, role: str, *, actor: Actor) -> StaffMember:
    """Give a user a role at a store, replacing their previous role there."""
    store = _managed_store(actor, store_code)
    if role not in StaffMember.Role.values:
        raise Unprocessable(f"role must be one of {', '.join(StaffMember.Role.values)}", code="invalid_role")
    if not is_active_user(user_id):
        raise NotFound(f"unknown user {user_id}", code="unknown_user")
    current = StaffMember.objects.select_for_update().filter(store=store, user_id=user_id).first()
    _require_role_change(actor, role, current.role if current else None)
    if current is None:
        # No row to lock yet: a twin may give this person a role here at the same moment
        # (one_role_per_user_per_store); the twin's role is then replaced, as in turn.
        current = created_or_found(
            lambda: StaffMember.objects.create(store=store, user_id=user_id, role=role),
            StaffMember.objects.select_for_update().filter(store=store, user_id=user_id).first,
        )
        if current.role == role:  # ours, or a twin's giving the same role
            return current
        _require_role_change(actor, role, current.role)
    current.role = role
    current.save(update_fields=["role"])
    return current


@transaction.atomic
def remove_staff(store_code: str, user_id: int, *, actor: Actor) -> None:
    store = _managed_store(actor, store_code)
    current = StaffMember.objects.select_for_update().filter(store=store, user_id=user_id).first()
    if current is None:
        raise NotFound(f"user {user_id} has no role at {store.code}", code="not_staff")
    _require_role_change(actor, current.role)
    current.delete()


@dataclass(frozen=True)
class StoreOpening:
    """A store as reports see it: ``id`` and ``code``, its market, city, the day it opened, whether
    it still trades (a closed store keeps its history) and the stock location it sells from."""

    id: int
    code: str
    name: str
    market: str
    city: str
    opened_on: date
    is_active: bool
    location_id: int


def store_openings() -> list[StoreOpening]:
    """Every store ever opened, by market and code, with no access check: reporting reads it to
    attribute revenue and count openings, and checks its own readers."""
    rows = Store.objects.order_by("market_id", "code").values_list(
        "id", "code", "name", "market_id", "city", "opened_on", "is_active", "location_id"
    )
    return [StoreOpening(*row) for row in rows]
