"""Staff pages of the after-sale: ship an order with its carrier and tracking number, and handle
return requests (approve or reject, then receive the units, which refunds them). Staff only:
everyone else gets 403 before any lookup, as the services decide."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext_lazy
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from millet.accounts.actor import request_actor
from millet.core.errors import Conflict, NotFound, Unprocessable
from millet.core.not_found import as_404
from millet.core.refusals import refusal_words
from millet.sales import services
from millet.sales.forms import REASONS, DecisionForm, ReceiveForm, ShipForm
from millet.sales.views import RETURN_STATUS, order_page, order_view, refused_step


def staff_actor(request: HttpRequest):
    actor = request_actor(request) if request.user.is_authenticated else None
    if actor is None or not actor.is_staff:
        raise PermissionDenied("staff only")
    return actor


# Why the shipping form was refused, as staff read it (the service's limit in it).
SHIP_REFUSALS = {
    "carrier_too_long": gettext_lazy("The carrier's name is longer than %(limit)s characters."),
    "tracking_number_too_long": gettext_lazy("The tracking number is longer than %(limit)s characters."),
}


@require_POST
@order_view
def ship(request: HttpRequest, actor, order) -> HttpResponse:
    """Fulfil a paid web order with the carrier and tracking number the buyer then sees; a refused
    form comes back on the order's page (422), and an order not waiting to ship is that page
    saying why (409: shipped already, waiting for stock, unpaid or cancelled, a store's order)."""
    if not actor.is_staff:
        raise PermissionDenied("staff only")
    form = ShipForm(request.POST)
    if not form.is_valid():
        return order_page(request, actor, order, status=422, ship_form=form)
    try:
        services.fulfil_order(actor, order.number, **form.cleaned_data)
    except Conflict as exc:  # the order's state, not the form: shipped already (a second click)...
        return refused_step(request, actor, order.number, exc)
    except Unprocessable as exc:
        form.add_error(None, refusal_words(exc, SHIP_REFUSALS))
        return order_page(request, actor, order, status=exc.status_code, ship_form=form)
    messages.success(request, _("Order %(number)s is shipped.") % {"number": order.number})
    return redirect("sales:order", number=order.number)


@require_safe
def returns(request: HttpRequest) -> HttpResponse:
    """Return requests still to handle (requested or approved), oldest first."""
    actor = staff_actor(request)
    waiting = [
        r
        for status in ("requested", "approved")
        for r in services.return_authorizations(actor, status=status)
    ]
    rows = [
        {"request": r, "status": RETURN_STATUS[r.status]}
        for r in sorted(waiting, key=lambda r: r.requested_at)
    ]
    return render(request, "sales/staff_returns.html", {"rows": rows})


# Why a request cannot be decided or received, as staff read it: the services' conflicts (said above
# the request) and their refusals of the forms, naming the serial, SKU or warehouse concerned.
REQUEST_REFUSALS = {
    "not_requested": gettext_lazy("This request has already been decided."),
    "already_received": gettext_lazy("These units are already received and refunded."),
    "not_approved": gettext_lazy("Only an approved request's units are received: this one is not approved."),
    "serial_already_returned": gettext_lazy("The unit %(serial)s is already returned."),
    "over_returned": gettext_lazy("Some of these units are already returned."),
    "cash_refund_needs_till": gettext_lazy(
        "This order was paid in cash: take its units back at a store's till, which pays the cash back."
    ),
    "note_required": gettext_lazy("Say why the return is rejected: the shopper reads the note."),
    "note_too_long": gettext_lazy("The note is longer than %(limit)s characters."),
    "unknown_location": gettext_lazy("There is no warehouse with the code %(location)s."),
    "serial_required": gettext_lazy("%(sku)s has serial numbers: tick each unit that came back."),
    "sku_not_serialized": gettext_lazy("%(sku)s has no serial numbers: tick none of its units."),
    "duplicate_serial": gettext_lazy("A unit was ticked twice."),
    "serials_mismatch": ngettext_lazy(
        "The request returns %(quantity)s of %(sku)s, but %(scanned)s unit is ticked.",
        "The request returns %(quantity)s of %(sku)s, but %(scanned)s units are ticked.",
        "scanned",
    ),
    "unknown_serial": gettext_lazy("There is no unit with the serial number %(serial)s."),
    "serial_wrong_sku": gettext_lazy("The unit %(serial)s is of another product."),
    "serial_not_on_order": gettext_lazy("The unit %(serial)s was not sold on this order."),
}
# The field of the form a refusal is about; any other is said above the whole form.
REFUSED_FIELD = {"note_required": "note", "note_too_long": "note", "unknown_location": "warehouse_code"}


def _receive_form(request: HttpRequest, actor, authorization) -> ReceiveForm:
    """The receive form: for each serialized line, the units sold on it that may come back."""
    order = authorization.order
    sold: dict[int, list[str]] = {}
    for unit in services.sold_units(actor, order.number):
        sold.setdefault(unit.sku_id, []).append(unit.serial)
    titles = services.sku_titles(x.line.sku_id for x in authorization.lines.all())
    serials = [
        (x.line_id, titles.get(x.line.sku_id, ""), sold[x.line.sku_id])
        for x in authorization.lines.all()
        if sold.get(x.line.sku_id)
    ]
    return ReceiveForm(request.POST if request.POST.get("action") == "receive" else None, serials=serials)


@require_http_methods(["GET", "HEAD", "POST"])
def return_request(request: HttpRequest, pk: int) -> HttpResponse:
    """One request: the shopper's reason and units; approve or reject it, or receive its units."""
    actor = staff_actor(request)
    with as_404():
        authorization = services.get_return_authorization(actor, pk)
    lines = list(authorization.lines.all())
    titles = services.sku_titles(x.line.sku_id for x in lines)
    decision = DecisionForm(request.POST if request.POST.get("action") in ("approve", "reject") else None)
    receive = _receive_form(request, actor, authorization)
    status = 200
    if request.method == "POST":
        status = 422
        action = request.POST.get("action")
        try:
            if action in ("approve", "reject") and decision.is_valid():
                services.decide_return(
                    actor, pk, approve=action == "approve", note=decision.cleaned_data["note"]
                )
                messages.success(
                    request,
                    _("The return is approved.") if action == "approve" else _("The return is rejected."),
                )
                return redirect("sales:return_request", pk=pk)
            if action == "receive" and receive.is_valid():
                services.receive_return(
                    actor,
                    pk,
                    warehouse_code=receive.cleaned_data["warehouse_code"],
                    serials=receive.serials(),
                )
                messages.success(request, _("The units are received and the refund is booked."))
                return redirect("sales:return_request", pk=pk)
        except Conflict as exc:  # the request moved on (a second click, another tab): said above it
            messages.warning(request, refusal_words(exc, REQUEST_REFUSALS))
            authorization = services.get_return_authorization(actor, pk)
            status = exc.status_code
        except (Unprocessable, NotFound) as exc:
            form = receive if action == "receive" else decision
            form.add_error(REFUSED_FIELD.get(exc.code), refusal_words(exc, REQUEST_REFUSALS))
            status = exc.form_status  # an unknown warehouse or serial: the form is refused (422)
    return render(
        request,
        "sales/staff_return.html",
        {
            "authorization": authorization,
            "status": RETURN_STATUS[authorization.status],
            "reason": dict(REASONS).get(authorization.reason, authorization.reason),
            "lines": [{"quantity": x.quantity, "title": titles.get(x.line.sku_id, "")} for x in lines],
            "decision": decision,
            "receive": receive,
        },
        status=status,
    )
