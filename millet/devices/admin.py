"""Back-office views of the device cloud. Rows change only through the services (a hand-edited owner or
shadow would skip the wipe, the signals and the checks), so the admin looks, filters and searches;
revocation, the one urgent staff action, is offered as a bulk action that calls the service. Firmware
is uploaded and rollouts started through ``upload_firmware`` and ``start_rollout`` (the add forms)."""

from __future__ import annotations

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from millet.accounts.actor import request_actor
from millet.accounts.backoffice import ServiceAddAdmin, ServiceForm
from millet.core.admin import ReadOnlyAdmin, ReadOnlyTabularInline
from millet.core.errors import DomainError
from millet.core.refusals import refusal_about
from millet.core.typed_numbers import DecimalNumberField, WholeNumberField, whole_number
from millet.devices import services
from millet.devices.models import (
    Automation,
    Command,
    Device,
    DeviceInvitation,
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


# Why a device was not revoked (a race: another admin revoked it first), as the admin says it.
REVOKE_REFUSALS = {"already_revoked": _("It is already revoked.")}


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

    @admin.action(description=_("Revoke selected devices (the broker drops them at once)"))
    def revoke(self, request, queryset) -> None:
        actor = request_actor(request)
        done = 0
        for device_id in queryset.filter(enabled=True).values_list("device_id", flat=True):
            try:
                services.revoke_device(actor, device_id)
                done += 1
            except DomainError as exc:
                self.message_user(request, refusal_about(device_id, exc, REVOKE_REFUSALS), messages.ERROR)
        revoked = ngettext("%(count)s device revoked.", "%(count)s devices revoked.", done) % {"count": done}
        self.message_user(request, revoked)


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


@admin.register(DeviceInvitation)
class DeviceInvitationAdmin(ReadOnlyAdmin):
    list_display = ("device", "invited_by", "login", "invitee", "role", "status", "created_at", "answered_at")
    list_filter = ("status", "role")
    search_fields = ("device__serial", "invited_by__username", "login", "invitee__username")
    list_select_related = ("device", "invited_by", "invitee")


class FirmwareForm(ServiceForm):
    REFUSALS = {
        "invalid_version": _("A version is 1 to 32 letters, digits, dots, +, _ or -."),
        "invalid_size": _("The size is from 1 byte to 16 GiB."),
        "duplicate_firmware": _("This device model already has firmware %(version)s."),
        "invalid_url": _("The download URL must be an https address of at most 300 characters."),
        "invalid_sha256": _("The SHA-256 is 64 lower-case hexadecimal digits."),
    }
    REFUSED = _("The firmware could not be added. Check it and try again.")
    model_urn = forms.CharField(
        label=_("Device model"),
        max_length=128,
        help_text=_("Its URN, e.g. urn:millet-spec:device:outlet:mi-plug:1"),
    )
    version = forms.CharField(label=_("Version"), max_length=32)
    url = forms.URLField(label=_("Download URL"), max_length=300, assume_scheme="https")
    sha256 = forms.CharField(label=_("SHA-256"), min_length=64, max_length=64)
    size = WholeNumberField(label=_("Size (bytes)"), min_value=1)
    notes = forms.CharField(
        label=_("Release notes"), required=False, widget=forms.Textarea(attrs={"rows": 3})
    )

    def create(self, actor, data: dict) -> Firmware:
        return services.upload_firmware(actor, **data)


class RolloutForm(ServiceForm):
    REFUSALS = {
        "invalid_steps": _("Steps are 1 to 10 rising percentages of the fleet, ending at 100."),
        "invalid_threshold": _("The failure threshold is above 0 and at most 1."),
        "invalid_rate": _("The updates per minute are from 1 to 100,000."),
        "invalid_min_finished": _("The finished updates before judging are from 1 to 100,000."),
        "nothing_to_update": _("No device needs this firmware: nothing to roll out."),
    }
    REFUSED = _("The rollout could not be started. Check it and try again.")
    firmware = forms.ModelChoiceField(label=_("Firmware"), queryset=Firmware.objects.order_by("-created_at"))
    steps = forms.CharField(
        label=_("Steps"),
        initial="5, 25, 100",
        help_text=_("Rising percentages of the fleet, ending at 100."),
    )
    rate_per_minute = WholeNumberField(label=_("Updates per minute"), min_value=1, initial=60)
    failure_threshold = DecimalNumberField(
        label=_("Failure threshold"), initial="0.2", help_text=_("The share of failed updates that stops it.")
    )
    min_finished = WholeNumberField(label=_("Finished updates before judging"), min_value=1, initial=5)

    def clean_steps(self) -> list[int]:
        steps = [whole_number(p) for p in self.cleaned_data["steps"].replace("，", ",").split(",")]
        if None in steps:
            raise ValidationError(_("Write whole percentages separated by commas."), code="bad_steps")
        return steps

    def create(self, actor, data: dict) -> Rollout:
        return services.start_rollout(actor, data.pop("firmware").pk, **data)


@admin.register(Firmware)
class FirmwareAdmin(ServiceAddAdmin):
    add_form = FirmwareForm
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
class RolloutAdmin(ServiceAddAdmin):
    add_form = RolloutForm
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
