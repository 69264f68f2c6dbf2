"""The risk officers' pages: the monitoring page (live scores against training, PSI, and cohorts)
and the review queue (issue 11 item 5: referred applications with what the model saw and why it
referred them, decided with a written reason that ``review_application`` keeps).

The monitoring chart's geometry is computed in ``lending.charts``, as the store dashboard's is in
``stores.charts``, so the page needs no JavaScript or chart library and works offline.
"""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_http_methods

from millet.accounts.actor import request_actor
from millet.accounts.services import usernames
from millet.core.errors import Conflict, DomainError, Forbidden
from millet.core.not_found import as_404
from millet.core.refusals import refusal_words
from millet.lending.charts import distribution_rows
from millet.lending.services import list_applications, review_application
from millet.lending.services.applications import MAX_REVIEW_NOTE
from millet.lending.services.monitoring import ENOUGH, NOT_ENOUGH, monitoring_report

# The report's readings of PSI (services.monitoring) as the page words and colours them.
# What a risk officer reads when a decision or the report is refused (the services' codes; their
# details are English, for the API).
REFUSALS = {
    "not_referred": _("This application is decided already: it has left the queue."),
    "not_payable": _("Its order no longer waits for payment: the application cannot be approved."),
}
NOT_DECIDED = _("This application cannot be decided now: reload the queue.")
NO_MODEL = _("No credit model is approved yet: credit is not offered, so there is nothing to monitor.")

STABILITY = {
    "stable": (_("Stable"), "success"),
    "drifting": (_("Drifting"), "warning"),
    "shifted": (_("Shifted"), "danger"),
    NOT_ENOUGH: (_("not enough applications"), "info"),
    "no live applications yet": (_("no live applications yet"), "info"),
}


@login_required
def monitoring(request: HttpRequest) -> HttpResponse:
    try:
        report = monitoring_report(request_actor(request))
    except Forbidden as exc:
        raise PermissionDenied(exc.detail) from None
    except Conflict:  # no approved model yet (its detail is English, for the API)
        return render(request, "lending/monitoring.html", {"problem": NO_MODEL}, status=409)
    label, tone = STABILITY[report.stability]
    context = {
        "report": report,
        "rows": distribution_rows(report),
        "stability": label,
        "stability_tone": tone,
        "enough": ENOUGH,
    }
    return render(request, "lending/monitoring.html", context)


class ReviewForm(forms.Form):
    reason = forms.CharField(
        label=_("Reason for the decision"),
        max_length=MAX_REVIEW_NOTE,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Kept with your name and the time, for audit."),
    )
    decision = forms.ChoiceField(choices=[("approve", _("Approve")), ("decline", _("Decline"))])


def _queue(request: HttpRequest, actor, forms_by_number: dict, status: int = 200) -> HttpResponse:
    referred = list(list_applications(actor, status="referred"))
    names = usernames(a.customer_id for a in referred)
    rows = [
        {
            "application": a,
            "customer": names.get(a.customer_id, ""),
            "features": sorted(a.features.items()),
            "form": forms_by_number.get(a.number) or ReviewForm(auto_id=f"id_{a.number}_%s"),
        }
        for a in referred
    ]
    return render(request, "lending/reviews.html", {"rows": rows}, status=status)


@login_required
@require_http_methods(["GET", "HEAD"])
def review_queue(request: HttpRequest) -> HttpResponse:
    actor = request_actor(request)
    if not actor.is_risk_officer:
        raise PermissionDenied("risk officers only")
    return _queue(request, actor, {})


@login_required
@require_http_methods(["POST"])
def decide(request: HttpRequest, number: str) -> HttpResponse:
    """Approve or decline one referred application. A form error comes back on its form (422); the
    service's refusal is shown above the queue with its own status (409 once the application is
    decided, 422 for a reason it will not take)."""
    actor = request_actor(request)
    form = ReviewForm(request.POST, auto_id=f"id_{number}_%s")
    status = 422
    if form.is_valid():
        approve = form.cleaned_data["decision"] == "approve"
        try:
            with as_404():
                review_application(actor, number, approve=approve, reason=form.cleaned_data["reason"])
        except Forbidden as exc:
            raise PermissionDenied(exc.detail) from None
        except DomainError as exc:  # shown above the queue: a decided application has left it
            messages.error(request, refusal_words(exc, REFUSALS, NOT_DECIDED))
            status = exc.form_status
        else:
            done = _("%(number)s approved.") if approve else _("%(number)s declined.")
            messages.success(request, done % {"number": number})
            return redirect("lending:reviews")
    if not actor.is_risk_officer:
        raise PermissionDenied("risk officers only")
    return _queue(request, actor, {number: form}, status=status)
