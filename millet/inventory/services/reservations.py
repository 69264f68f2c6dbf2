"""Holding units for an order line (allocation), then releasing, confirming or consuming the hold.

Allocation strategy (``reserve_stock``): take from the buyer's chosen store first (click-and-collect,
or the store where a point-of-sale sale happens), then from the market's warehouses nearest to the
buyer's city (great-circle distance), splitting a line across locations when one cannot cover it.
Other stores' shelves are never used to ship web orders: their stock is for walk-in buyers."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import timedelta

from django.db import connection, transaction
from django.db.models import F
from django.utils import timezone

from millet.core import sql
from millet.core.errors import Conflict, Unprocessable
from millet.inventory.models import (
    Location,
    Reservation,
    SerialUnit,
    Stock,
    StockMovement,
)
from millet.inventory.services.locations import distance_km
from millet.inventory.services.stock import MAX_HOLD, OutOfStock, check_quantity, movement


@dataclass(frozen=True)
class Held:
    """Units held for a reference at one location (its stock row ``stock_id``), and that location's
    state (ISO 3166-2, "" if unknown)."""

    reservation_id: int
    sku_id: int
    location_id: int
    quantity: int
    state: str
    stock_id: int = 0


# --- reservations --------------------------------------------------------------------------------


@dataclass(frozen=True)
class HoldRequest:
    """Units of one SKU to hold for ``reference`` (an order line); ``backorder_ok``: when they cannot
    all be held, hold none and answer None for this line instead of failing the whole call."""

    sku_id: int
    quantity: int
    reference: str
    backorder_ok: bool = False


@dataclass(frozen=True)
class _Candidate:
    """A stock row allocation may take from, with the facts of its location that allocation uses."""

    stock_id: int
    sku_id: int
    location_id: int
    quantity: int
    reserved: int
    state: str
    code: str
    latitude: float
    longitude: float


# The candidate rows: SQL rather than the ORM (see core.sql), read on every checkout.
_CANDIDATES = f"""
SELECT s.id, s.sku_id, s.location_id, s.quantity, s.reserved, l.state, l.code, l.latitude, l.longitude
FROM {Stock._meta.db_table} s JOIN {Location._meta.db_table} l ON l.id = s.location_id
WHERE s.sku_id IN ({{skus}}) AND l.market_id = %s AND l.is_active AND (l.kind = %s OR s.location_id = %s)
"""


def _candidate_locations(
    sku_ids: Sequence[int],
    market: str,
    *,
    store_location_id: int | None,
    only_store: bool,
    near: tuple[float, float] | None,
) -> dict[int, list[_Candidate]]:
    """Each SKU's stock rows in allocation order (see module docstring), in one query: the market's
    active warehouses, and the store's own row."""
    found = sql.rows(
        _CANDIDATES.format(skus=sql.placeholders(len(sku_ids))),
        [*sku_ids, market, Location.Kind.WAREHOUSE, store_location_id],
    )
    rows = [_Candidate(*row[:7], float(row[7]), float(row[8])) for row in found]
    if near is not None:
        rows.sort(key=lambda r: distance_km(near[0], near[1], r.latitude, r.longitude))
    else:
        rows.sort(key=lambda r: r.code)
    ordered: dict[int, list[_Candidate]] = {sku_id: [] for sku_id in sku_ids}
    for row in rows:  # the store's row first; the warehouses after it, unless only the store may serve
        if row.location_id == store_location_id:
            ordered[row.sku_id].insert(0, row)
        elif not only_store:
            ordered[row.sku_id].append(row)
    return ordered


def _take(stock_id: int, want: int) -> int:
    """Reserve up to ``want`` units of one stock row; returns how many were taken (0 if none left)."""
    while want > 0:
        if Stock.objects.filter(pk=stock_id, quantity__gte=F("reserved") + want).update(
            reserved=F("reserved") + want
        ):
            return want
        row = Stock.objects.filter(pk=stock_id).values("quantity", "reserved").first()
        free = row["quantity"] - row["reserved"] if row else 0
        if free <= 0:
            return 0
        want = min(want, free)
    return 0


# Every planned take in one statement: a conditional UPDATE per stock row (the same rule as
# ``_take``) and the reservations of the rows it took, inserted from its RETURNING. The plan travels
# as one JSON parameter: psycopg adapts each array parameter by scanning it for its element type.
_TAKE_ALL_PG = f"""
WITH taken AS (
  UPDATE {Stock._meta.db_table} AS s SET reserved = s.reserved + v.quantity
    FROM json_to_recordset(%(plan)s::json) AS v(stock_id bigint, quantity int, reference text)
   WHERE s.id = v.stock_id AND s.quantity >= s.reserved + v.quantity
  RETURNING s.id AS stock_id, v.quantity, v.reference
)
INSERT INTO {Reservation._meta.db_table} (stock_id, quantity, reference, status, expires_at, created_at)
SELECT stock_id, quantity, reference, %(status)s, %(expires)s, %(now)s FROM taken
RETURNING id, stock_id
"""


