"""Back office: the ingestion counters and the dead letters, read-only (written only by the loops)."""

from django.contrib import admin

from millet.core.admin import ReadOnlyAdmin
from millet.devices.telemetry.models import DeadLetter, IngestCounter


@admin.register(IngestCounter)
class IngestCounterAdmin(admin.ModelAdmin):
    list_display = ("reason", "count", "updated_at")
    ordering = ("reason",)

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


@admin.register(DeadLetter)
class DeadLetterAdmin(ReadOnlyAdmin):
    list_display = ("created_at", "source", "reason", "key", "size", "detail")
    list_filter = ("source", "reason")
    search_fields = ("key", "reason")
    ordering = ("-pk",)
    readonly_fields = ("source", "reason", "key", "size", "excerpt", "detail", "created_at")
