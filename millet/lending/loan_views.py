"""The borrower's own loans: /lending/loans/ (each loan, what is left, the next installment, late or
not) and /lending/loans/<number>/ (the terms agreed, the schedule, the history, and a form to pay).

Thin over ``loan_summaries``, ``loan_statement`` and ``repay``. Anyone else's loan is a 404 like a
number that does not exist (``get_own_loan``). The payment form carries a one-time ``attempt`` key,
sent to ``repay`` as its idempotency key: a double click, a reload of the POST or a resend after
the back button replays the first payment and charges nothing twice. A refusal comes back on the
form in plain words with the service's status (402 declined card, 409 closed loan or more than is
owed, 422 a bad amount); only a payment that went through redirects (post/redirect/get).
"""

from __future__ import annotations

from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext
from django.views.decorators.http import require_http_methods, require_safe

from millet.accounts.actor import request_actor
from millet.core.attempt_keys import AttemptField, with_fresh_attempt
from millet.core.errors import DomainError
from millet.core.not_found import as_404
from millet.core.refusals import refusal_words
from millet.core.typed_numbers import DecimalNumberField
from millet.lending.card import card_problem
from millet.lending.services import LoanStatement, LoanSummary, loan_statement, loan_summaries, repay
from millet.regions.money import currency_exponent, from_minor
from millet.web.formats import money

STATE = {  # a loan's state (services.statements) -> (label, badge tone); "late" adds its days
    "current": (gettext_lazy("On time"), "success"),
    "paid_off": (gettext_lazy("Paid off"), "neutral"),
    "charged_off": (gettext_lazy("Charged off"), "danger"),
    "cancelled": (gettext_lazy("Cancelled: the order was cancelled"), "neutral"),
}
INSTALLMENT_STATE = {
    "paid": (gettext_lazy("Paid"), "success"),
    "late": (gettext_lazy("Late"), "danger"),
    "next": (gettext_lazy("Next to pay"), "accent"),
    "upcoming": (gettext_lazy("Upcoming"), "neutral"),
    "closed": (gettext_lazy("Not paid"), "neutral"),
}
HISTORY = {  # LoanEvent.Kind -> what it was, for the borrower
    "disbursement": gettext_lazy("Loan paid out for your order"),
    "repayment": gettext_lazy("Your payment"),
    "late_fee": gettext_lazy("Late fee charged"),
    "refund": gettext_lazy("Refund from a return, paid into the loan"),
    "charge_off": gettext_lazy("Loan charged off"),
    "cancellation": gettext_lazy("Order cancelled: loan closed"),
}
METHOD = {
    "annuity": gettext_lazy("Equal monthly installments"),
    "equal_principal": gettext_lazy("Equal principal each month: installments get smaller"),
}
# A refusal's code -> the field it is about (None: the whole form).
REFUSAL_FIELD = {
    "malformed_money": "amount",
    "exceeds_payoff": "amount",
    "payment_declined": "card_token",
}


