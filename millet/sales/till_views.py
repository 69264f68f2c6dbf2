"""The till (point of sale) as pages for a counter tablet: open the day, scan units into a sale,
take cash or card, print the receipt, hand over click-and-collect orders, take units back, and
close the day with its Z report. Thin over ``sales.services`` (``till``, ``pos``); every form
works with JavaScript off, and the scan field keeps the focus (a keyboard-wedge scanner types the
serial and Enter).

Only a store's own cashiers and managers (and staff) use its till: anyone else signed in gets 403
at /till/, and another store's till is a 404, as the services decide.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from decimal import Decimal
from functools import wraps
from typing import NamedTuple

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods, require_safe

from millet.accounts import services as accounts
from millet.accounts.actor import Actor, request_actor
from millet.core.errors import DomainError, NotFound
from millet.core.not_found import as_404
from millet.core.quotes import quote, quoted
from millet.core.refusals import refusal_words
from millet.core.typed_numbers import whole_number
from millet.regions.services import get_market
from millet.sales import services
from millet.sales.services.stores import StoreFacts, store_facts, stores_by_id
from millet.sales.till_forms import (
    CloseDayForm,
    PayForm,
    PickupForm,
    ScanForm,
    TillReturnForm,
    serial_list,
)

# What a cashier reads when the till refuses (the services' codes); any other refusal shows its detail.
REFUSALS = {
    "unknown_serial": gettext_lazy("No unit or product has this number."),
    "serial_sold": gettext_lazy("This unit has already been sold."),
    "serial_at_another_location": gettext_lazy(
        "This unit belongs to another store's stock: it cannot be sold here."
    ),
    "serial_in_transit": gettext_lazy("This unit is in transit between locations."),
    "serial_defective": gettext_lazy("This unit is set aside as defective."),
    "serial_required": gettext_lazy("This product has serial numbers: scan the serial number of each unit."),
    "duplicate_serial": gettext_lazy("This unit is already scanned."),
    "serials_mismatch": gettext_lazy("Scan exactly one serial number for each unit."),
    "serial_wrong_sku": gettext_lazy("This unit is not a product of that order."),
    "till_day_closed": gettext_lazy(
        "The day is closed: this till takes no more sales or cash refunds today."
    ),
    "till_not_open": gettext_lazy("Open the day first."),
    "cash_short": gettext_lazy("The cash handed over is less than the total."),
    "payment_declined": gettext_lazy("The card was declined."),
    "wrong_pickup_code": gettext_lazy("The pickup code does not match this order."),
    "already_collected": gettext_lazy("This order has already been handed over."),
    "not_collectable": gettext_lazy("This order is not waiting for pickup."),
    "unknown_order": gettext_lazy("No order has this number here."),
    "serial_not_on_order": gettext_lazy("This unit was not sold on that order."),
    "serial_already_returned": gettext_lazy("This unit was already returned."),
    "unknown_voucher": gettext_lazy("No voucher has this code."),
    "voucher_expired": gettext_lazy("This voucher is not valid now."),
    "voucher_limit_reached": gettext_lazy("This voucher has been used up."),
    "voucher_min_spend": gettext_lazy("The sale is below the voucher's minimum spend."),
    "already_returned": gettext_lazy("Every unit of this order has already been returned."),
    "not_returnable": gettext_lazy("This order cannot be returned."),
    "cash_refund_other_currency": gettext_lazy(
        "This order was paid in another currency's cash: refund it at a store of its own market."
    ),
    "price_changed": gettext_lazy(
        "The prices changed since the total was shown, so nothing was charged. "
        "Tell the customer the new total, then take payment again."
    ),
}
# The sale's total was not read back from the page (an old page, an edited form): nothing is charged.
TOTAL_UNCONFIRMED = gettext_lazy("Check the total with the customer, then take payment again.")
VOUCHER_APPLIED = gettext_lazy(
    "The voucher is applied, so nothing was charged yet. "
    "Tell the customer the new total, then take payment again."
)
VOUCHER_REMOVED = gettext_lazy(
    "The voucher is removed, so nothing was charged yet. "
    "Tell the customer the new total, then take payment again."
)


def refusal(exc: DomainError) -> str:
    return refusal_words(exc, REFUSALS)


def till_view(view: Callable) -> Callable:
    """Signed in as someone who works at a store (403 otherwise); the store passed on if the actor
    sells there (404 otherwise)."""

    @login_required
    @wraps(view)
    def wrapper(request: HttpRequest, store_code: str, *args, **kwargs) -> HttpResponse:
        actor = request_actor(request)
        if not (actor.is_store_staff or actor.is_staff):
            raise PermissionDenied("store staff only")
        with as_404():
            store = store_facts(store_code)
        if not actor.can_sell_at(store.id):
            raise Http404("not your store")
        return view(request, actor, store, *args, **kwargs)

    return wrapper


@login_required
@require_safe
def till_home(request: HttpRequest) -> HttpResponse:
    """The tills of the stores the person works at; straight to the till when there is one."""
    actor = request_actor(request)
    if not actor.is_store_staff:
        raise PermissionDenied("store staff only")
    stores = sorted(stores_by_id(actor.store_roles).values(), key=lambda store: store.code)
    if len(stores) == 1:
        return redirect("sales:till", store_code=stores[0].code)
    return render(request, "sales/till/home.html", {"stores": stores})


def _basket(request: HttpRequest, store: StoreFacts) -> dict:
    """The sale being rung up, kept in the session: scanned units, plain lines, the voucher applied
    (``voucher``, absent until one is) and the key that makes paying it twice (a double tap, a
    resend) one sale."""
    key = f"till:{store.code}"
    basket = request.session.get(key)
    if basket is None:
        basket = request.session[key] = {"units": [], "plain": [], "key": uuid.uuid4().hex}
    return basket


def _save(request: HttpRequest, store: StoreFacts, basket: dict | None) -> None:
    key = f"till:{store.code}"
    if basket is None:
        request.session.pop(key, None)
    else:
        request.session[key] = basket
    request.session.modified = True


def _context(actor: Actor, store: StoreFacts, **extra) -> dict:
    return {
        "store": store,
        "currency": get_market(store.market).currency,
        "day": services.till_day(actor, store.code),
        **extra,
    }


def _lines(basket: dict) -> dict:
    """The basket as the services take it: its scans, its plain lines and its voucher."""
    return {
        "serials": [serial for serial, _, _ in basket["units"]],
        "lines": [services.LineRequest(code, qty) for code, _, qty in basket["plain"]],
        "voucher_code": basket.get("voucher"),
    }


def _quote(actor: Actor, store: StoreFacts, basket: dict) -> services.Quote | None:
    """The basket's price, None while it is empty (a unit sold meanwhile shows at payment)."""
    if not basket["units"] and not basket["plain"]:
        return None
    try:
        return services.quote_sale(actor, store_code=store.code, **_lines(basket))
    except DomainError:
        return None


