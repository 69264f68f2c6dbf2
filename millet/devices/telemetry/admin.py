"""Back office: the ingestion worker's counters, read-only (they are written only by ingestion)."""

from django.contrib import admin

from millet.devices.telemetry.models import IngestCounter


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
