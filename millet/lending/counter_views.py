"""Instant credit at the till (/lending/counter/<store>/<number>/): the cashier fills the market's
credit form with the customer present, for a till sale held for them (``sales.hold_sale``). The
decision and its reasons show at once. Approved: the loan paid the sale and its units were handed
over, so the page goes to the receipt. Declined or referred: the cashier takes card or cash
instead (``sales.settle_held_sale``), or cancels the sale and its stock goes back on the shelf.
A sale paid while it was held (a referred application a risk officer approved, or the buyer paying
online) offers only to hand its units over (``sales.hand_over_held_sale``) or to cancel it; a card,
cash or credit form sent from before the payment comes back to this page and takes nothing. A
refusal of the till's (the day not open, or closed) shows on the page, the sale still held.

Only the store's cashiers and managers (and staff): anyone else signed in gets 403, another
store's sale or number is a 404. Sending any form twice (a double tap, back and send again, a
reload) never takes a second payment: once the sale is sold the page sends to its receipt.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods

from millet.accounts.actor import Actor, request_actor
from millet.core.errors import Conflict, DomainError, NotFound
from millet.core.not_found import as_404
from millet.core.refusals import refusal_words
from millet.core.typed_numbers import money_typed
from millet.lending.pay_views import SENT_AGAIN, CreditForm, _answers, _decision, _products
from millet.lending.services import application_form, applications_for_order, apply_for_credit_at_counter
from millet.sales import services as sales


def _done(actor: Actor, store_code: str, number: str) -> HttpResponse:
    """A sale that is no longer held: the till once cancelled, else its receipt (which is a 404
    unless the sale is this store's); a number the actor cannot see is a 404."""
    with as_404():
        order = sales.get_order(actor, number)
    if order.status == "cancelled":
        return redirect("sales:till", store_code=store_code)
    return redirect("sales:till-receipt", store_code=store_code, number=number)


@login_required
@require_http_methods(["GET", "POST"])
def counter(request: HttpRequest, store_code: str, number: str) -> HttpResponse:
    actor = request_actor(request)
    if not (actor.is_store_staff or actor.is_staff):
        raise PermissionDenied("store staff only")
    try:
        order = sales.held_sale(actor, store_code, number)
    except NotFound:
        return _done(actor, store_code, number)
    questions = [q for q in application_form(order.market_id) if not q["supplied_by_platform"]]
    form = CreditForm(request.POST or None, questions=questions, products=_products(order))
    action = request.POST.get("action", "")
    decision = _decision(applications_for_order(order.number).last())
    status, problem = 200, ""
    paid = order.status == "paid"  # meanwhile: a referred application approved, or the buyer paid online
    try:
        if paid and action == "hand_over":
            sales.hand_over_held_sale(actor, store_code, order.number)
            messages.success(request, _("The sale is paid and its units are handed over."))
            return redirect("sales:till-receipt", store_code=store_code, number=order.number)
        elif paid and action in ("credit", "card", "cash"):
            return redirect("lending:counter", store_code=store_code, number=order.number)  # a stale form
        elif action == "credit" and decision is None:
            if not form.is_valid():
                status = 422
            else:
                application = apply_for_credit_at_counter(
                    actor,
                    store_code=store_code,
                    order_number=order.number,
                    product_code=form.cleaned_data["product"],
                    term_months=form.cleaned_data["term"],
                    form=_answers(form, questions),
                )
                if application.status == "approved":
                    messages.success(request, _("Credit approved: the loan paid the sale."))
                    return redirect("sales:till-receipt", store_code=store_code, number=order.number)
                return redirect("lending:counter", store_code=store_code, number=order.number)
        elif action in ("card", "cash"):
            sales.settle_held_sale(actor, store_code, order.number, **_payment(request, action))
            return redirect("sales:till-receipt", store_code=store_code, number=order.number)
        elif action == "cancel":
            sales.cancel_order(actor, order.number)
            messages.success(request, _("The sale is cancelled and its units are back on the shelf."))
            return redirect("sales:till", store_code=store_code)
    except DomainError as exc:
        if isinstance(exc, Conflict) and exc.code in SENT_AGAIN:  # the first send decided or paid
            return redirect("lending:counter", store_code=store_code, number=order.number)
        status = exc.status_code  # e.g. the till refuses the sale
        problem = refusal_words(exc, PAYMENT_REFUSALS, NOT_PAID)
    context = {
        "order": order,
        "store_code": store_code,
        "form": form,
        "decision": decision,
        "paid": paid,
        "has_plans": bool(form.fields["product"].choices),
        "problem": problem,
    }
    return render(request, "lending/counter.html", context, status=status)


def _payment(request: HttpRequest, action: str) -> dict:
    if action == "card":
        return {"payment_token": request.POST.get("card_token", "").strip()[:64]}
    # "१२०" is 120, as in every field; None (no sign, "1e5", NaN) is refused as payment_method
    return {"cash_tendered": money_typed(request.POST.get("cash_tendered", ""))}


# Why the till refused the down payment, as the cashier reads it, and the general sentence for any
# other refusal.
PAYMENT_REFUSALS = {
    "cash_short": gettext_lazy("The cash handed over is less than the total."),
    "payment_method": gettext_lazy("Type the cash handed over, or the card terminal's token."),
    "payment_declined": gettext_lazy("The card was declined."),
    "till_not_open": gettext_lazy("Open the day first."),
    "till_day_closed": gettext_lazy("The day is closed: this till takes no more sales today."),
}
NOT_PAID = gettext_lazy("Some answers could not be used. Check them and try again.")