def _take_all(plan: list[tuple[_Candidate, int, str]], expires_at) -> dict[int, int]:
    """Take each planned (stock row, units, reference) if the row still has the units free, and
    write its reservation; returns reservation ids by stock row id for the rows taken."""
    if not plan:
        return {}
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(
                _TAKE_ALL_PG,
                {
                    "plan": json.dumps(
                        [
                            {"stock_id": row.stock_id, "quantity": units, "reference": reference}
                            for row, units, reference in plan
                        ]
                    ),
                    "status": Reservation.Status.ACTIVE,
                    "expires": expires_at,
                    "now": timezone.now(),
                },
            )
            return {stock_id: pk for pk, stock_id in cursor.fetchall()}
    taken = [
        (row, units, reference)
        for row, units, reference in plan
        if Stock.objects.filter(pk=row.stock_id, quantity__gte=F("reserved") + units).update(
            reserved=F("reserved") + units
        )
    ]
    created = Reservation.objects.bulk_create(
        Reservation(stock_id=row.stock_id, quantity=units, reference=reference, expires_at=expires_at)
        for row, units, reference in taken
    )
    return {r.stock_id: r.pk for r in created}


def _give_back(held: list[Held]) -> None:
    """Undo holds made earlier in this transaction (a line that then turned out short)."""
    for h in held:
        Stock.objects.filter(pk=h.stock_id).update(reserved=F("reserved") - h.quantity)
    Reservation.objects.filter(pk__in=[h.reservation_id for h in held]).delete()


@transaction.atomic(savepoint=False)  # a line that comes up short gives back what it held
def reserve_many(
    requests: Sequence[HoldRequest],
    *,
    market: str,
    store_location_id: int | None = None,
    only_store: bool = False,
    near: tuple[float, float] | None = None,
    ttl_seconds: int | None = None,
) -> list[list[Held] | None]:
    """Hold every request's units (allocation: see module docstring; one request per SKU, 422
    ``duplicate_sku`` otherwise); per request, its holds, or None
    for a ``backorder_ok`` one that could not be held whole (it holds nothing). Any other request
    short of stock raises OutOfStock; the caller's transaction then holds nothing either.

    Set-based: one read of all candidate rows, then the planned takes and their reservations in one
    statement. Only a row that another checkout emptied since the read sends its line back to
    taking row by row (``_take``), from that row on.
    """
    for request in requests:
        # A hold may keep a campaign's whole stock; what a customer asks for is bounded where it
        # comes in (an order's or a cart's line: MAX_QUANTITY).
        check_quantity(request.quantity, MAX_HOLD)
    if len({r.sku_id for r in requests}) != len(requests):  # each stock row is taken once per statement
        raise Unprocessable("one request per SKU: merge the lines first", code="duplicate_sku")
    expires_at = timezone.now() + timedelta(seconds=ttl_seconds) if ttl_seconds else None
    candidates = _candidate_locations(
        [r.sku_id for r in requests],
        market,
        store_location_id=store_location_id,
        only_store=only_store,
        near=near,
    )
    plan: list[tuple[_Candidate, int, str]] = []
    results: list[list[Held] | None] = []
    for request in requests:
        remaining, planned = request.quantity, []
        for row in candidates[request.sku_id]:
            units = min(remaining, row.quantity - row.reserved)
            if units > 0:
                planned.append((row, units, request.reference))
                remaining -= units
            if remaining == 0:
                break
        if remaining and not request.backorder_ok:
            raise OutOfStock(
                f"only {request.quantity - remaining} of {request.quantity} units available",
                code="out_of_stock",
            )
        results.append(None if remaining else [])
        if not remaining:
            plan.extend(planned)
    taken = _take_all(plan, expires_at)
    for index, request in enumerate(requests):
        held = results[index]
        if held is None:
            continue
        mine = [(row, units) for row, units, reference in plan if reference == request.reference]
        held.extend(
            Held(taken[row.stock_id], request.sku_id, row.location_id, units, row.state, row.stock_id)
            for row, units in mine
            if row.stock_id in taken
        )
        remaining = request.quantity - sum(h.quantity for h in held)
        if remaining:  # raced: from the first row it missed on, one row at a time against what is free now
            rows = candidates[request.sku_id]
            first_missed = next(row for row, _ in mine if row.stock_id not in taken)
            remaining = _take_rows(rows[rows.index(first_missed) :], request, remaining, expires_at, held)
        if remaining:
            if not request.backorder_ok:
                raise OutOfStock(
                    f"only {request.quantity - remaining} of {request.quantity} units available",
                    code="out_of_stock",
                )
            _give_back(held)
            results[index] = None
    return results


