"""Back-office screens for the store network.

Stores are created by ``open_store`` (the API or opening a planned opening), because a store needs
its stock location created with it; the admin edits existing stores only. Planned openings change
stage through ``advance_opening`` (admin actions here, or the API when a store must be named), so
the stage rules hold whichever screen is used.
"""

from __future__ import annotations

from django.contrib import admin, messages

from millet.accounts.actor import actor_for_user
from millet.core.errors import DomainError
from millet.stores.models import ExpansionGoal, PlannedOpening, StaffMember, Store
from millet.stores.services import advance_opening


class StaffInline(admin.TabularInline):
    model = StaffMember
    extra = 0
    raw_id_fields = ("user",)


@admin.register(Store)
class StoreAdmin(admin.ModelAdmin):
    list_display = ("code", "name", "market", "city", "opened_on", "is_active")
    list_filter = ("market", "is_active", "city")
    search_fields = ("code", "name", "city", "address")
    readonly_fields = ("code", "market", "location")
    date_hierarchy = "opened_on"
    inlines = [StaffInline]

    def has_add_permission(self, request) -> bool:
        return False


@admin.register(StaffMember)
class StaffMemberAdmin(admin.ModelAdmin):
    list_display = ("user", "store", "role")
    list_filter = ("role", "store__market")
    search_fields = ("user__username", "user__email", "store__code", "store__name")
    raw_id_fields = ("user", "store")
    list_select_related = ("user", "store")


@admin.register(ExpansionGoal)
class ExpansionGoalAdmin(admin.ModelAdmin):
    list_display = ("market", "target_store_count", "starts_on", "target_date", "description")
    list_filter = ("market",)
    search_fields = ("description",)


def _advance_action(stage: str, label: str):
    def action(modeladmin, request, queryset) -> None:
        actor = actor_for_user(request.user)
        for opening in queryset:
            try:
                advance_opening(opening.pk, stage, actor=actor)
            except DomainError as exc:
                modeladmin.message_user(request, f"{opening}: {exc.detail}", messages.ERROR)

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
        _advance_action(PlannedOpening.Stage.SIGNED, "Move to: lease signed"),
        _advance_action(PlannedOpening.Stage.FITTING_OUT, "Move to: fitting out"),
        _advance_action(PlannedOpening.Stage.DROPPED, "Drop"),
    ]