class RepayForm(forms.Form):
    attempt = AttemptField()
    amount = DecimalNumberField(label=gettext_lazy("Amount to pay"), max_digits=14)
    card_token = forms.CharField(label=gettext_lazy("Card token"), max_length=64)

    def __init__(self, *args, summary: LoanSummary, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["amount"].help_text = _(
            "Any amount up to %(payoff)s, which pays off the whole loan today."
        ) % {"payoff": money(summary.payoff, summary.currency)}
        if settings.MILLET_PAYMENT_GATEWAY == "test":
            self.fields["card_token"].help_text = _(
                "Test mode: tok_ok is approved, tok_declined and tok_insufficient are declined."
            )


def _new_form(summary: LoanSummary) -> RepayForm:
    """The form as a page opens it: the amount due now (and a fresh one-time key, ``AttemptField``)."""
    token = "tok_ok" if settings.MILLET_PAYMENT_GATEWAY == "test" else ""
    initial = {"amount": summary.due_now, "card_token": token}
    return RepayForm(initial=initial, summary=summary)


def _with_new_attempt(request: HttpRequest, summary: LoanSummary) -> RepayForm:
    """The sent form again with a fresh one-time key, validated so its other errors still show."""
    form = RepayForm(with_fresh_attempt(request.POST), summary=summary)
    form.is_valid()
    return form


def _status(summary: LoanSummary) -> tuple[str, str]:
    if summary.state == "late":
        days = summary.days_late
        return ngettext("Late by %(days)s day", "Late by %(days)s days", days) % {"days": days}, "danger"
    return STATE.get(summary.state, (summary.state, "neutral"))


# Why a payment on a loan was refused (the codes whose sentence needs nothing of the loan), and the
# general sentence for any other refusal.
PAYMENT_REFUSALS = {
    "loan_not_active": gettext_lazy("This loan is closed: there is nothing left to pay on it."),
    "idempotency_key_reused": gettext_lazy(
        "This form was already used for another payment. Check the history below, then pay again."
    ),
}
NOT_PAID = gettext_lazy("The payment did not go through. Check the details and try again.")


def _refusal(exc: DomainError, summary: LoanSummary) -> str:
    """The service's refusal in the borrower's words."""
    if exc.code == "payment_declined":
        return card_problem(exc)
    if exc.code == "exceeds_payoff":
        return _("That is more than you owe. To pay off the whole loan today, pay %(amount)s.") % {
            "amount": money(summary.payoff, summary.currency)
        }
    if exc.code == "malformed_money":  # the currency's own places (ISO 4217 minor unit), not always 2
        places = currency_exponent(summary.currency)
        if not places:
            return _("Enter a whole amount above zero.")
        return ngettext(
            "Enter an amount above zero, with at most %(places)s decimal.",
            "Enter an amount above zero, with at most %(places)s decimals.",
            places,
        ) % {"places": places}
    return refusal_words(exc, PAYMENT_REFUSALS, NOT_PAID)


@login_required
@require_safe
def loans(request: HttpRequest) -> HttpResponse:
    """My loans: only the person's own, even for a risk officer (who reads every loan elsewhere)."""
    rows = [{"summary": s, "status": _status(s)} for s in loan_summaries(request_actor(request))]
    return render(request, "lending/loans.html", {"rows": rows})


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def loan(request: HttpRequest, number: str) -> HttpResponse:
    """One of the person's own loans; a POST pays on it with the form's one-time ``attempt`` key."""
    actor = request_actor(request)
    with as_404():
        statement = loan_statement(actor, number)
    if request.method != "POST":
        return _page(request, statement, _new_form(statement.summary))
    form = RepayForm(request.POST, summary=statement.summary)
    if not form.is_valid():  # a damaged hidden key is said on the form, drawn with a new one
        return _page(request, statement, form, status=422)
    data = form.cleaned_data
    try:
        with as_404():
            event = repay(
                actor,
                number,
                amount=data["amount"],
                currency=statement.summary.currency,
                payment_token=data["card_token"],
                idempotency_key=data["attempt"],
            )
    except DomainError as exc:
        if exc.code == "idempotency_key_reused":  # that key paid already: the next send needs its own
            form = _with_new_attempt(request, statement.summary)
        form.add_error(REFUSAL_FIELD.get(exc.code), _refusal(exc, statement.summary))
        return _page(request, statement, form, status=exc.form_status)
    cur = statement.summary.currency
    done = {
        "amount": money(from_minor(event.amount_minor, cur), cur),
        "order": statement.summary.loan.order_number,
    }
    messages.success(request, _("Thank you: %(amount)s paid on the loan for order %(order)s.") % done)
    return redirect("lending:loan", number=number)


def _page(
    request: HttpRequest, statement: LoanStatement, form: RepayForm, *, status: int = 200
) -> HttpResponse:
    summary = statement.summary
    context = {
        "summary": summary,
        "loan": summary.loan,
        "status": _status(summary),
        "method": METHOD.get(summary.loan.method, summary.loan.method),
        "financed": from_minor(summary.loan.principal_minor, summary.currency),
        "late_fee": from_minor(summary.loan.late_fee_minor, summary.currency),
        "schedule": [{"line": line, "state": INSTALLMENT_STATE[line.state]} for line in statement.schedule],
        "history": [{"line": line, "what": HISTORY.get(line.kind, line.kind)} for line in statement.history],
        "form": form,
    }
    return render(request, "lending/loan.html", context, status=status)