def _take_rows(
    rows: list[_Candidate], request: HoldRequest, remaining: int, expires_at, held: list[Held]
) -> int:
    """Take what is free now from ``rows`` in order; appends to ``held``; returns the units still missing."""
    for row in rows:
        if remaining == 0:
            break
        if any(h.stock_id == row.stock_id for h in held):
            continue
        got = _take(row.stock_id, remaining)
        if got:
            reservation = Reservation.objects.create(
                stock_id=row.stock_id, quantity=got, reference=request.reference, expires_at=expires_at
            )
            held.append(Held(reservation.pk, request.sku_id, row.location_id, got, row.state, row.stock_id))
            remaining -= got
    return remaining


def reserve_stock(
    *,
    sku_id: int,
    quantity: int,
    market: str,
    reference: str,
    store_location_id: int | None = None,
    only_store: bool = False,
    near: tuple[float, float] | None = None,
    ttl_seconds: int | None = None,
) -> list[Held]:
    """Hold ``quantity`` units for ``reference`` or raise OutOfStock having held nothing
    (``reserve_many`` for one line)."""
    (held,) = reserve_many(
        [HoldRequest(sku_id, quantity, reference)],
        market=market,
        store_location_id=store_location_id,
        only_store=only_store,
        near=near,
        ttl_seconds=ttl_seconds,
    )
    return held


def _active(reference: str):
    return Reservation.objects.filter(reference=reference, status=Reservation.Status.ACTIVE)


@transaction.atomic
def release_reservations(reference: str, *, status: str = Reservation.Status.RELEASED) -> int:
    """Give held units back to the shelf; returns how many units were released."""
    released = 0
    for res in _active(reference).select_for_update():
        Stock.objects.filter(pk=res.stock_id).update(reserved=F("reserved") - res.quantity)
        Reservation.objects.filter(pk=res.pk).update(status=status)
        released += res.quantity
    return released


def confirm_reservations(reference: str) -> None:
    """A paid order keeps its units until it ships: the hold no longer expires."""
    _active(reference).update(expires_at=None)


def held_for(reference: str) -> list[Held]:
    return [
        Held(r.pk, r.stock.sku_id, r.stock.location_id, r.quantity, r.stock.location.state, r.stock_id)
        for r in _active(reference).select_related("stock__location")
    ]


@transaction.atomic
def consume_reservations(
    reference: str, *, serials: Sequence[str] = (), serialized: bool = False
) -> list[str]:
    """Ship what is held: units leave the shelf; serialized units get (or check) their serial numbers.

    ``serials`` names the exact units (a cashier's scan); otherwise units are picked from the
    location, skipping rows another picker has locked.
    """
    assigned: list[str] = []
    wanted = list(serials)
    for res in _active(reference).select_for_update().select_related("stock"):
        stock = res.stock
        if serialized:
            if wanted:
                chosen = wanted[: res.quantity]
                wanted = wanted[res.quantity :]
                if len(chosen) != res.quantity:
                    raise Unprocessable("one serial per unit is needed", code="serials_mismatch")
            else:
                chosen = list(
                    SerialUnit.objects.select_for_update(skip_locked=True)
                    .filter(
                        sku_id=stock.sku_id, location_id=stock.location_id, status=SerialUnit.Status.IN_STOCK
                    )
                    .order_by("received_at", "pk")
                    .values_list("serial", flat=True)[: res.quantity]
                )
            sold = SerialUnit.objects.filter(
                serial__in=chosen,
                sku_id=stock.sku_id,
                location_id=stock.location_id,
                status=SerialUnit.Status.IN_STOCK,
            ).update(status=SerialUnit.Status.SOLD, sold_reference=reference)
            if sold != res.quantity or len(chosen) != res.quantity:
                where = {"location": Location.objects.get(pk=stock.location_id).code}
                if not serials:  # picked here, not scanned: the shelf lacks units
                    raise Conflict(
                        f"{where['location']} has {len(chosen)} of the {res.quantity} serialized units held",
                        code="serials_short",
                        facts={**where, "held": res.quantity, "found": len(chosen)},
                    )
                raise Conflict(
                    "a scanned serial is not in stock here", code="serial_not_in_stock", facts=where
                )
            assigned.extend(chosen)
        Stock.objects.filter(pk=stock.pk).update(
            quantity=F("quantity") - res.quantity, reserved=F("reserved") - res.quantity
        )
        Reservation.objects.filter(pk=res.pk).update(status=Reservation.Status.CONSUMED)
        movement(stock.sku_id, stock.location_id, -res.quantity, StockMovement.Reason.SALE, reference).save()
    if wanted:
        raise Unprocessable("more serials than units", code="serials_mismatch")
    return assigned


@transaction.atomic
def expire_reservations(now=None) -> list[str]:
    """Release holds whose time ran out; returns the references so their owners can react."""
    now = now or timezone.now()
    expired = Reservation.objects.filter(status=Reservation.Status.ACTIVE, expires_at__lte=now)
    references = sorted(set(expired.values_list("reference", flat=True)))
    for reference in references:
        release_reservations(reference, status=Reservation.Status.EXPIRED)
    return references
