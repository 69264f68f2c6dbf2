"""Back office for device protection: plans are edited here; policies and claims only change through
the services (they move money on the ledger), so the admin shows them read-only."""

from __future__ import annotations

from django.contrib import admin

from millet.core.admin import ReadOnlyAdmin, ReadOnlyTabularInline
from millet.insurance.models import Claim, PlanPrice, Policy, ProtectionPlan


class PlanPriceInline(admin.TabularInline):
    model = PlanPrice
    extra = 0


@admin.register(ProtectionPlan)
class ProtectionPlanAdmin(admin.ModelAdmin):
    list_display = ("code", "name", "sku", "term_months", "max_claims", "is_active")
    list_filter = ("is_active", "term_months")
    search_fields = ("code", "name", "sku__code")
    inlines = [PlanPriceInline]


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

    @admin.display(description="Device evidence")
    def evidence_summary(self, claim: Claim) -> str:
        """The readable line a handler needs first; the raw facts follow in ``evidence``."""
        return claim.evidence.get("summary", "")
