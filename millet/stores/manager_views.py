"""The store manager's pages (issue 11 item 3): the store's stock by SKU with its serials, low-stock
alerts, stock requests to the warehouses, receiving transfers by scanning, revenue and rank over a
chosen period, and the staff list. A manager sees only their own store: another store's page is a
404, a cashier's own store a 403. Every rule is in the inventory and stores services; these views
parse, call them and render."""

from __future__ import annotations

from datetime import timedelta
from zoneinfo import ZoneInfo

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_http_methods

from millet.accounts.actor import Actor, request_actor
from millet.accounts.services import usernames
from millet.catalog.services import skus_by_id
from millet.core.attempt_keys import AttemptField, with_fresh_attempt
from millet.core.errors import DomainError, Forbidden
from millet.core.not_found import as_404
from millet.core.refusals import refusal_words
from millet.core.typed_numbers import WholeNumberField
from millet.inventory import services as inventory
from millet.inventory.services import MAX_REQUEST_QUANTITY
from millet.regions.services import get_market
from millet.stores.models import Store
from millet.stores.services import get_store, ranking_for, staff_of, store_period, stores_of

MAX_SCANS = MAX_REQUEST_QUANTITY  # one page of scans: the most units a store asks for at once


def _managed(request: HttpRequest, code: str) -> tuple[Actor, Store]:
    """The store if the signed-in person manages it (or is staff); another store is a 404 (its
    existence is not confirmed), the own store of a cashier a 403."""
    actor = request_actor(request)
    with as_404():
        store = get_store(actor, code)
    if actor.can_manage(store.pk):
        return actor, store
    if store.pk in actor.store_roles:
        raise PermissionDenied("store managers only")
    raise Http404("unknown store")


@login_required
def mine(request: HttpRequest) -> HttpResponse:
    """The manager's own store (the first, for one who runs several); nobody's else: 403."""
    actor = request_actor(request)
    managed = [s for s in stores_of(actor) if actor.store_roles.get(s.pk) == "manager"]
    if not managed:
        raise PermissionDenied("store managers only")
    return redirect("stores:manage", code=managed[0].code)


class PeriodForm(forms.Form):
    first = forms.DateField(label=_("From"), widget=forms.DateInput(attrs={"type": "date"}))
    last = forms.DateField(label=_("To"), widget=forms.DateInput(attrs={"type": "date"}))


class StockRequestForm(forms.Form):
    sku = forms.CharField(label=_("SKU code"), max_length=64)
    quantity = WholeNumberField(label=_("Quantity"), min_value=1, max_value=MAX_REQUEST_QUANTITY)
    note = forms.CharField(
        label=_("Note for the supply planner"), max_length=255, required=False, widget=forms.TextInput
    )
    # A fresh key per page: the same form sent twice (a double click) makes one request.
    attempt = AttemptField(required=False)


# Why ``store_period`` refuses the days asked for (its codes), said on the period's form.
PERIOD_REFUSALS = {
    "period_backwards": _("The last day comes on or after the first."),
    "period_too_long": _("A period is at most three years long."),
    "period_out_of_range": _("Those days are out of range."),
}


def _standing(request: HttpRequest, actor: Actor, store: Store) -> tuple[PeriodForm, dict]:
    """The period's form and the store's revenue and rank in its market over its local days: the
    form's, else the last 30 to today. Only a question that names a day binds the form (a link's
    ``?utm_source=`` asks nothing). ``store_period`` judges the days once; a period it refuses is
    said on the form in the words for its code, and no figures are shown for days not asked for."""
    today = timezone.localtime(timezone=ZoneInfo(get_market(store.market_id).time_zone)).date()
    asked = "first" in request.GET or "last" in request.GET
    form = PeriodForm(request.GET if asked else {"first": today - timedelta(days=29), "last": today})
    if not form.is_valid():
        return form, {}
    first, last = form.cleaned_data["first"], form.cleaned_data["last"]
    try:
        period = store_period(store, first, last)
    except DomainError as exc:
        form.add_error("last", refusal_words(exc, PERIOD_REFUSALS))
        return form, {}
    rows = ranking_for(actor, store.market_id, period=period)
    own = next((row for row in rows if row.store_code == store.code), None)
    return form, {"row": own, "stores": len(rows), "first": first, "last": last}


