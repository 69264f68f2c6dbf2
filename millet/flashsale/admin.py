"""Back-office view of flash sales: read-only, with each campaign's results on its page.

Campaigns are created through the API (``POST /api/flashsale/campaigns``) because creating one sets
units aside in inventory and opens the gate; a hand-made row would do neither.
"""

from __future__ import annotations

from django.contrib import admin

from millet.accounts.actor import SYSTEM
from millet.core.admin import ReadOnlyAdmin
from millet.flashsale import services
from millet.flashsale.models import Campaign, Claim, StreamDeadLetter, WaitlistEntry


@admin.register(Campaign)
class CampaignAdmin(ReadOnlyAdmin):
    list_display = (
        "code",
        "name",
        "sku",
        "units",
        "price",
        "starts_at",
        "ends_at",
        "sold_out_at",
        "closed_at",
    )
    search_fields = ("code", "name")
    list_select_related = ("sku",)
    readonly_fields = ("results",)

    @admin.display(description="Results")
    def results(self, obj: Campaign) -> str:
        r = services.campaign_results(SYSTEM, obj.code)
        took = f"{r.sold_out_seconds:.1f} s" if r.sold_out_seconds is not None else "not sold out"
        return (
            f"claims {r.claims} (queued {r.queued}, awaiting payment {r.ordered}), paid {r.paid}, "
            f"expired {r.expired}, rejected {r.rejected}; sold {r.sold} of {r.units}, "
            f"{r.available} left, waitlist {r.waitlist}; time to sell out: {took}"
        )


@admin.register(Claim)
class ClaimAdmin(ReadOnlyAdmin):
    list_display = ("gate_id", "campaign", "customer", "status", "order_number", "claimed_at", "expires_at")
    list_filter = ("status", "campaign")
    search_fields = ("gate_id", "order_number", "customer__username")
    list_select_related = ("campaign", "customer")


@admin.register(WaitlistEntry)
class WaitlistEntryAdmin(ReadOnlyAdmin):
    list_display = ("campaign", "customer", "status", "joined_at", "claim_gate_id")
    list_filter = ("status", "campaign")
    list_select_related = ("campaign", "customer")


@admin.register(StreamDeadLetter)
class StreamDeadLetterAdmin(ReadOnlyAdmin):
    """Stream entries the order writer set aside (see ``flashsale/services/deadletters.py``), by reason."""

    list_display = ("created_at", "campaign", "gate_id", "reason", "fields", "detail")
    list_filter = ("reason", "campaign")
    search_fields = ("gate_id",)
    list_select_related = ("campaign",)
