"""Returns a shopper asks for (an RMA): the buyer requests units back with a reason, staff approve
or reject, and when the units arrive staff receive them, which refunds them through ``return_order``
(so the money goes back to the order's own payment: the card, or the loan that paid it).

States: requested -> approved -> refunded, or requested -> rejected. A unit can be in one open
request at a time: what may still be asked for is fulfilled - returned - in open requests.
"""

from __future__ import annotations

from collections.abc import Sequence
from operator import attrgetter

from django.db import transaction
from django.db.models import Sum
from django.utils import timezone

from millet.accounts.actor import SYSTEM, Actor
from millet.core.errors import Conflict, Forbidden, NotFound, Unprocessable
from millet.core.idempotency import fingerprint, keyed_create, keyed_result
from millet.sales.models import Order, ReturnAuthorization, ReturnAuthorizationLine, ReturnLine
from millet.sales.services.orders import get_order
from millet.sales.services.returns import (
    RETURNABLE,
    ReturnRequest,
    check_returnable,
    merge_return_lines,
    return_order,
)

OPEN = (ReturnAuthorization.Status.REQUESTED, ReturnAuthorization.Status.APPROVED)
MAX_TEXT = 500


def returnable_units(order: Order) -> dict[int, int]:
    """Order line id -> units the buyer may still ask to return (none unless the order was
    fulfilled): fulfilled, less returned, less those in open requests."""
    if order.status not in RETURNABLE:
        return {line.pk: 0 for line in order.lines.all()}
    asked = dict(
        ReturnAuthorizationLine.objects.filter(authorization__order=order, authorization__status__in=OPEN)
        .values("line_id")
        .annotate(units=Sum("quantity"))
        .values_list("line_id", "units")
    )
    return {
        line.pk: line.quantity_fulfilled - line.quantity_returned - asked.get(line.pk, 0)
        for line in order.lines.all()
    }


def units_to_request(order: Order, *, besides: ReturnAuthorization | None = None) -> dict[int, int]:
    """``returnable_units`` when the buyer may ask for any; else why not: 409 ``already_returned``,
    ``not_returnable`` (``check_returnable``) or ``over_returned`` (every unit left is in an open
    request: a request sent twice meets its twin's units).

    ``besides``: the request a resent form already made (``requested_return``). While it is open, its
    units count as free again, so the resent form is read as it was first read (once it is rejected
    or received, ``returnable_units`` already counts its units as free or back), and
    ``request_return`` answers it as the first, or 409 ``idempotency_key_reused`` when its choices
    changed (nothing is asked).
    It is read on the same path as a new form: an order whose units are all back since is said so
    (409 ``already_returned``), never offered the units that came back as if they could be asked for."""
    check_returnable(order)
    left = returnable_units(order)
    holding = besides is not None and besides.status in OPEN  # a closed one holds no units: none to free
    for asked in besides.lines.all() if holding else ():
        left[asked.line_id] = left.get(asked.line_id, 0) + asked.quantity
    if not any(left.values()):
        raise Conflict("every unit left is in a return request already", code="over_returned")
    return left


@transaction.atomic
def request_return(
    actor: Actor,
    number: str,
    *,
    lines: Sequence[ReturnRequest],
    reason: str,
    details: str = "",
    idempotency_key: str | None = None,
) -> ReturnAuthorization:
    """The buyer asks to return ``lines`` (order line id and units; serials are scanned on receipt).

    Errors: NotFound ``unknown_order`` (not the actor's order to see); Forbidden (someone else's
    order, e.g. staff); Unprocessable ``unknown_reason`` (not a ``ReturnAuthorization.Reason``),
    ``details_too_long`` (over 500 characters), ``empty_return``, ``invalid_quantity``,
    ``unknown_line``; Conflict ``already_returned`` (every unit is back), ``not_returnable`` (not yet
    fulfilled, or cancelled), ``over_returned`` (more units than may still be asked for: a request
    sent twice meets its twin's units here).

    The buyer's ``idempotency_key`` (the return page sends its form's ``attempt``) makes a request
    sent twice (a double click, a reload of the POST) answer with the first, asking nothing twice;
    the same key with another request is 409 ``idempotency_key_reused`` (``core.idempotency``).
    """
    order = get_order(actor, number, for_update=True)  # a twin waits here for the first to commit
    if order.customer_id != actor.user_id:
        raise Forbidden("only the buyer asks to return an order")
    request = fingerprint(
        "request_return",
        number=number,
        lines=sorted((req.line_id, req.quantity) for req in lines),
        reason=reason,
        details=details.strip(),
    )
    return keyed_create(
        actor.user_id,
        idempotency_key,
        request,
        lambda: _request(actor, order, lines, reason, details),
        remember=attrgetter("pk"),
        replay=_authorization,
    )