def _page(request: HttpRequest, actor: Actor, store: Store, request_form=None, status: int = 200):
    """The store's page; 422 when the period asked for is refused (said on its form)."""
    code = store.code
    lines = inventory.shelf_lines(actor, code)
    alerts = inventory.location_replenishment(actor, code)
    skus = skus_by_id(alert["sku_id"] for alert in alerts)
    period_form, standing = _standing(request, actor, store)
    if period_form.errors and status == 200:
        status = 422
    staff = staff_of(actor, code)
    names = usernames(member.user_id for member in staff)
    requests = inventory.store_requests(actor, code)
    requesters = usernames(r.requested_by_id for r in requests)
    context = {
        "store": store,
        "lines": lines,
        "alerts": [{**alert, "sku": skus[alert["sku_id"]]} for alert in alerts],
        "period_form": period_form,
        "standing": standing,
        "staff": [(names.get(m.user_id, ""), m.role) for m in staff],
        "requests": [(r, requesters.get(r.requested_by_id, "")) for r in requests],
        "incoming": inventory.incoming_transfers(actor, code),
        "request_form": request_form or StockRequestForm(),
    }
    return render(request, "stores/manage.html", context, status=status)


@login_required
@require_http_methods(["GET", "HEAD"])
def manage(request: HttpRequest, code: str) -> HttpResponse:
    actor, store = _managed(request, code)
    return _page(request, actor, store)


REQUEST_REFUSALS = {
    "unknown_sku": _("Unknown SKU code."),
    "attempt_reused": _("This form was already sent for another request. Check it and send it again."),
}


@login_required
@require_http_methods(["POST"])
def request_stock(request: HttpRequest, code: str) -> HttpResponse:
    """Ask the warehouses for units; a refusal comes back on the form (422, or the service's own
    status)."""
    actor, store = _managed(request, code)
    form = StockRequestForm(request.POST)
    status = 422
    if form.is_valid():
        try:
            made = inventory.request_stock(
                actor,
                store.code,
                sku_code=form.cleaned_data["sku"],
                quantity=form.cleaned_data["quantity"],
                note=form.cleaned_data["note"],
                attempt=form.cleaned_data["attempt"],
            )
        except Forbidden as exc:
            raise PermissionDenied(exc.detail) from None
        except DomainError as exc:
            if exc.code == "attempt_reused":  # the form changed after it was sent: a new key sends it anew
                form = StockRequestForm(with_fresh_attempt(request.POST))
                form.is_valid()
            field = "sku" if exc.code == "unknown_sku" else None
            words = refusal_words(exc, REQUEST_REFUSALS)
            form.add_error(field, words)
            status = exc.form_status
        else:
            messages.success(
                request, _("Stock request %(number)s sent to the supply planners.") % {"number": made}
            )
            return redirect("stores:manage", code=store.code)
    return _page(request, actor, store, request_form=form, status=status)


SCAN_REFUSALS = {
    "empty_scan": _("Scan a serial or a SKU code."),
    "not_in_transfer": _("%(code)s is not in this transfer."),
    "already_scanned": _("%(code)s is already scanned."),
    "too_many_scans": _("Every unit is already scanned."),
    "incomplete_scan": _("Scan every unit before receiving the transfer."),
}


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def receive(request: HttpRequest, code: str, transfer_id: int) -> HttpResponse:
    """Receive a transfer by scanning: each scan (Enter in the always-focused input) is checked and
    kept in the form; "Receive" books the arrival once every unit is scanned. Works without
    JavaScript: every scan is a form post that comes back with the list so far."""
    actor, store = _managed(request, code)
    with as_404():
        transfer = inventory.incoming_transfer(actor, store.code, transfer_id)
    scanned = request.POST.getlist("scanned")[:MAX_SCANS] if request.method == "POST" else []
    problem, status, code_in = "", 200, request.POST.get("code", "")
    if request.method == "POST" and request.POST.get("action") == "receive":
        try:
            inventory.receive_scanned(actor, store.code, transfer.id, scanned)
        except DomainError as exc:
            problem, status = refusal_words(exc, SCAN_REFUSALS), exc.form_status
        else:
            messages.success(request, _("%(number)s received.") % {"number": transfer.number})
            return redirect("stores:manage", code=store.code)
    elif request.method == "POST":
        try:
            scanned.append(inventory.check_scan(transfer, scanned, code_in))
        except DomainError as exc:
            problem, status = refusal_words(exc, SCAN_REFUSALS), exc.form_status
    context = {
        "store": store,
        "transfer": transfer,
        "scanned": scanned,
        "remaining": transfer.quantity - len(scanned),
        "problem": problem,
    }
    return render(request, "stores/receive.html", context, status=status)
