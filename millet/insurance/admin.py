"""Back office for device protection: plans are edited here, checked by the rules ``create_plan``
obeys (``check_plan``, ``check_plan_price``); a price is in its market's currency and keeps that
market once made, and a plan keeps its SKU once made (policies bind to that SKU's units). Policies
and claims only change through the services (they move money on the ledger), so the admin shows
them read-only."""

from __future__ import annotations

from django import forms
from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from millet.core.admin import KeptOnceMade, ReadOnlyAdmin, ReadOnlyTabularInline
from millet.core.form_errors import refusal_on_form
from millet.insurance import services as insurance
from millet.insurance.models import Claim, PlanPrice, Policy, ProtectionPlan

# A plan's and its prices' refusals on their forms, in the staff member's language.
PRICE_REFUSALS = {"invalid_plan": _("The excess must be below the cover limit.")}
PLAN_REFUSALS = {
    "invalid_plan": _(
        "Check the plan's terms: a code of letters, digits or -, a name of up to 120 characters, "
        "and a term, number of claims and purchase window within their limits."
    ),
    "invalid_perils": _("A plan covers at least one peril, each one of those listed (not %(perils)s)."),
    "sku_not_serialized": _("%(sku)s has no serial numbers to bind a policy to."),
    "unknown_sku": _("There is no SKU %(sku)s."),
}


class PlanPriceForm(KeptOnceMade):
    """A price checked by ``check_plan_price``; its currency is its market's, never typed. A made
    price keeps its market: moved, its amounts would be read in another currency (CNY 199.00 as
    EUR 199.00)."""

    KEPT = ("market",)

    class Meta:
        model = PlanPrice
        fields = ("market", "premium", "cover_limit", "excess")

    def clean(self) -> dict:
        data = super().clean()
        names = ("market", "premium", "cover_limit", "excess")
        if any(data.get(name) is None for name in names):
            return data  # the field's own error is shown
        with refusal_on_form(PRICE_REFUSALS, otherwise=_("This price was refused.")):
            currency, *amounts = insurance.check_plan_price(data["market"].pk, *(data[n] for n in names[1:]))
        data.update(zip(names[1:], amounts, strict=True))
        self.instance.currency = currency
        return data


class PlanPriceInline(admin.TabularInline):
    model = PlanPrice
    form = PlanPriceForm
    extra = 0
    min_num = 1  # create_plan's rule: a plan has a price in at least one market
    readonly_fields = ("currency",)


class ProtectionPlanForm(forms.ModelForm):
    """A plan's terms checked by ``check_plan``, as ``create_plan``'s are; ``sku_code`` follows the
    SKU (read-only once the plan is made)."""

    class Meta:
        model = ProtectionPlan
        fields = ("code", "name", "sku", "term_months", "perils", "max_claims", "purchase_window_days")
        fields += ("is_active",)

    def clean(self) -> dict:
        data = super().clean()
        names = ("code", "name", "term_months", "perils", "max_claims", "purchase_window_days")
        sku_code = data["sku"].code if data.get("sku") is not None else self.instance.sku_code
        if not sku_code or any(data.get(name) is None for name in names):
            return data  # the field's own error is shown
        with refusal_on_form(PLAN_REFUSALS, otherwise=_("This plan was refused.")):
            _sku_id, data["perils"] = insurance.check_plan(sku_code=sku_code, **{n: data[n] for n in names})
        self.instance.sku_code = sku_code
        return data


@admin.register(ProtectionPlan)
class ProtectionPlanAdmin(admin.ModelAdmin):
    form = ProtectionPlanForm
    list_display = ("code", "name", "sku", "term_months", "max_claims", "is_active")
    list_filter = ("is_active", "term_months")
    search_fields = ("code", "name", "sku__code")
    inlines = [PlanPriceInline]

    def get_readonly_fields(self, request, obj=None) -> tuple[str, ...]:
        """A made plan keeps its SKU: its policies cover that SKU's units (``buy_policy`` checks it)."""
        return () if obj is None else ("sku", "sku_code")


class ClaimInline(ReadOnlyTabularInline):
    model = Claim
    fields = ("number", "peril", "incident_at", "amount_claimed", "payout", "status", "evidence_verdict")


@admin.register(Policy)
class PolicyAdmin(ReadOnlyAdmin):
    list_display = (
        "number",
        "serial",
        "plan",
        "holder",
        "status",
        "premium",
        "paid_out",
        "currency",
        "ends_at",
    )
    list_filter = ("status", "market", "plan")
    search_fields = ("number", "serial", "order_number", "holder__username")
    date_hierarchy = "created_at"
    inlines = [ClaimInline]


@admin.register(Claim)
class ClaimAdmin(ReadOnlyAdmin):
    list_display = (
        "number",
        "policy",
        "peril",
        "amount_claimed",
        "payout",
        "status",
        "evidence_verdict",
        "created_at",
    )
    list_filter = ("status", "peril", "evidence_verdict")
    search_fields = ("number", "policy__number", "policy__serial")
    date_hierarchy = "created_at"
    readonly_fields = ("evidence_summary",)

    @admin.display(description=_("Device evidence"))
    def evidence_summary(self, claim: Claim) -> str:
        """The readable line a handler needs first; the raw facts follow in ``evidence``."""
        return claim.evidence.get("summary", "")