def _authorization(pk: str) -> ReturnAuthorization:
    return ReturnAuthorization.objects.get(pk=pk)


def requested_return(actor: Actor, order: Order, idempotency_key: str) -> ReturnAuthorization | None:
    """The return on ``order`` the actor's request with this key made, None if none did: for the
    page that must tell a resent form from a new one before validating it (the first took the units
    it offers; ``units_to_request(besides=...)`` gives them back). Only that: the page then sends the
    form to ``request_return``, which answers the same form as the first and another with 409
    ``idempotency_key_reused``. A key the person used for another verb (its result another table's
    id) or another order's return is no return here; ``request_return`` refuses it as reused."""

    def on_this_order(pk: str) -> ReturnAuthorization | None:
        if not pk.isdigit():
            return None
        return ReturnAuthorization.objects.filter(order=order, pk=int(pk)).first()

    return keyed_result(actor.user_id, idempotency_key, on_this_order)


def _request(
    actor: Actor, order: Order, lines: Sequence[ReturnRequest], reason: str, details: str
) -> ReturnAuthorization:
    if reason not in ReturnAuthorization.Reason.values:
        raise Unprocessable(f"unknown reason {reason!r}", code="unknown_reason")
    if len(details) > MAX_TEXT:
        raise Unprocessable(f"details are longer than {MAX_TEXT} characters", code="details_too_long")
    left = units_to_request(order)
    if not lines:
        raise Unprocessable("say which units to return", code="empty_return")
    lines = merge_return_lines(lines)
    for req in lines:
        if req.line_id not in left:
            raise Unprocessable(f"line {req.line_id} is not on this order", code="unknown_line")
        if req.quantity > left[req.line_id]:
            raise Conflict(
                f"only {left[req.line_id]} units of line {req.line_id} can still be returned",
                code="over_returned",
            )
    authorization = ReturnAuthorization.objects.create(
        order=order,
        reason=reason,
        details=details.strip(),
        requested_by_id=actor.user_id,
        requested_at=timezone.now(),
    )
    ReturnAuthorizationLine.objects.bulk_create(
        ReturnAuthorizationLine(authorization=authorization, line_id=req.line_id, quantity=req.quantity)
        for req in lines
    )
    return authorization


def _visible(actor: Actor):
    qs = ReturnAuthorization.objects.select_related("order").prefetch_related("lines__line")
    return qs if actor.is_staff else qs.filter(order__customer_id=actor.user_id)


def get_return_authorization(actor: Actor, authorization_id: int, *, for_update: bool = False):
    """The request if the actor may see it (staff: any; a shopper: their orders'); 404 otherwise."""
    qs = _visible(actor).filter(pk=authorization_id)
    if for_update:
        qs = qs.select_for_update(of=("self",))
    found = qs.first()
    if found is None:
        raise NotFound(f"no return request {authorization_id}", code="unknown_return_request")
    return found


