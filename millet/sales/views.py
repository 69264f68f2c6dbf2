"""The shopper's pages under /orders/: their orders, one order (timeline, lines, tax, payment,
returns), cancelling before shipping, asking for a return, and the invoice PDF.

Every page looks the order up through ``get_order`` with the signed-in person, so another
customer's order number answers 404 exactly like a number that does not exist.
"""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from functools import wraps

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext_lazy
from django.views.decorators.http import require_http_methods, require_safe

from millet.accounts.actor import request_actor
from millet.core.errors import Conflict
from millet.core.not_found import as_404
from millet.core.refusals import refusal_words
from millet.sales import services
from millet.sales.forms import REASONS, ReturnRequestForm, ShipForm
from millet.sales.invoice_pdf import invoice_language, render_invoice
from millet.sales.models import ReturnAuthorization
from millet.sales.panels import order_panels
from millet.sales.timeline import order_timeline

# An order's status as a shopper reads it, and the badge tone it gets.
STATUS = {
    "placed": (gettext_lazy("Awaiting payment"), "warning"),
    "paid": (gettext_lazy("Paid"), "info"),
    "backordered": (gettext_lazy("Paid, waiting for stock"), "warning"),
    "fulfilled": (gettext_lazy("Shipped or handed over"), "success"),
    "ready_for_pickup": (gettext_lazy("Ready for pickup"), "accent"),
    "cancelled": (gettext_lazy("Cancelled"), "neutral"),
    "returned": (gettext_lazy("Returned"), "neutral"),
    "partially_returned": (gettext_lazy("Partially returned"), "neutral"),
}
CHANNEL = {
    "web": pgettext_lazy("sales channel", "Online"),
    "pos": gettext_lazy("In store"),
    "click_collect": gettext_lazy("Click and collect"),
    "flash": gettext_lazy("Flash sale"),
}
RETURN_STATUS = {
    "requested": (gettext_lazy("Waiting for approval"), "warning"),
    "approved": (gettext_lazy("Approved: send the units back"), "info"),
    "rejected": (gettext_lazy("Rejected"), "danger"),
    "refunded": (gettext_lazy("Refunded"), "success"),
}
PAYMENT_METHOD = {
    "card": gettext_lazy("Card"),
    "cash": gettext_lazy("Cash"),
    "loan": gettext_lazy("Instant credit (loan)"),
}
PAYMENT_STATUS = {
    "authorized": gettext_lazy("authorised, charged when your order ships"),
    "captured": gettext_lazy("charged"),
    "partially_refunded": gettext_lazy("charged"),
    "refunded": gettext_lazy("charged"),
    "voided": gettext_lazy("released, nothing was charged"),
}
PAGE_SIZE = 50
# Why the services refuse an order's next step (their conflicts' codes), as the order's page says it.
REFUSALS = {
    "already_cancelled": gettext_lazy("This order is already cancelled: nothing more to do."),
    "not_cancellable": gettext_lazy(
        "This order can no longer be cancelled: it has already been shipped or handed over, or it is closed."
    ),
    "already_returned": gettext_lazy("Every item of this order has already been returned."),
    "not_returnable": gettext_lazy(
        "This order cannot be returned: it has not been shipped or handed over yet, or it was cancelled."
    ),
    "over_returned": gettext_lazy("These items are already returned or in a return request."),
    "idempotency_key_reused": gettext_lazy(
        "This form was already sent with other choices: nothing more was asked. "
        "To ask for something else, open the page again."
    ),
    "already_fulfilled": gettext_lazy("This order has already been shipped."),
    "backordered": gettext_lazy("This order is still waiting for stock: it ships once the stock arrives."),
    "not_fulfillable": gettext_lazy("This order cannot be shipped: it is not paid, or it was cancelled."),
    "wrong_channel": gettext_lazy("This is a store's order: it is handed over at the store, not shipped."),
    "units_not_held": gettext_lazy(
        "Not every unit of this order is held in stock any more. Check the order's stock, then ship it."
    ),
    "serials_short": gettext_lazy(
        "Warehouse %(location)s has fewer serialized units on its shelf than this order holds "
        "(%(found)s of %(held)s). Count its stock, then ship the order."
    ),
}


def order_view(view: Callable) -> Callable:
    """Signed in; the order (as ``get_order`` shows it to this person) passed on, else 404."""
    return _with_order(view, services.get_order)


def own_order_view(view: Callable) -> Callable:
    """Signed in; the person's own order (``get_own_order``: what only its buyer does) passed on,
    else 404."""
    return _with_order(view, services.get_own_order)


