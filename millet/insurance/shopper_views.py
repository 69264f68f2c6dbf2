"""The shopper's device protection: their policies and claims under /account/protection/, filing a
claim from a policy, and buying a plan for a unit of their order (the panel on the order's page).

Thin over the insurance services, which decide everything: a refusal comes back on the form with
its words (422), and another person's policy or order is a 404 like one that does not exist.
"""

from __future__ import annotations

from dataclasses import asdict, fields

from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods, require_POST

from millet.accounts.actor import Actor, request_actor
from millet.core.errors import DomainError
from millet.core.not_found import as_404
from millet.core.quotes import quote, quoted
from millet.core.refusals import refusal_words
from millet.insurance import services
from millet.insurance.views import PERILS
from millet.sales import services as sales
from millet.sales.views import refused_on_order_page

POLICY_STATUS = {  # (label, badge tone)
    "active": (gettext_lazy("Active"), "success"),
    "exhausted": (gettext_lazy("Cover used up"), "neutral"),
    "expired": (gettext_lazy("Term ended"), "neutral"),
    "cancelled": (gettext_lazy("Cancelled: the unit was returned"), "neutral"),
}
CLAIM_STATUS = {
    "submitted": (gettext_lazy("Waiting for a decision"), "warning"),
    "approved": (gettext_lazy("Approved: payout on its way"), "info"),
    "paid": (gettext_lazy("Paid out"), "success"),
    "rejected": (gettext_lazy("Rejected"), "danger"),
}
# A service refusal's code -> (the field it is about, or None for the whole form; the words shown).
REFUSALS = {
    "invalid_peril": ("peril", gettext_lazy("Choose what happened from the list.")),
    "peril_not_covered": ("peril", gettext_lazy("Your plan does not cover this.")),
    "invalid_incident_at": ("incident_at", gettext_lazy("The incident cannot be in the future.")),
    "outside_term": ("incident_at", gettext_lazy("The incident is outside your cover's dates.")),
    "invalid_description": ("description", gettext_lazy("Say what happened in at most 2000 characters.")),
    "malformed_money": ("amount", gettext_lazy("Enter an amount, such as 450.00.")),
    "below_excess": ("amount", gettext_lazy("The amount must be more than your excess.")),
    "exceeds_cover": ("amount", gettext_lazy("The amount, less the excess, is more than the cover left.")),
    "policy_not_active": (None, gettext_lazy("This policy is no longer active.")),
    "claim_open": (None, gettext_lazy("A claim on this policy is already waiting for a decision.")),
    "claims_exhausted": (None, gettext_lazy("The claims of this policy are used up.")),
    "unknown_unit": (None, gettext_lazy("The unit went back to the shop.")),
    "purchase_window_closed": (None, gettext_lazy("This plan can no longer be bought for this unit.")),
    "payment_declined": (None, gettext_lazy("Your card was declined.")),
    "terms_changed": (
        None,
        gettext_lazy(
            "The price or cover of this plan changed since the page was opened, so nothing was charged. "
            "Check the offer again."
        ),
    ),
}
PANEL = "insurance"  # the key of the order page's panel (``sales.panels``), registered in apps.py


def refusal_text(exc: DomainError) -> str:
    return refusal_words(exc, {code: words for code, (_, words) in REFUSALS.items()})


