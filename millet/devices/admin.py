"""Back-office views of the device cloud. Rows change only through the services (a hand-edited owner or
shadow would skip the wipe, the signals and the checks), so the admin looks, filters and searches;
revocation, the one urgent staff action, is offered as a bulk action that calls the service."""

from __future__ import annotations

from django.contrib import admin, messages

from millet.accounts.actor import actor_for_user
from millet.core.admin import ReadOnlyAdmin, ReadOnlyTabularInline
from millet.core.errors import DomainError
from millet.devices import services
from millet.devices.models import (
    Automation,
    Command,
    Device,
    DeviceShare,
    Firmware,
    Home,
    Notification,
    Rollout,
    RolloutTarget,
    Shadow,
    UnitSale,
)


class ShareInline(ReadOnlyTabularInline):
    model = DeviceShare
    fields = readonly_fields = ("user", "role", "created_at")


@admin.register(Device)
class DeviceAdmin(ReadOnlyAdmin):
    list_display = (
        "device_id",
        "serial",
        "model_urn",
        "batch",
        "owner",
        "region",
        "firmware_version",
        "online",
        "enabled",
        "faults",
        "activated_at",
    )
    list_filter = ("online", "enabled", "model_urn", "region", "firmware_version", "batch")
    search_fields = ("device_id", "serial", "owner__username", "batch")
    list_select_related = ("owner",)
    date_hierarchy = "provisioned_at"
    exclude = ("secret_salt", "secret_hash", "claim_salt", "claim_hash")
    inlines = [ShareInline]
    actions = ["revoke"]

    @admin.action(description="Revoke selected devices (the broker drops them at once)")
    def revoke(self, request, queryset) -> None:
        actor = actor_for_user(request.user)
        done = 0
        for device_id in queryset.filter(enabled=True).values_list("device_id", flat=True):
            try:
                services.revoke_device(actor, device_id)
                done += 1
            except DomainError as exc:
                self.message_user(request, f"{device_id}: {exc.detail}", messages.ERROR)
        self.message_user(request, f"revoked {done} device(s)")


@admin.register(UnitSale)
class UnitSaleAdmin(ReadOnlyAdmin):
    list_display = ("serial", "customer", "order_number", "region", "sold_at", "returned_at")
    list_filter = ("region", ("returned_at", admin.EmptyFieldListFilter))
    search_fields = ("serial", "order_number", "customer__username")
    list_select_related = ("customer",)


@admin.register(Shadow)
class ShadowAdmin(ReadOnlyAdmin):
    list_display = ("device", "desired_version", "reported_version", "reported_at")
    search_fields = ("device__device_id", "device__serial")
    list_select_related = ("device",)


@admin.register(Command)
class CommandAdmin(ReadOnlyAdmin):
    list_display = (
        "command_id",
        "device",
        "kind",
        "status",
        "attempts",
        "created_at",
        "expires_at",
        "finished_at",
    )
    list_filter = ("kind", "status")
    search_fields = ("command_id", "device__device_id")
    list_select_related = ("device",)
    date_hierarchy = "created_at"


@admin.register(Home)
class HomeAdmin(ReadOnlyAdmin):
    list_display = ("name", "owner", "time_zone")
    search_fields = ("name", "owner__username")
    list_filter = ("time_zone",)


@admin.register(Automation)
class AutomationAdmin(ReadOnlyAdmin):
    list_display = ("name", "home", "trigger_type", "enabled", "fired_count", "last_fired_at")
    list_filter = ("trigger_type", "enabled")
    search_fields = ("name", "home__name", "home__owner__username")
    list_select_related = ("home",)


@admin.register(Notification)
class NotificationAdmin(ReadOnlyAdmin):
    list_display = ("user", "message", "automation", "created_at")
    search_fields = ("user__username", "message")
    date_hierarchy = "created_at"


@admin.register(Firmware)
class FirmwareAdmin(ReadOnlyAdmin):
    list_display = ("device_model", "version", "size", "created_at")
    list_filter = ("device_model",)
    search_fields = ("version", "device_model__urn")


class TargetInline(ReadOnlyTabularInline):
    model = RolloutTarget
    fields = readonly_fields = (
        "device",
        "previous_version",
        "status",
        "progress",
        "started_at",
        "finished_at",
    )
    max_num = 0


@admin.register(Rollout)
class RolloutAdmin(ReadOnlyAdmin):
    list_display = ("id", "firmware", "status", "steps", "step_index", "rate_per_minute", "failure_threshold")
    list_filter = ("status",)
    search_fields = ("firmware__version", "reason")
    list_select_related = ("firmware",)
    inlines = [TargetInline]


@admin.register(RolloutTarget)
class RolloutTargetAdmin(ReadOnlyAdmin):
    list_display = (
        "rollout",
        "device",
        "previous_version",
        "status",
        "progress",
        "started_at",
        "finished_at",
    )
    list_filter = ("status",)
    search_fields = ("device__device_id", "device__serial")
    list_select_related = ("rollout", "device")