def _with_order(view: Callable, lookup: Callable) -> Callable:
    @login_required
    @wraps(view)
    def wrapper(request: HttpRequest, number: str) -> HttpResponse:
        actor = request_actor(request)
        with as_404():
            order = lookup(actor, number)
        return view(request, actor, order)

    return wrapper


@login_required
@require_safe
def orders(request: HttpRequest) -> HttpResponse:
    rows = [
        {
            "order": order,
            "status": STATUS.get(order.status, (order.status, "neutral")),
            "channel": CHANNEL.get(order.channel, order.channel),
            "items": sum(line.quantity for line in order.lines.all()),
        }
        for order in services.list_orders(request_actor(request), limit=PAGE_SIZE)
    ]
    return render(request, "sales/orders.html", {"rows": rows, "page_size": PAGE_SIZE})


def refund_method(payments: list[services.OrderPayment]) -> str:
    """Where refunds of this order go: back to the loan that paid it, in cash for a cash sale (paid
    out at a store's till), else to the card."""
    methods = {p.method for p in payments}
    return next((m for m in ("loan", "cash") if m in methods), "card")


@require_safe
@order_view
def order(request: HttpRequest, actor, order) -> HttpResponse:
    return order_page(request, actor, order)


def order_page(
    request: HttpRequest,
    actor,
    order,
    *,
    status: int = 200,
    ship_form: ShipForm | None = None,
    refused: tuple[str, object] | None = None,
) -> HttpResponse:
    """The order's page, also as the answer to a form on it that was refused (``status`` 4xx):
    staff's shipping form comes back bound (``ship_form``), a panel's its own way (``refused``,
    see ``panels.order_panels``)."""
    lines = list(order.lines.all())
    titles = services.sku_titles(line.sku_id for line in lines)
    payments = services.order_payments(actor, order.number)
    requests = services.return_authorizations(actor, number=order.number)
    returns = services.order_returns(order)
    refund_to = refund_method(payments)
    left = services.returnable_units(order)
    return render(
        request,
        "sales/order.html",
        {
            "order": order,
            "status": STATUS.get(order.status, (order.status, "neutral")),
            "channel": CHANNEL.get(order.channel, order.channel),
            "timeline": order_timeline(order, requests, returns, refund_to),
            "lines": [{"line": line, "title": titles.get(line.sku_id, "")} for line in lines],
            "tax_totals": _tax_totals(lines),
            "payments": [
                {"payment": p, "method": PAYMENT_METHOD[p.method], "status": PAYMENT_STATUS.get(p.status, "")}
                for p in payments
            ],
            "refund_to": refund_to,
            "returns": _return_cards(requests, returns, titles),
            "is_staff": actor.is_staff,
            "can_cancel": services.cancellable(order) and services.may_cancel(actor, order),
            "is_buyer": order.customer_id == actor.user_id,  # a store's seller or staff may look on too
            "can_return": order.customer_id == actor.user_id and any(left.values()),
            "has_invoice": services.invoiceable(order),
            "ship_form": ship_form or (ShipForm() if _shippable(actor, order) else None),
            "panels": order_panels(request, actor, order, refused),
        },
        status=status,
    )


def _return_cards(
    requests: list[ReturnAuthorization], returns: list[services.ReturnSummary], titles: dict[int, str]
) -> list[dict]:
    """The order's returns section, newest first: each return request (its state, units, reason,
    our note, and once received its refund) and each return taken at a till or warehouse without
    one, which the buyer sees only here and in the timeline. Refunds come from ``returns``
    (``order_returns``, one query), so no card costs a query of its own."""
    reasons = dict(REASONS)
    refunds = {ret.id: ret.refund_amount for ret in returns}
    cards = [
        {
            "at": r.requested_at,
            "request": r,
            "status": RETURN_STATUS[r.status],
            "reason": reasons.get(r.reason, r.reason),
            "lines": [
                {"quantity": x.quantity, "title": titles.get(x.line.sku_id, "")} for x in r.lines.all()
            ],
            "refund": refunds.get(r.received_id),
        }
        for r in requests
    ]
    through_requests = {r.received_id for r in requests}
    cards += [
        {
            "at": ret.created_at,
            "status": RETURN_STATUS["refunded"],
            "units": ret.units,
            "refund": ret.refund_amount,
        }
        for ret in returns
        if ret.id not in through_requests
    ]
    return sorted(cards, key=lambda card: card["at"], reverse=True)


def refused_step(request: HttpRequest, actor, number: str, exc: Conflict) -> HttpResponse:
    """The order page as the order stands now, saying why its next step was refused (409): a second
    click or another tab meets the first one's result, which the page then shows. A conflict of a
    lower service without words here (the ledger's, say) is said in general words, not a 500."""
    messages.warning(request, refusal_words(exc, REFUSALS))
    with as_404():
        order = services.get_order(actor, number)
    return order_page(request, actor, order, status=exc.status_code)


