"""An order's life as the shopper's order page draws it (``components/timeline.html``): what has
happened, with when, and what comes next. Presentation only: the facts come from the services."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from millet.sales.models import Order, ReturnAuthorization
from millet.sales.services import ReturnSummary


@dataclass(frozen=True)
class Step:
    label: str
    state: str  # "done", "current" or "upcoming"
    at: datetime | None = None
    note: str = ""


def order_timeline(
    order: Order, requests: list[ReturnAuthorization], returns: list[ReturnSummary], refund_to: str
) -> list[Step]:
    """Placed, paid, shipped (with carrier and tracking) or ready and collected, cancelled, then what
    came back in time order: each return request's steps, and each return taken at a till or
    warehouse without a request (``returns``: the order's, ``order_returns``); ``refund_to`` says
    where refunds went ("card", "cash" or "loan")."""
    done: list[tuple[str, datetime | None, str]] = [(_("Order placed"), order.created_at, "")]
    upcoming: list[str] = []
    collect = order.channel == Order.Channel.CLICK_COLLECT
    if order.paid_at:
        done.append((_("Paid"), order.paid_at, ""))
        if collect:
            done.append((_("Ready for pickup"), order.paid_at, ""))
    elif order.status == Order.Status.PLACED:
        upcoming.append(_("Paid"))
    if order.fulfilled_at:
        if collect or order.channel == Order.Channel.POS:
            done.append((_("Collected"), order.fulfilled_at, ""))
        else:
            note = " · ".join(filter(None, (order.carrier, order.tracking_number)))
            done.append((_("Shipped"), order.fulfilled_at, note))
    elif order.status == Order.Status.CANCELLED:
        done.append((_("Cancelled"), order.cancelled_at, ""))
    else:
        upcoming.append(_("Collected") if collect else _("Shipped"))
    refunded = {"loan": _("to your loan"), "cash": _("in cash")}.get(refund_to, _("to your card"))
    # What came back, one group per request or return, the groups in the order they began.
    came_back: list[list[tuple[str, datetime | None, str]]] = []
    taken_back_at = {ret.id: ret.created_at for ret in returns}
    for request in requests:
        units = sum(line.quantity for line in request.lines.all())
        group = [(_("Return requested"), request.requested_at, _units(units))]
        if request.status == ReturnAuthorization.Status.REJECTED:
            group.append((_("Return rejected"), request.decided_at, request.decision_note))
        elif request.decided_at:
            group.append((_("Return approved"), request.decided_at, ""))
        if request.received_id:
            group.append((_("Units received, refunded"), taken_back_at[request.received_id], refunded))
        came_back.append(group)
    through_requests = {request.received_id for request in requests}
    came_back += [
        [(_("Returned, refunded"), ret.created_at, f"{_units(ret.units)} · {refunded}")]
        for ret in returns
        if ret.id not in through_requests
    ]
    for group in sorted(came_back, key=lambda group: group[0][1]):
        done += group
    steps = [Step(label, "done", at, note) for label, at, note in done]
    steps[-1] = Step(steps[-1].label, "current", steps[-1].at, steps[-1].note)
    return steps + [Step(label, "upcoming") for label in upcoming]


def _units(count: int) -> str:
    return ngettext("%(count)s unit", "%(count)s units", count) % {"count": count}
