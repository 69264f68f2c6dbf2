"""Back office for vision: snapshot metadata for support (never the pictures), retention per home."""

from django.contrib import admin

from millet.vision.models import Snapshot, SnapshotRetention


@admin.register(Snapshot)
class SnapshotAdmin(admin.ModelAdmin):
    # The picture itself stays out of the back office: it shows the inside of a customer's home.
    list_display = ("id", "device_id", "taken_at", "face_count", "best_score", "detector")
    list_filter = ("detector",)
    search_fields = ("device_id",)
    date_hierarchy = "taken_at"
    exclude = ("image",)
    readonly_fields = [f.name for f in Snapshot._meta.fields if f.name != "image"]

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False


@admin.register(SnapshotRetention)
class SnapshotRetentionAdmin(admin.ModelAdmin):
    list_display = ("home", "days")
    raw_id_fields = ("home",)