def _till_page(request, actor, store, basket, *, scan=None, pay=None, status=200) -> HttpResponse:
    """The till. Its payment form carries the total it shows (``core.quotes``), and the sale is made
    at that total or not at all (``pos_sale``'s ``expected_total``)."""
    price = _quote(actor, store, basket)
    context = _context(
        actor,
        store,
        basket=basket,
        quote=price,
        shown=quote({"total": price.total}) if price else "",
        items=len(basket["units"]) + sum(qty for _, _, qty in basket["plain"]),
        scan_form=scan or ScanForm(),
        pay_form=pay or PayForm(initial={"voucher": basket.get("voucher") or ""}),
    )
    return render(request, "sales/till/till.html", context, status=status)


@require_http_methods(["GET", "HEAD", "POST"])
@till_view
def till(request: HttpRequest, actor: Actor, store: StoreFacts) -> HttpResponse:
    """The sale: open the day, scan (Enter adds the line), remove a line, and pay by cash or card."""
    basket = _basket(request, store)
    action = request.POST.get("action", "")
    if request.method != "POST":
        return _till_page(request, actor, store, basket)
    if action == "open":
        try:
            services.open_till_day(actor, store.code)
        except DomainError as exc:  # the day is open already, or closed: said on the till, 409
            messages.error(request, refusal(exc))
            return _till_page(request, actor, store, basket, status=exc.status_code)
        return redirect("sales:till", store_code=store.code)
    if action == "remove":
        index = request.POST.get("line", "")
        kind, _sep, typed = index.partition(":")
        position = whole_number(typed)
        if kind in ("units", "plain") and position is not None and position < len(basket[kind]):
            basket[kind].pop(position)
            _save(request, store, basket)
        return redirect("sales:till", store_code=store.code)
    if action == "pay":
        return _pay(request, actor, store, basket)
    form = ScanForm(request.POST)
    if not form.is_valid():
        return _till_page(request, actor, store, basket, scan=form, status=422)
    scanned = [serial for serial, _, _ in basket["units"]]
    try:
        found = services.till_scan(actor, store.code, form.cleaned_data["scan"], scanned=scanned)
    except DomainError as exc:
        form.add_error("scan", f"{form.cleaned_data['scan']}: {refusal(exc)}")
        form.data = {"scan": ""}  # the field stays empty for the next scan; the error names the refused one
        return _till_page(request, actor, store, basket, scan=form, status=exc.form_status)
    if found.serial:
        basket["units"].append([found.serial, found.sku_code, found.name])
    else:
        for line in basket["plain"]:
            if line[0] == found.sku_code:
                line[2] += 1
                break
        else:
            basket["plain"].append([found.sku_code, found.name, 1])
    _save(request, store, basket)
    return redirect("sales:till", store_code=store.code)


