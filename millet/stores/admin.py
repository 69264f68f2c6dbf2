"""Back-office screens for the store network.

Stores are created by ``open_store`` (the add form here, the API or opening a planned opening),
because a store needs its stock location created with it; the admin's change form edits existing
stores' own fields only. Planned openings change
stage through ``advance_opening`` (admin actions here, or the API when a store must be named), so
the stage rules hold whichever screen is used.
"""

from __future__ import annotations

from django import forms
from django.contrib import admin, messages
from django.utils.translation import gettext_lazy as _

from millet.accounts.actor import request_actor
from millet.accounts.backoffice import ServiceAddMixin, ServiceForm
from millet.core.errors import DomainError
from millet.core.form_errors import refusal_on_form
from millet.core.refusals import refusal_about
from millet.core.typed_numbers import DecimalNumberField
from millet.stores.hours import DAYS
from millet.stores.models import ExpansionGoal, PlannedOpening, StaffMember, Store
from millet.stores.services import advance_opening, check_expansion_goal, open_store


class OpenStoreForm(ServiceForm):
    """A new store and its stock location (same code), open every day from ``opens`` to ``closes``
    (other hours per day are set on the store's page afterwards)."""

    REFUSALS = {
        "invalid_store_code": _("A store code is 2 to 32 capital letters, digits or -, like CN-SH-055."),
        "duplicate_store": _("There is already a store %(code)s."),
        "invalid_coordinates": _("The latitude or longitude is out of range or has more than 6 decimals."),
        "invalid_hours": _("A store cannot open and close at the same time."),
    }
    REFUSED = _("The store could not be opened. Check its details and try again.")

    code = forms.CharField(label=_("Code"), max_length=32, help_text=_("e.g. CN-SH-055"))
    name = forms.CharField(label=_("Name"), max_length=128)
    market = forms.CharField(label=_("Market"), max_length=2, help_text=_("CN, IN or DE"))
    city = forms.CharField(label=_("City"), max_length=64)
    address = forms.CharField(label=_("Address"), max_length=255)
    latitude = DecimalNumberField(label=_("Latitude"), max_digits=9, decimal_places=6)
    longitude = DecimalNumberField(label=_("Longitude"), max_digits=9, decimal_places=6)
    opens = forms.TimeField(label=_("Opens at"), initial="10:00")
    closes = forms.TimeField(label=_("Closes at"), initial="22:00")
    opened_on = forms.DateField(label=_("Opened on"), required=False, widget=admin.widgets.AdminDateWidget)

    def create(self, actor, data: dict) -> Store:
        span = [data["opens"].strftime("%H:%M"), data["closes"].strftime("%H:%M")]
        fields = {k: v for k, v in data.items() if k not in ("opens", "closes")}
        return open_store(
            actor=actor,
            **{**fields, "market": data["market"].upper()},
            opening_hours=dict.fromkeys(DAYS, span),
        )


class StaffInline(admin.TabularInline):
    model = StaffMember
    extra = 0
    raw_id_fields = ("user",)


@admin.register(Store)
class StoreAdmin(ServiceAddMixin, admin.ModelAdmin):
    list_display = ("code", "name", "market", "city", "opened_on", "is_active")
    list_filter = ("market", "is_active", "city")
    search_fields = ("code", "name", "city", "address")
    readonly_fields = ("code", "market", "location")
    date_hierarchy = "opened_on"
    inlines = [StaffInline]
    add_form = OpenStoreForm  # a new store is opened by the service, with its stock location


@admin.register(StaffMember)
class StaffMemberAdmin(admin.ModelAdmin):
    list_display = ("user", "store", "role")
    list_filter = ("role", "store__market")
    search_fields = ("user__username", "user__email", "store__code", "store__name")
    raw_id_fields = ("user", "store")
    list_select_related = ("user", "store")


class ExpansionGoalForm(forms.ModelForm):
    """A goal added or corrected here obeys ``check_expansion_goal``, as one set by the service."""

    REFUSALS = {"invalid_goal": _("A goal needs more than 0 stores and a start before its target date.")}

    class Meta:
        model = ExpansionGoal
        fields = ("market", "target_store_count", "starts_on", "target_date", "description")

    def clean(self):
        data = super().clean()
        if all(data.get(name) is not None for name in ("market", "target_store_count", "target_date")):
            with refusal_on_form(self.REFUSALS):
                check_expansion_goal(
                    market=data["market"].pk,
                    target_store_count=data["target_store_count"],
                    target_date=data["target_date"],
                    starts_on=data.get("starts_on"),
                )
        return data


@admin.register(ExpansionGoal)
class ExpansionGoalAdmin(admin.ModelAdmin):
    form = ExpansionGoalForm
    list_display = ("market", "target_store_count", "starts_on", "target_date", "description")
    list_filter = ("market",)
    search_fields = ("description",)


# Why an opening did not move, as the admin says it: its stage does not lead there (one already
# opened or dropped, or moved by another admin meanwhile).
ADVANCE_REFUSALS = {"invalid_transition": _("Its stage cannot move to that one.")}


def _advance_action(stage: str, label: str):
    def action(modeladmin, request, queryset) -> None:
        actor = request_actor(request)
        for opening in queryset:
            try:
                advance_opening(opening.pk, stage, actor=actor)
            except DomainError as exc:
                modeladmin.message_user(
                    request, refusal_about(opening, exc, ADVANCE_REFUSALS), messages.ERROR
                )

    action.__name__ = f"move_to_{stage}"
    return admin.action(description=label)(action)


@admin.register(PlannedOpening)
class PlannedOpeningAdmin(admin.ModelAdmin):
    list_display = ("name", "market", "city", "stage", "target_date", "store")
    list_filter = ("stage", "market")
    search_fields = ("name", "city", "store__code")
    date_hierarchy = "target_date"
    readonly_fields = ("stage", "store")
    list_select_related = ("store",)
    actions = [
        _advance_action(PlannedOpening.Stage.SIGNED, _("Move to: lease signed")),
        _advance_action(PlannedOpening.Stage.FITTING_OUT, _("Move to: fitting out")),
        _advance_action(PlannedOpening.Stage.DROPPED, _("Drop")),
    ]
