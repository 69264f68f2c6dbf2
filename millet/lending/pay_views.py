"""Paying an order by instant credit (/lending/pay/<number>/), the checkout's next step when the
shopper chose credit: the market's form (``lending.form`` through ``application_form``), a plan
(product and term), and the decision with its reasons on the same page, at once.

Sending the form again (a double click, a reload) never makes a second loan: an order with an
approved loan is paid and ``apply_for_credit`` refuses it, so the page shows the decision made.
A declined shopper can still pay the order by card here (``sales.pay_order``). Any other refusal
of the order's state (its stock hold lapsed, 409 ``hold_expired``) is said on the page.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods

from millet.accounts.actor import Actor, request_actor
from millet.core.errors import Conflict, DomainError
from millet.core.not_found import as_404
from millet.core.typed_numbers import DecimalNumberField, WholeNumberField
from millet.lending.card import card_problem
from millet.lending.credit.reasons import reason_text
from millet.lending.services import application_form, applications_for_order, apply_for_credit, list_products
from millet.sales import services as sales

# Conflicts meaning another send (a second click, a second tab, a second cashier) got there first.
SENT_AGAIN = frozenset({"not_payable", "already_decided", "already_financed", "not_paid"})


def _conflict_problem(exc: Conflict) -> str:
    """A refusal of the order's state that no second send explains, e.g. its stock hold lapsed."""
    if exc.code == "hold_expired":
        return _("The items are no longer held for this order. Place the order again.")
    return _("The order cannot be paid now. See your order for where it stands.")


class CreditForm(forms.Form):
    """The plan, then one field per question of the market's form (``application_form``)."""

    product = forms.ChoiceField(label=gettext_lazy("Installment plan"))
    term = forms.TypedChoiceField(label=gettext_lazy("Months to pay"), coerce=int)

    def __init__(self, *args, questions: list[dict[str, Any]], products: list, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["product"].choices = [(p.code, p.name) for p in products]
        terms = sorted({t for p in products for t in p.terms})
        self.fields["term"].choices = [(t, str(t)) for t in terms]
        self.fields["term"].initial = terms[len(terms) // 2] if terms else None
        for question in questions:
            self.fields[question["name"]] = _field(question)


def _field(question: dict[str, Any]) -> forms.Field:
    label, optional = question["label"], question["optional"]
    if question["kind"] == "money":
        help_text = _("In %(currency)s.") % {"currency": question["currency"]}
        if optional:
            help_text += " " + _("Leave it empty if you have none.")
        return DecimalNumberField(
            label=label, required=not optional, max_digits=14, decimal_places=2, help_text=help_text
        )
    if question["kind"] == "integer":
        return WholeNumberField(
            label=label, min_value=question["minimum"], max_value=question["maximum"], required=not optional
        )
    choices = [("", _("Choose…"))] + [(c["value"], c["label"]) for c in question["choices"]]
    return forms.ChoiceField(label=label, choices=choices, required=not optional)


def _answers(form: CreditForm, questions: list[dict[str, Any]]) -> dict[str, Any]:
    """The answers as ``apply_for_credit`` reads them: money as decimal strings or None."""
    answers: dict[str, Any] = {}
    for question in questions:
        value = form.cleaned_data.get(question["name"])
        answers[question["name"]] = str(value) if question["kind"] == "money" and value is not None else value
    return answers


def _decision(application) -> dict[str, Any] | None:
    if application is None:
        return None
    return {
        "status": application.status,
        "number": application.number,
        "reasons": [reason_text(r["code"]) for r in application.reasons],
    }


def _products(order) -> list:
    """The market's installment plans that lend this order's currency and amount."""
    return [p for p in list_products(currency=order.currency) if p.min_amount <= order.total <= p.max_amount]


def _own_order(actor: Actor, number: str):
    with as_404():
        return sales.get_own_order(actor, number)


@login_required
@require_http_methods(["GET", "POST"])
def pay(request: HttpRequest, number: str) -> HttpResponse:
    actor = request_actor(request)
    order = _own_order(actor, number)
    questions = [q for q in application_form(order.market_id) if not q["supplied_by_platform"]]
    form = CreditForm(request.POST or None, questions=questions, products=_products(order))
    problem, status = "", 200
    if request.method == "POST" and request.POST.get("action") == "card":
        return _pay_by_card(request, actor, order, form)
    if request.method == "POST" and order.status == "placed" and form.is_valid():
        try:
            apply_for_credit(
                actor,
                order_number=order.number,
                product_code=form.cleaned_data["product"],
                term_months=form.cleaned_data["term"],
                form=_answers(form, questions),
            )
        except Conflict as exc:
            if exc.code not in SENT_AGAIN:  # else decided already (a second click): shown below
                problem, status = _conflict_problem(exc), exc.status_code
        except DomainError as exc:
            problem, status = _("Some answers could not be used. Check them and try again."), exc.status_code
        order = _own_order(actor, number)
    elif request.method == "POST" and order.status == "placed":
        status = 422
    return _page(request, order, form, status=status, problem=problem)


def _page(request: HttpRequest, order, form: CreditForm, *, status: int = 200, **extra) -> HttpResponse:
    context = {
        "order": order,
        "form": form,
        "decision": _decision(applications_for_order(order.number).last()),
        "has_plans": bool(form.fields["product"].choices),
        "paid": order.status != "placed",
        "test_mode": settings.MILLET_PAYMENT_GATEWAY == "test",
        "confirmation_url": reverse("sales:confirmation", kwargs={"number": order.number}),
        **extra,
    }
    return render(request, "lending/pay.html", context, status=status)


def _pay_by_card(request: HttpRequest, actor: Actor, order, form: CreditForm) -> HttpResponse:
    """After a decline: the same order paid by card instead (``sales.pay_order``, keyed per order)."""
    confirmation = reverse("sales:confirmation", kwargs={"number": order.number})
    if order.status != "placed":
        return HttpResponseRedirect(confirmation)  # paid already: a reload or a second click
    try:
        sales.pay_order(actor, order.number, payment_token=request.POST.get("card_token", "")[:64])
    except DomainError as exc:
        return _page(request, order, form, status=exc.status_code, card_problem=card_problem(exc))
    return HttpResponseRedirect(confirmation)