def _pay(request: HttpRequest, actor: Actor, store: StoreFacts, basket: dict) -> HttpResponse:
    form = PayForm(request.POST)
    if not basket["units"] and not basket["plain"]:
        form.add_error(None, _("Scan something to sell first."))
    if not form.is_valid():
        return _till_page(request, actor, store, basket, pay=form, status=422)
    data = form.cleaned_data
    customer_id = None
    if data["customer"]:
        customer_id = accounts.user_id_for(data["customer"].strip())
        if customer_id is None:
            form.add_error("customer", _("No customer has this username."))
            return _till_page(request, actor, store, basket, pay=form, status=422)
    voucher = data["voucher"].strip() or None
    if voucher != basket.get("voucher"):
        return _apply_voucher(request, actor, store, basket, form, voucher)
    if data["method"] == "credit":
        return _hold_for_credit(request, actor, store, basket, form, customer_id)
    expected = (quoted(request.POST.get("quote", "")) or {}).get("total")  # the total the page showed
    if expected is None:  # the till showed no total: say why (a unit sold meanwhile), else ask again
        try:
            services.quote_sale(actor, store_code=store.code, **_lines(basket))
        except DomainError as exc:
            form.add_error(None, refusal(exc))
            return _till_page(request, actor, store, basket, pay=form, status=exc.form_status)
        form.add_error(None, TOTAL_UNCONFIRMED)
        return _till_page(request, actor, store, basket, pay=form, status=409)
    cash = data["method"] == "cash"
    try:
        order = services.pos_sale(
            actor,
            store_code=store.code,
            **_lines(basket),
            payment_token="" if cash else data["card_token"],
            cash_tendered=data["cash_tendered"] if cash else None,
            customer_id=customer_id,
            idempotency_key=f"till:{basket['key']}",
            expected_total=expected,
        )
    except DomainError as exc:
        form.add_error(None, refusal(exc))
        return _till_page(request, actor, store, basket, pay=form, status=exc.form_status)
    _save(request, store, None)
    return redirect("sales:till-receipt", store_code=store.code, number=order.number)


def _apply_voucher(request, actor, store, basket, form, voucher: str | None) -> HttpResponse:
    """A voucher typed (or cleared) changes the total: the till shows the new one and charges
    nothing until payment is taken again, at that total. A voucher refused stays out of the basket."""
    try:
        services.quote_sale(actor, store_code=store.code, **{**_lines(basket), "voucher_code": voucher})
    except DomainError as exc:
        form.add_error("voucher", refusal(exc))
        return _till_page(request, actor, store, basket, pay=form, status=exc.form_status)
    basket["voucher"] = voucher
    _save(request, store, basket)
    form.add_error(None, VOUCHER_APPLIED if voucher else VOUCHER_REMOVED)
    return _till_page(request, actor, store, basket, pay=form, status=409)


def _hold_for_credit(request, actor, store, basket, form, customer_id: int) -> HttpResponse:
    """Hold the sale for the customer and go to the credit form they fill in at the counter (it
    shows the total, the voucher's discount in it, before they sign)."""
    try:
        order = services.hold_sale(
            actor,
            store_code=store.code,
            customer_id=customer_id,
            **_lines(basket),
            idempotency_key=f"till-hold:{basket['key']}",
        )
    except DomainError as exc:
        form.add_error(None, refusal(exc))
        return _till_page(request, actor, store, basket, pay=form, status=exc.form_status)
    _save(request, store, None)
    return redirect("lending:counter", store_code=store.code, number=order.number)


