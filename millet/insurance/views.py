"""The claims handler's queue (issue 11 item 6): claims waiting for a decision, each with what the
unit's own telemetry says (``device_evidence``, stored on the claim when it was filed), decided with
a reason, and approved claims paid out (``pay_claim``: reserve -> gateway on the ledger). Only
claims handlers and staff; anyone else 403."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_http_methods

from millet.accounts.actor import Actor, request_actor
from millet.accounts.services import usernames
from millet.core.errors import DomainError, Forbidden
from millet.core.not_found import as_404
from millet.core.refusals import refusal_words
from millet.insurance.services import decide_claim, list_claims, pay_claim

PERILS = {
    "accidental_damage": _("Accidental damage"),
    "liquid_damage": _("Liquid damage"),
    "breakdown": _("Breakdown"),
    "theft": _("Theft"),
}
VERDICTS = {  # (label, badge tone)
    "not_connected": (_("Not a connected unit"), "neutral"),
    "supported": (_("Telemetry supports the claim"), "success"),
    "no_evidence": (_("No matching event"), "warning"),
    "refer": (_("Telemetry contradicts the claim"), "danger"),
}
REFUSALS = {
    "reason_required": _("A rejection needs a reason."),
    "referral_reason_required": _(
        "The unit's telemetry contradicts this claim: approving it needs a reason."
    ),
    "claim_already_decided": _("This claim has already been decided."),
    "claim_already_paid": _("This claim has already been paid."),
    "claim_not_approved": _("Only an approved claim is paid."),
    "exceeds_cover": _("The claim exceeds the cover left."),
    "policy_not_active": _("The policy is no longer active."),
}


class DecisionForm(forms.Form):
    reason = forms.CharField(
        label=_("Reason for the decision"),
        max_length=255,
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("Required to reject, and to approve a claim the telemetry contradicts."),
    )
    decision = forms.ChoiceField(choices=[("approve", _("Approve")), ("reject", _("Reject"))])


def _handler(request: HttpRequest) -> Actor:
    actor = request_actor(request)
    if not actor.is_claims_handler:
        raise PermissionDenied("claims handlers only")
    return actor


def _evidence(claim) -> dict:
    """The stored telemetry facts, with their moments as datetimes for the page's formats."""
    facts = dict(claim.evidence)
    for key in ("last_seen", "last_report_at"):
        facts[key] = parse_datetime(facts[key]) if facts.get(key) else None
    for key in ("events", "matching_events"):
        facts[key] = [{"at": parse_datetime(e["at"]), "name": e["name"]} for e in facts.get(key, [])]
    return facts


def _rows(claims, forms_by_number: dict) -> list[dict]:
    claims = list(claims)
    holders = usernames(c.policy.holder_id for c in claims)
    return [
        {
            "claim": c,
            "holder": holders.get(c.policy.holder_id, ""),
            "peril": PERILS.get(c.peril, c.peril),
            "verdict": VERDICTS.get(c.evidence_verdict, (c.evidence_verdict, "neutral")),
            "evidence": _evidence(c),
            "form": forms_by_number.get(c.number) or DecisionForm(auto_id=f"id_{c.number}_%s"),
        }
        for c in claims
    ]


def _queue(request: HttpRequest, actor: Actor, forms_by_number: dict, status: int = 200) -> HttpResponse:
    context = {
        "to_decide": _rows(list_claims(actor, status="submitted").reverse(), forms_by_number),
        "to_pay": _rows(list_claims(actor, status="approved").reverse(), {}),
    }
    return render(request, "insurance/claims.html", context, status=status)


@login_required
@require_http_methods(["GET", "HEAD"])
def queue(request: HttpRequest) -> HttpResponse:
    return _queue(request, _handler(request), {})


@login_required
@require_http_methods(["POST"])
def decide(request: HttpRequest, number: str) -> HttpResponse:
    """Approve or reject one claim; a refusal comes back on its form: 422 for the form's errors, the
    service's own status otherwise (409 once the claim is decided)."""
    actor = _handler(request)
    form = DecisionForm(request.POST, auto_id=f"id_{number}_%s")
    status = 422
    if form.is_valid():
        approve = form.cleaned_data["decision"] == "approve"
        try:
            with as_404():
                decide_claim(actor, number, approve=approve, reason=form.cleaned_data["reason"])
        except Forbidden as exc:
            raise PermissionDenied(exc.detail) from None
        except DomainError as exc:
            form.add_error("reason" if "reason" in exc.code else None, refusal_words(exc, REFUSALS))
            status = exc.form_status
        else:
            done = _("%(number)s approved: the payout is reserved.") if approve else _("%(number)s rejected.")
            messages.success(request, done % {"number": number})
            return redirect("insurance:claims")
    return _queue(request, actor, {number: form}, status=status)


@login_required
@require_http_methods(["POST"])
def pay(request: HttpRequest, number: str) -> HttpResponse:
    """Pay an approved claim out through the gateway that took the premium; a refusal (already
    paid, say) is shown above the queue with the service's status (409), nothing paid."""
    actor = _handler(request)
    try:
        with as_404():
            pay_claim(actor, number)
    except DomainError as exc:
        messages.error(request, refusal_words(exc, REFUSALS))
        return _queue(request, actor, {}, status=exc.status_code)
    messages.success(request, _("%(number)s paid out.") % {"number": number})
    return redirect("insurance:claims")