def refused_on_order_page(
    request: HttpRequest, actor, order, *, panel: str, state: object, status: int
) -> HttpResponse:
    """The order page answering a panel's refused POST (``panels``) with ``status`` (400, 402, 409,
    422), the panel registered as ``panel`` drawn with ``state``."""
    return order_page(request, actor, order, status=status, refused=(panel, state))


def _shippable(actor, order) -> bool:
    """Staff see the shipping form on a paid web or flash order (``fulfil_order``'s own rule decides)."""
    return actor.is_staff and order.channel in ("web", "flash") and order.status in ("paid", "backordered")


def _tax_totals(lines) -> list[tuple[str, object]]:
    """Each tax component's total over the order's lines (CGST, SGST, IGST, VAT), in a fixed order."""
    totals: dict[str, Decimal] = {}
    for line in lines:
        for component, amount in line.tax_components.items():
            totals[component] = totals.get(component, Decimal(0)) + Decimal(amount)
    return sorted(totals.items())


@require_http_methods(["GET", "HEAD", "POST"])
@order_view
def cancel(request: HttpRequest, actor, order) -> HttpResponse:
    """GET: confirm; POST: cancel. A cancelled order (a second click, another tab) is the order's
    page saying so; after shipping, the page says it is too late and points to returns (both 409)."""
    if not services.may_cancel(actor, order):
        raise Http404("no such order")
    try:
        if request.method == "POST":
            services.cancel_order(actor, order.number)
        else:
            services.check_cancellable(order)
    except Conflict as exc:
        if exc.code != "not_cancellable":
            return refused_step(request, actor, order.number, exc)
        context = {"order": order, "refusal": REFUSALS[exc.code]}
        return render(request, "sales/cancel.html", context, status=exc.status_code)
    if request.method == "POST":
        messages.success(request, _("Order %(number)s is cancelled.") % {"number": order.number})
        return redirect("sales:order", number=order.number)
    return render(request, "sales/cancel.html", {"order": order})


@require_http_methods(["GET", "HEAD", "POST"])
@own_order_view
def request_return(request: HttpRequest, actor, order) -> HttpResponse:
    """The buyer says which units come back and why; staff then approve it (``request_return``).
    Nothing left to ask for is said with the service's reason: on this page for a GET, on the
    order's page for a POST (409: from another tab, the first request is there). The form's
    ``attempt`` key makes the same form sent twice (a double click, a reload) answer as the first;
    the form sent again changed (the back button) is a 409 on the order's page, nothing asked."""
    sent = None
    if request.method == "POST":
        sent = services.requested_return(actor, order, request.POST.get("attempt", ""))
    try:
        left = services.units_to_request(order, besides=sent)
    except Conflict as exc:
        if request.method == "POST":
            return refused_step(request, actor, order.number, exc)
        context = {"order": order, "refusal": REFUSALS[exc.code]}
        return render(request, "sales/return.html", context, status=exc.status_code)
    titles = services.sku_titles(line.sku_id for line in order.lines.all())
    choices = [
        (line.pk, titles.get(line.sku_id, ""), left[line.pk]) for line in order.lines.all() if left[line.pk]
    ]
    form = ReturnRequestForm(request.POST or None, lines=choices)
    if request.method != "POST":
        return render(request, "sales/return.html", {"order": order, "form": form})
    if form.is_valid():
        try:
            services.request_return(
                actor,
                order.number,
                lines=[services.ReturnRequest(line_id, units) for line_id, units in form.units()],
                reason=form.cleaned_data["reason"],
                details=form.cleaned_data["details"],
                idempotency_key=form.cleaned_data["attempt"] or None,
            )
        except Conflict as exc:  # the units went meanwhile (another tab): the order says where
            return refused_step(request, actor, order.number, exc)
        return _return_requested(request, order)
    return render(request, "sales/return.html", {"order": order, "form": form}, status=422)


def _return_requested(request: HttpRequest, order) -> HttpResponse:
    messages.success(request, _("Your return request is sent. We will tell you here when it is approved."))
    return redirect("sales:order", number=order.number)


@require_safe
@order_view
def invoice(request: HttpRequest, actor, order) -> HttpResponse:
    """The order's invoice as a PDF (see ``invoice_pdf`` for its language and fonts)."""
    language = invoice_language(translation.get_language())
    try:
        with translation.override(language):  # product names in the invoice's language, too
            facts = services.invoice_for(actor, order.number)
    except Conflict:
        raise Http404("this order has no invoice yet") from None
    response = HttpResponse(render_invoice(facts, language), content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="invoice-{order.number}.pdf"'
    return response