class ClaimForm(forms.Form):
    peril = forms.ChoiceField(label=gettext_lazy("What happened"))
    incident_at = forms.DateTimeField(
        label=gettext_lazy("When it happened"),
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
    )
    description = forms.CharField(
        label=gettext_lazy("Tell us what happened"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    amount = forms.CharField(
        label=gettext_lazy("Amount claimed"),
        max_length=20,
        help_text=gettext_lazy("What the repair or replacement costs; your excess is taken off it."),
    )

    def __init__(self, *args, perils: list[str], **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["peril"].choices = [(p, PERILS.get(p, p)) for p in perils]


class ProtectForm(forms.Form):
    order = forms.CharField(max_length=24, widget=forms.HiddenInput)
    serial = forms.CharField(max_length=32, widget=forms.HiddenInput)
    plan = forms.CharField(max_length=32, widget=forms.HiddenInput)
    card_token = forms.CharField(label=gettext_lazy("Card token"), max_length=64)


def _policy_rows(actor: Actor, claim_forms: dict) -> list[dict]:
    policies = list(services.list_policies(actor).filter(holder_id=actor.user_id))
    claims: dict[int, list] = {}
    for claim in services.list_claims(actor).filter(policy__holder_id=actor.user_id):
        claims.setdefault(claim.policy_id, []).append(claim)
    titles = sales.sku_titles(p.plan.sku_id for p in policies)
    return [
        {
            "policy": p,
            "device": titles.get(p.plan.sku_id, p.plan.sku_code),
            "status": POLICY_STATUS.get(p.status, (p.status, "neutral")),
            "perils": [PERILS.get(x, x) for x in p.perils],
            "claims": [
                {
                    "claim": c,
                    "peril": PERILS.get(c.peril, c.peril),
                    "status": CLAIM_STATUS.get(c.status, (c.status, "neutral")),
                }
                for c in claims.get(p.pk, [])
            ],
            "form": claim_forms.get(p.number)
            or (ClaimForm(perils=p.perils, auto_id=f"id_{p.number}_%s") if p.status == "active" else None),
        }
        for p in policies
    ]


def _to_policy(number: str) -> HttpResponse:
    return redirect(f"{reverse('protection:home')}#{number}")


def _page(request: HttpRequest, actor: Actor, claim_forms: dict, status: int = 200) -> HttpResponse:
    context = {"rows": _policy_rows(actor, claim_forms)}
    return render(request, "insurance/protection.html", context, status=status)


@login_required
@require_http_methods(["GET", "HEAD"])
def protection(request: HttpRequest) -> HttpResponse:
    """My protection: each policy with its device, cover, term and claims, and a form to claim."""
    return _page(request, request_actor(request), {})


@login_required
@require_POST
def file_claim(request: HttpRequest, number: str) -> HttpResponse:
    """File a claim on one of the shopper's own policies; a refusal comes back on its form: 422 for
    the form's errors, the service's own status otherwise (409 for a policy that no longer covers)."""
    actor = request_actor(request)
    with as_404():
        policy = services.get_own_policy(actor, number)
    form = ClaimForm(request.POST, perils=policy.perils, auto_id=f"id_{number}_%s")
    status = 422
    if form.is_valid():
        data = form.cleaned_data
        try:
            with as_404():
                claim = services.submit_claim(
                    actor,
                    number,
                    peril=data["peril"],
                    incident_at=data["incident_at"],
                    amount=data["amount"].strip(),
                    description=data["description"],
                )
        except DomainError as exc:
            field = REFUSALS.get(exc.code, (None,))[0]
            form.add_error(field, refusal_text(exc))
            status = exc.form_status
        else:
            messages.success(
                request, _("Claim %(number)s is filed: it waits for a decision.") % {"number": claim.number}
            )
            return _to_policy(number)
    return _page(request, actor, {number: form}, status=status)


def order_panel(request: HttpRequest, actor: Actor, order, refused: ProtectForm | None = None) -> str:
    """The order page's "Protect your devices" section: a button per unit and open plan ("" if none).

    ``refused`` is a purchase the services refused (``protect``): it comes back on its unit's form,
    or, when that offer is gone (its window closed, the unit insured meanwhile), above the others."""
    if order.customer_id != actor.user_id:
        return ""
    offers = services.protection_offers(actor, order.number)
    if not offers and refused is None:
        return ""
    titles = sales.sku_titles(o.sku_id for o in offers)
    token = "tok_ok" if settings.MILLET_PAYMENT_GATEWAY == "test" else ""
    asked = (refused.data.get("serial"), refused.data.get("plan")) if refused is not None else None
    rows = [
        {
            "offer": o,
            "device": titles.get(o.sku_id, o.plan.sku_code),
            "perils": [PERILS.get(p, p) for p in o.plan.perils],
            "terms": terms_quote(services.OfferedTerms.of(o.price)),  # always today's
            "form": refused
            if asked == (o.serial, o.plan.code)
            else ProtectForm(
                initial={"order": order.number, "serial": o.serial, "plan": o.plan.code, "card_token": token},
                auto_id=_protect_id(o.serial, o.plan.code),
            ),
        }
        for o in offers
    ]
    shown = any(row["form"] is refused for row in rows)
    refusals = [] if refused is None or shown else [e for errors in refused.errors.values() for e in errors]
    context = {"rows": rows, "refusals": refusals}
    return render_to_string("insurance/_order_protection.html", context, request=request)


def terms_quote(terms: services.OfferedTerms) -> str:
    """An offer's terms as its form's hidden ``terms`` (``core.quotes``): what the buyer is shown,
    sent back with the purchase (``offered_terms``)."""
    return quote(asdict(terms))


def offered_terms(text: str) -> services.OfferedTerms | None:
    """The terms a purchase's form showed, or None when missing or damaged: then what the buyer saw
    is unknown, and the purchase is refused as ``terms_changed`` (the offer is shown again)."""
    amounts = quoted(text)
    if amounts is None or amounts.keys() != {f.name for f in fields(services.OfferedTerms)}:
        return None
    return services.OfferedTerms(**amounts)


def _protect_id(serial: str, plan: str) -> str:
    return f"id_{serial}_{plan}_%s"


@login_required
@require_POST
def protect(request: HttpRequest) -> HttpResponse:
    """Buy a plan for a unit of the shopper's own order. A refusal comes back on the order's page
    with its words and the service's status (402 declined, 409 window closed or insured, 422), and
    nothing is charged; only a purchase that went through redirects, to the new policy. A resend of
    the same purchase finds the unit already protected by this plan and shows that policy instead
    of charging again. Another person's order, or a unit not on it, is a 404."""
    actor = request_actor(request)
    with as_404():
        order = sales.get_own_order(actor, request.POST.get("order", ""))
    serial, plan = request.POST.get("serial", ""), request.POST.get("plan", "")
    form = ProtectForm(request.POST, auto_id=_protect_id(serial, plan))
    if not form.is_valid():
        if form.errors.keys() - {"card_token"}:  # the hidden fields name no unit and plan
            raise Http404("no such unit")
        return refused_on_order_page(request, actor, order, panel=PANEL, state=form, status=422)
    data = form.cleaned_data
    expected = offered_terms(request.POST.get("terms", ""))
    if expected is None:  # what the buyer saw is unknown: the offer as it stands is shown again
        form.add_error(None, REFUSALS["terms_changed"][1])
        return refused_on_order_page(request, actor, order, panel=PANEL, state=form, status=409)
    try:
        with as_404():
            policy = services.buy_policy(
                actor,
                order.number,
                data["serial"],
                data["plan"],
                payment_token=data["card_token"],
                expected=expected,
            )
    except DomainError as exc:
        if exc.code == "already_insured":
            held = services.list_policies(actor, serial=data["serial"], status="active").first()
            if held and held.holder_id == actor.user_id and held.plan.code == data["plan"]:
                messages.success(request, _("%(serial)s is already protected.") % {"serial": data["serial"]})
                return _to_policy(held.number)
        form.add_error(None, refusal_text(exc))
        return refused_on_order_page(request, actor, order, panel=PANEL, state=form, status=exc.status_code)
    done = {"serial": data["serial"], "number": policy.number}
    messages.success(request, _("%(serial)s is protected: policy %(number)s.") % done)
    return _to_policy(policy.number)
