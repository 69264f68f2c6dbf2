"""The supply planner's page (issue 11 item 3): stock requests from the stores, each approved as a
transfer from a warehouse of its market or rejected with a reason. ``approve_request`` and
``reject_request`` keep the rules (planners only, never one's own request); these views parse,
call them and render."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_http_methods

from millet.accounts.actor import request_actor
from millet.accounts.services import usernames
from millet.core.errors import DomainError, NotFound
from millet.core.refusals import refusal_words
from millet.inventory.services import approve_request, market_warehouses, pending_requests, reject_request

# The refusals a planner meets on this page, in their language (the API keeps the services' text).
REFUSALS = {
    "own_request": _("You cannot approve or reject your own stock request: another planner decides it."),
    "out_of_stock": _("That warehouse does not have enough units: choose another or reject the request."),
    "request_decided": _("This request has already been decided."),
    "reason_required": _("A rejection needs a reason."),
    "not_a_warehouse": _("Choose a warehouse of the store's market."),
}


class DecisionForm(forms.Form):
    source = forms.CharField(required=False, max_length=32)
    reason = forms.CharField(required=False, max_length=255)
    decision = forms.ChoiceField(choices=[("approve", _("Approve")), ("reject", _("Reject"))])


@login_required
@require_http_methods(["GET", "HEAD"])
def requests(request: HttpRequest) -> HttpResponse:
    return _requests_page(request, _planner(request))


def _planner(request: HttpRequest):
    actor = request_actor(request)
    if not actor.is_supply_planner:
        raise PermissionDenied("supply planners only")
    return actor


def _requests_page(request: HttpRequest, actor, status: int = 200) -> HttpResponse:
    """The pending requests; also the answer to a refused decision (4xx, why said above the list)."""
    pending = pending_requests(actor)
    names = usernames(r.requested_by_id for r in pending)
    warehouses = {market: market_warehouses(actor, market) for market in {r.market for r in pending}}
    rows = [
        {
            "request": r,
            "requester": names.get(r.requested_by_id, ""),
            "warehouses": warehouses[r.market],
            "own": r.requested_by_id == actor.user_id,
        }
        for r in pending
    ]
    return render(request, "inventory/requests.html", {"rows": rows}, status=status)


@login_required
@require_http_methods(["POST"])
def decide(request: HttpRequest, request_id: int) -> HttpResponse:
    """Approve (as a transfer from the chosen warehouse) or reject one request; a refusal is shown
    above the list, answered with its status (409 decided or out of stock, 422 a missing reason or a
    warehouse of another market) and nothing decided. Another planner's unknown request is a 404."""
    actor = _planner(request)
    form = DecisionForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Choose approve or reject."))
        return _requests_page(request, actor, status=422)
    data = form.cleaned_data
    try:
        if data["decision"] == "approve":
            decided = approve_request(actor, request_id, source_code=data["source"])
            done = _("%(number)s approved: transfer TR-%(transfer)s is on its way.") % {
                "number": decided,
                "transfer": decided.transfer_id,
            }
        else:
            decided = reject_request(actor, request_id, reason=data["reason"])
            done = _("%(number)s rejected.") % {"number": decided}
    except NotFound as exc:
        if exc.code == "unknown_request":
            raise Http404(exc.detail) from None
        messages.error(request, REFUSALS["not_a_warehouse"])  # the source named no warehouse of the market
        return _requests_page(request, actor, status=422)
    except DomainError as exc:
        messages.error(request, refusal_words(exc, REFUSALS))
        return _requests_page(request, actor, status=exc.status_code)
    messages.success(request, done)
    return redirect("inventory:requests")
