"""Stock requests: a store's manager asks the warehouses for units, a supply planner approves one as
a transfer from a warehouse (or rejects it), and the store receives the transfer by scanning it.

Rules (issue 11 item 3): only the store's manager (or staff) asks, for their own store; only supply
planners (and staff) decide, and never on a request they made themselves (four eyes). A store's
requests and incoming transfers are its staff's to see; another store's are unknown (404).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.db import transaction
from django.utils import timezone

from millet.accounts.actor import Actor
from millet.catalog.services import sku_id_for, skus_by_id
from millet.core.errors import Conflict, Forbidden, NotFound, Unprocessable
from millet.core.integrity import created_or_found
from millet.inventory.models import Location, StockRequest, StockTransfer
from millet.inventory.services.locations import get_location, usable_location
from millet.inventory.services.stock import check_quantity
from millet.inventory.services.transfers import (
    MAX_TO_STORE,
    receive_transfer,
    transfer_stock,
    unknown_transfer,
)

MAX_NOTE = 255
# A store asks for at most what one transfer brings it (received on one page of scans).
MAX_REQUEST_QUANTITY = MAX_TO_STORE


@dataclass(frozen=True)
class RequestRow:
    """A stock request as pages show it: the SKU by code and name, where it goes, who asked."""

    id: int
    number: str
    location_code: str
    market: str
    sku_code: str
    sku_name: str
    quantity: int
    note: str
    status: str
    status_label: str
    requested_by_id: int
    decision_reason: str
    transfer_id: int | None
    transfer_received: bool
    created_at: datetime


def _rows(requests) -> list[RequestRow]:
    requests = list(requests.select_related("location", "transfer"))
    skus = skus_by_id(r.sku_id for r in requests)
    return [
        RequestRow(
            r.pk,
            str(r),
            r.location.code,
            r.location.market_id,
            skus[r.sku_id].code,
            skus[r.sku_id].name,
            r.quantity,
            r.note,
            r.status,
            r.get_status_display(),
            r.requested_by_id,
            r.decision_reason,
            r.transfer_id,
            r.transfer is not None and r.transfer.status == StockTransfer.Status.RECEIVED,
            r.created_at,
        )
        for r in requests
    ]


def _sku_for_input(sku_code: str) -> int:
    sku_id = sku_id_for(sku_code.strip())
    if sku_id is None:
        raise Unprocessable(f"unknown SKU {sku_code!r}", code="unknown_sku")
    return sku_id


def request_stock(
    actor: Actor, location_code: str, *, sku_code: str, quantity: int, note: str = "", attempt: str = ""
) -> StockRequest:
    """Ask the warehouses for ``quantity`` units of a SKU for a store: its manager (or staff) only.

    ``attempt``: the asking form's one-time key (up to 32 characters; "" for none). Sent again, the
    same request is answered with the one it made and nothing new (a double click, a resent POST);
    with anything else asked, 409 ``attempt_reused``.

    Errors: 404 ``unknown_location`` (not the caller's store), 403 (a cashier), 422 ``unknown_sku``,
    ``invalid_quantity`` (1 to ``MAX_REQUEST_QUANTITY``, what one receive page scans),
    ``invalid_note`` (over 255 characters), ``invalid_attempt`` (over 32 characters).
    """
    location = usable_location(actor, location_code, manager=True)
    if location.kind != Location.Kind.STORE:
        raise Unprocessable("only a store asks for stock", code="not_a_store")
    check_quantity(quantity)
    if quantity > MAX_REQUEST_QUANTITY:
        raise Unprocessable(
            f"a store asks for at most {MAX_REQUEST_QUANTITY} units at once",
            code="invalid_quantity",
            facts={"most": MAX_REQUEST_QUANTITY},
        )
    if len(note) > MAX_NOTE:
        raise Unprocessable(f"the note is at most {MAX_NOTE} characters", code="invalid_note")
    if len(attempt) > 32:
        raise Unprocessable("the attempt key is at most 32 characters", code="invalid_attempt")
    asked = {"sku_id": _sku_for_input(sku_code), "quantity": quantity, "note": note.strip()}
    if attempt and (earlier := StockRequest.objects.filter(location=location, attempt=attempt).first()):
        return _replayed(earlier, asked)
    # A twin sent at the same moment may make it first: answer with that one (ours replays as itself).
    made = created_or_found(
        lambda: StockRequest.objects.create(
            location=location, **asked, requested_by_id=actor.user_id, attempt=attempt
        ),
        lambda: StockRequest.objects.filter(location=location, attempt=attempt).first() if attempt else None,
    )
    return _replayed(made, asked)


def _replayed(earlier: StockRequest, asked: dict) -> StockRequest:
    if {"sku_id": earlier.sku_id, "quantity": earlier.quantity, "note": earlier.note} != asked:
        raise Conflict(f"this attempt already made {earlier}, for something else", code="attempt_reused")
    return earlier


def store_requests(actor: Actor, location_code: str, *, limit: int = 50) -> list[RequestRow]:
    """A store's latest requests, newest first: its staff, supply planners and staff."""
    location = usable_location(actor, location_code)
    return _rows(StockRequest.objects.filter(location=location).order_by("-created_at", "-pk")[:limit])


def pending_requests(actor: Actor) -> list[RequestRow]:
    """Every request waiting for a decision, oldest first (supply planners and staff; 403 otherwise)."""
    actor.require_supply_planner()
    return _rows(StockRequest.objects.filter(status=StockRequest.Status.PENDING).order_by("created_at", "pk"))


def market_warehouses(actor: Actor, market: str) -> list[str]:
    """The codes of a market's active warehouses, which a planner ships a request from (planners
    and staff; 403 otherwise)."""
    actor.require_supply_planner()
    return list(
        Location.objects.filter(kind=Location.Kind.WAREHOUSE, market_id=market, is_active=True)
        .order_by("code")
        .values_list("code", flat=True)
    )


def _pending(actor: Actor, request_id: int, *, lock: bool) -> StockRequest:
    actor.require_supply_planner()
    requests = StockRequest.objects.select_related("location")
    request = (requests.select_for_update() if lock else requests).filter(pk=request_id).first()
    if request is None:
        raise NotFound(f"unknown stock request {request_id}", code="unknown_request")
    if request.requested_by_id == actor.user_id:
        raise Forbidden("nobody approves or rejects their own stock request", code="own_request")
    if request.status != StockRequest.Status.PENDING:
        raise Conflict(f"{request} is already {request.status}", code="request_decided")
    return request


def _decided(request: StockRequest, actor: Actor, status: str, reason: str, **fields) -> StockRequest:
    StockRequest.objects.filter(pk=request.pk).update(
        status=status,
        decided_by_id=actor.user_id,
        decided_at=timezone.now(),
        decision_reason=reason,
        **fields,
    )
    request.refresh_from_db()
    return request


@transaction.atomic
def approve_request(actor: Actor, request_id: int, *, source_code: str) -> StockRequest:
    """Approve a pending request as a transfer from warehouse ``source_code`` to the store.

    Supply planners and staff only (403), never the requester (403 ``own_request``); 404
    ``unknown_request``; 409 ``request_decided``; 422 ``not_a_warehouse`` (a store, or another
    market's warehouse); 409 ``out_of_stock`` (the warehouse lacks the units: nothing changes).
    """
    request = _pending(actor, request_id, lock=True)
    source = get_location(source_code)
    if source.kind != Location.Kind.WAREHOUSE or source.market_id != request.location.market_id:
        raise Unprocessable(f"{source.code} is not a warehouse of this market", code="not_a_warehouse")
    transfer = transfer_stock(
        actor=actor,
        sku_id=request.sku_id,
        source_id=source.pk,
        destination_id=request.location_id,
        quantity=request.quantity,
    )
    return _decided(request, actor, StockRequest.Status.APPROVED, "", transfer=transfer)


@transaction.atomic
def reject_request(actor: Actor, request_id: int, *, reason: str) -> StockRequest:
    """Reject a pending request with a reason (1 to 255 characters; 422 ``reason_required``); the
    same people and refusals as ``approve_request``."""
    if not reason.strip() or len(reason) > MAX_NOTE:
        raise Unprocessable(
            f"a rejection needs a reason of at most {MAX_NOTE} characters", code="reason_required"
        )
    request = _pending(actor, request_id, lock=True)
    return _decided(request, actor, StockRequest.Status.REJECTED, reason.strip())


@dataclass(frozen=True)
class IncomingTransfer:
    """A transfer on its way to a store: what to scan when it arrives."""

    id: int
    number: str
    source_code: str
    sku_code: str
    sku_name: str
    quantity: int
    serials: list[str]
    created_at: datetime


def incoming_transfers(actor: Actor, location_code: str) -> list[IncomingTransfer]:
    """Transfers in transit to a store, oldest first (its staff, supply planners and staff)."""
    location = usable_location(actor, location_code)
    transfers = list(
        StockTransfer.objects.filter(destination=location, status=StockTransfer.Status.IN_TRANSIT)
        .select_related("source")
        .order_by("created_at", "pk")
    )
    skus = skus_by_id(t.sku_id for t in transfers)
    return [
        IncomingTransfer(
            t.pk,
            f"TR-{t.pk}",
            t.source.code,
            skus[t.sku_id].code,
            skus[t.sku_id].name,
            t.quantity,
            list(t.serials),
            t.created_at,
        )
        for t in transfers
    ]


def incoming_transfer(actor: Actor, location_code: str, transfer_id: int) -> IncomingTransfer:
    """One transfer in transit to the store; 404 ``unknown_transfer`` for any other id."""
    for transfer in incoming_transfers(actor, location_code):
        if transfer.id == transfer_id:
            return transfer
    raise unknown_transfer()


def check_scan(transfer: IncomingTransfer, scanned: list[str], code: str) -> str:
    """One more scan while receiving ``transfer``: a serial it carries, or (units without serials)
    its SKU code once per unit. Returns the scan as kept; 422 ``empty_scan``, ``not_in_transfer``
    (another unit or SKU), ``already_scanned`` (a serial twice), ``too_many_scans``; the two that
    name a scan carry it as the fact ``code``."""
    code = code.strip()
    if not code:
        raise Unprocessable("scan a serial or a SKU code", code="empty_scan")
    if transfer.serials:
        if code not in transfer.serials:
            raise Unprocessable(
                f"{code} is not a unit of {transfer.number}", code="not_in_transfer", facts={"code": code}
            )
        if code in scanned:
            raise Unprocessable(f"{code} is already scanned", code="already_scanned", facts={"code": code})
    elif code.upper() != transfer.sku_code.upper():
        raise Unprocessable(
            f"{code} is not the SKU of {transfer.number}", code="not_in_transfer", facts={"code": code}
        )
    else:
        code = transfer.sku_code
    if len(scanned) >= transfer.quantity:
        raise Unprocessable(f"all {transfer.quantity} units are already scanned", code="too_many_scans")
    return code


def receive_scanned(actor: Actor, location_code: str, transfer_id: int, scanned: list[str]) -> StockTransfer:
    """Book a transfer's arrival once every unit is scanned (``check_scan`` each): the store's staff.

    422 ``incomplete_scan`` when units are missing, and each bad scan as ``check_scan`` says; then
    as ``receive_transfer`` (409 ``already_received``)."""
    transfer = incoming_transfer(actor, location_code, transfer_id)
    kept: list[str] = []
    for code in scanned:
        kept.append(check_scan(transfer, kept, code))
    if len(kept) != transfer.quantity:
        raise Unprocessable(
            f"{len(kept)} of {transfer.quantity} units scanned: scan them all first", code="incomplete_scan"
        )
    return receive_transfer(actor, transfer_id)