@require_safe
@till_view
def receipt(request: HttpRequest, actor: Actor, store: StoreFacts, number: str) -> HttpResponse:
    """The printable receipt (80 mm paper): units with their serials, tax lines, payment and change."""
    with as_404():
        order = services.get_order(actor, number)
    if order.store_id != store.id:
        raise Http404("not this store's order")
    lines = list(order.lines.prefetch_related("units").order_by("pk"))
    titles = services.sku_titles(line.sku_id for line in lines)
    taxes: dict[str, Decimal] = {}
    for line in lines:
        for component, amount in line.tax_components.items():
            taxes[component] = taxes.get(component, Decimal(0)) + Decimal(amount)
    context = _context(
        actor,
        store,
        order=order,
        lines=[(line, titles.get(line.sku_id, ""), [u.serial for u in line.units.all()]) for line in lines],
        taxes=sorted(taxes.items()),
        change=order.cash_tendered - order.total if order.cash_tendered is not None else None,
        payments=services.order_payments(actor, order.number),
    )
    return render(request, "sales/till/receipt.html", context)


class Posted(NamedTuple):
    """A till form after ``_posted``: ``done`` with what the service returned, or the status to show
    the form again with (200 for a GET, 422 for a form error, the refusal's own ``form_status``)."""

    done: bool
    value: object
    status: int


def _posted(request: HttpRequest, form, call: Callable[[dict], object]) -> Posted:
    """A till form posted: done when the form is valid and the service takes it; otherwise the form
    carries its errors (the service's refusal among them)."""
    if request.method != "POST":
        return Posted(False, None, 200)
    if not form.is_valid():
        return Posted(False, None, 422)
    try:
        return Posted(True, call(form.cleaned_data), 200)
    except DomainError as exc:
        form.add_error(None, refusal(exc))
        return Posted(False, None, exc.form_status)


@require_http_methods(["GET", "HEAD", "POST"])
@till_view
def pickup(request: HttpRequest, actor: Actor, store: StoreFacts) -> HttpResponse:
    """Hand a click-and-collect order over against the shopper's pickup code, its units scanned."""
    form = PickupForm(request.POST or None)
    posted = _posted(
        request,
        form,
        lambda data: services.hand_over(
            actor,
            data["number"].strip(),
            pickup_code=data["pickup_code"],
            serials=serial_list(data["serials"]),
        ),
    )
    if posted.done:
        order = posted.value
        messages.success(request, _("Order %(number)s is handed over.") % {"number": order.number})
        return redirect("sales:till-receipt", store_code=store.code, number=order.number)
    context = _context(actor, store, form=form)
    return render(request, "sales/till/pickup.html", context, status=posted.status)


@require_http_methods(["GET", "HEAD", "POST"])
@till_view
def till_return(request: HttpRequest, actor: Actor, store: StoreFacts) -> HttpResponse:
    """Take scanned units of an order back and refund them to the order's own payment."""
    form = TillReturnForm(request.POST or None)
    posted = _posted(
        request,
        form,
        lambda data: services.return_at_till(
            actor,
            store.code,
            data["number"].strip(),
            serials=serial_list(data["serials"]),
            reason=data["reason"],
        ),
    )
    if posted.done:
        return render(
            request, "sales/till/return.html", _context(actor, store, form=TillReturnForm(), ret=posted.value)
        )
    context = _context(actor, store, form=form)
    return render(request, "sales/till/return.html", context, status=posted.status)


@require_http_methods(["GET", "HEAD", "POST"])
@till_view
def close_day(request: HttpRequest, actor: Actor, store: StoreFacts) -> HttpResponse:
    """The Z report: the day's sales and refunds, and the counted cash against what the ledger expects."""
    form = CloseDayForm(request.POST or None)
    posted = _posted(
        request,
        form,
        lambda data: services.close_till_day(actor, store.code, counted_cash=data["counted_cash"]),
    )
    if posted.done:
        messages.success(request, _("The day is closed."))
        return redirect("sales:till-close", store_code=store.code)
    try:
        report = services.z_report(actor, store.code)
    except NotFound:
        report = None
    context = _context(actor, store, form=form, report=report)
    return render(request, "sales/till/close.html", context, status=posted.status)
