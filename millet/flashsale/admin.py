"""Back-office view of flash sales: read-only, with each campaign's results on its page.

Campaigns are created by ``create_campaign`` (the add form here, or ``POST /api/flashsale/campaigns``)
because creating one sets units aside in inventory and opens the gate; a hand-made row would do
neither.
"""

from __future__ import annotations

from django import forms
from django.contrib import admin
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from millet.accounts.actor import SYSTEM
from millet.accounts.backoffice import ServiceAddAdmin, ServiceForm
from millet.core.admin import ReadOnlyAdmin
from millet.core.typed_numbers import DecimalNumberField, WholeNumberField
from millet.flashsale import services
from millet.flashsale.models import Campaign, Claim, StreamDeadLetter, WaitlistEntry


class CampaignForm(ServiceForm):
    REFUSALS = {
        "invalid_units": _("A sale sets aside from 1 to %(most)s units."),
        "invalid_window": _("The sale must end after it starts."),
        "invalid_campaign": _(
            "The units per customer, the payment window or the rate limits are out of range."
        ),
        "out_of_stock": _("The stock location does not have that many units free to set aside."),
    }
    REFUSED = _("The campaign could not be made. Check it and try again.")
    code = forms.SlugField(label=_("Code"), max_length=32)
    name = forms.CharField(label=_("Name"), max_length=128)
    sku_code = forms.CharField(label=_("SKU code"), max_length=32)
    market = forms.CharField(label=_("Market"), max_length=2, help_text=_("CN, IN or DE"))
    location_code = forms.CharField(
        label=_("Stock location"), max_length=32, help_text=_("The warehouse the units are set aside in.")
    )
    price = DecimalNumberField(label=_("Price"), max_digits=12, decimal_places=2, min_value=0)
    units = WholeNumberField(label=_("Units"), min_value=1, max_value=services.MAX_UNITS)
    starts_at = forms.SplitDateTimeField(label=_("Starts at"), widget=admin.widgets.AdminSplitDateTime)
    ends_at = forms.SplitDateTimeField(label=_("Ends at"), widget=admin.widgets.AdminSplitDateTime)
    per_customer_limit = WholeNumberField(
        label=_("Units per customer"), min_value=1, max_value=services.MAX_PER_CUSTOMER, initial=1
    )
    payment_window_seconds = WholeNumberField(
        label=_("Payment window (seconds)"),
        min_value=60,
        max_value=services.MAX_PAYMENT_WINDOW,
        initial=900,
    )

    def create(self, actor, data: dict) -> Campaign:
        return services.create_campaign(actor, **{**data, "market": data["market"].upper()})


@admin.register(Campaign)
class CampaignAdmin(ServiceAddAdmin):
    add_form = CampaignForm
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

    @admin.display(description=_("Results"))
    def results(self, obj: Campaign) -> str:
        r = services.campaign_results(SYSTEM, obj.code)
        took = (
            gettext("%(seconds).1f s") % {"seconds": r.sold_out_seconds}
            if r.sold_out_seconds is not None
            else gettext("not sold out")
        )
        return gettext(
            "claims %(claims)d (queued %(queued)d, awaiting payment %(ordered)d), paid %(paid)d, "
            "expired %(expired)d, rejected %(rejected)d; sold %(sold)d of %(units)d, "
            "%(available)d left, waitlist %(waitlist)d; time to sell out: %(took)s"
        ) % {
            "claims": r.claims,
            "queued": r.queued,
            "ordered": r.ordered,
            "paid": r.paid,
            "expired": r.expired,
            "rejected": r.rejected,
            "sold": r.sold,
            "units": r.units,
            "available": r.available,
            "waitlist": r.waitlist,
            "took": took,
        }


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