def return_authorizations(
    actor: Actor, *, number: str | None = None, status: str | None = None, limit: int = 100
) -> list[ReturnAuthorization]:
    """Requests newest first: of one order the actor may see (``number``), or every order's (staff
    only, else Forbidden), optionally in one ``status``."""
    if number is not None:
        qs = _visible(SYSTEM).filter(order=get_order(actor, number))
    else:
        actor.require_staff()
        qs = _visible(actor)
    if status:
        qs = qs.filter(status=status)
    return list(qs.order_by("-requested_at", "-pk")[:limit])


@transaction.atomic
def decide_return(
    actor: Actor, authorization_id: int, *, approve: bool, note: str = ""
) -> ReturnAuthorization:
    """Staff approve a requested return (the buyer may send the units) or reject it with ``note``.

    Errors: Forbidden (not staff, before any lookup); NotFound ``unknown_return_request``;
    Unprocessable ``note_required`` (a rejection says why), ``note_too_long``; Conflict
    ``not_requested`` (already decided).
    """
    actor.require_staff()
    note = note.strip()
    if len(note) > MAX_TEXT:
        raise Unprocessable(
            f"the note is longer than {MAX_TEXT} characters", code="note_too_long", facts={"limit": MAX_TEXT}
        )
    if not approve and not note:
        raise Unprocessable("say why the return is rejected", code="note_required")
    authorization = get_return_authorization(actor, authorization_id, for_update=True)
    if authorization.status != ReturnAuthorization.Status.REQUESTED:
        raise Conflict(f"the request is {authorization.status}", code="not_requested")
    authorization.status = (
        ReturnAuthorization.Status.APPROVED if approve else ReturnAuthorization.Status.REJECTED
    )
    authorization.decided_by_id, authorization.decided_at = actor.user_id, timezone.now()
    authorization.decision_note = note
    authorization.save(update_fields=["status", "decided_by", "decided_at", "decision_note"])
    return authorization


@transaction.atomic
def receive_return(
    actor: Actor,
    authorization_id: int,
    *,
    warehouse_code: str | None = None,
    store_code: str | None = None,
    serials: dict[int, Sequence[str]] | None = None,
) -> ReturnAuthorization:
    """Staff take the approved units back at a warehouse or store and refund them (``return_order``:
    stock back on that shelf, each line's share refunded to the order's payment through the
    ledger). ``serials`` maps order line id -> the scanned serial numbers of a serialized line.

    Errors: Forbidden (not staff, before any lookup); NotFound ``unknown_return_request``; Conflict
    ``already_received`` (a second click: refunded already), ``not_approved`` (requested or
    rejected); and every refusal of ``return_order`` (location, serial checks).
    """
    actor.require_staff()
    authorization = get_return_authorization(actor, authorization_id, for_update=True)
    if authorization.status == ReturnAuthorization.Status.REFUNDED:
        raise Conflict("the request's units are received already", code="already_received")
    if authorization.status != ReturnAuthorization.Status.APPROVED:
        raise Conflict(f"the request is {authorization.status}, not approved", code="not_approved")
    serials = serials or {}
    received = return_order(
        actor,
        authorization.order.number,
        lines=[
            ReturnRequest(line.line_id, line.quantity, tuple(serials.get(line.line_id, ())))
            for line in authorization.lines.all()
        ],
        warehouse_code=warehouse_code,
        store_code=store_code,
        reason=f"{authorization.reason}: {authorization.details}"[:255],
    )
    authorization.status, authorization.received = ReturnAuthorization.Status.REFUNDED, received
    authorization.save(update_fields=["status", "received"])
    return authorization


def defective_returned_serials(actor: Actor) -> set[str]:
    """Serials of the units received back on a return request whose reason is ``defective`` (the
    buyer's word, accepted by staff who approved and received it): quality control's count of
    units returned as faulty, e.g. insights' failure rate per production batch. Returns taken at a
    till carry a free-text reason and are not counted. Staff only (403)."""
    actor.require_staff()
    found: set[str] = set()
    for serials in ReturnLine.objects.filter(
        ret__authorization__reason=ReturnAuthorization.Reason.DEFECTIVE
    ).values_list("serials", flat=True):
        found.update(serials)
    return found
