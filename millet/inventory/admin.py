"""Back office for stock. Everything that counts units is read-only here: on-hand quantity must equal
the sum of its ``StockMovement`` rows and serialized stock the count of its units, and only
``millet.inventory.services`` moves both together. Locations and suppliers are plain master data."""

from __future__ import annotations

from django.contrib import admin
from django.db.models import F, QuerySet
from django.utils.translation import gettext_lazy as _

from millet.core.admin import ReadOnlyAdmin, ReadOnlyTabularInline
from millet.inventory.models import (
    Backorder,
    Location,
    PurchaseOrder,
    PurchaseOrderLine,
    Reservation,
    SerialUnit,
    Stock,
    StockMovement,
    StockTransfer,
    Supplier,
)


@admin.register(Location)
class LocationAdmin(admin.ModelAdmin):
    list_display = ("code", "name", "kind", "market", "city", "state", "is_active")
    list_filter = ("kind", "market", "is_active")
    search_fields = ("code", "name", "city")
    list_select_related = ("market",)


@admin.register(Stock)
class StockAdmin(ReadOnlyAdmin):
    list_display = ("sku", "location", "quantity", "reserved", "available")
    list_filter = ("location__kind", "location__market")
    search_fields = ("sku__code", "location__code")
    list_select_related = ("sku", "location")

    def get_queryset(self, request) -> QuerySet[Stock]:
        return super().get_queryset(request).annotate(n_available=F("quantity") - F("reserved"))

    @admin.display(description=_("Available"), ordering="n_available")
    def available(self, stock: Stock) -> int:
        return stock.available


@admin.register(Reservation)
class ReservationAdmin(ReadOnlyAdmin):
    list_display = ("reference", "sku", "location", "quantity", "status", "expires_at", "created_at")
    list_filter = ("status",)
    search_fields = ("reference",)
    list_select_related = ("stock__sku", "stock__location")

    @admin.display(description=_("SKU"), ordering="stock__sku__code")
    def sku(self, reservation: Reservation) -> str:
        return str(reservation.stock.sku)

    @admin.display(description=_("Location"), ordering="stock__location__code")
    def location(self, reservation: Reservation) -> str:
        return str(reservation.stock.location)


@admin.register(StockMovement)
class StockMovementAdmin(ReadOnlyAdmin):
    list_display = ("created_at", "sku", "location", "delta", "reason", "reference")
    list_filter = ("reason",)
    search_fields = ("sku__code", "location__code", "reference")
    list_select_related = ("sku", "location")
    date_hierarchy = "created_at"


@admin.register(SerialUnit)
class SerialUnitAdmin(ReadOnlyAdmin):
    list_display = ("serial", "sku", "location", "status", "batch", "sold_reference")
    list_filter = ("status", "batch")
    search_fields = ("serial", "sold_reference")
    list_select_related = ("sku", "location")


@admin.register(StockTransfer)
class StockTransferAdmin(ReadOnlyAdmin):
    list_display = ("id", "sku", "source", "destination", "quantity", "status", "created_at", "received_at")
    list_filter = ("status",)
    search_fields = ("sku__code", "source__code", "destination__code")
    list_select_related = ("sku", "source", "destination")


@admin.register(Supplier)
class SupplierAdmin(admin.ModelAdmin):
    list_display = ("name", "lead_time_days")
    search_fields = ("name",)


class PurchaseOrderLineInline(ReadOnlyTabularInline):
    model = PurchaseOrderLine
    fields = ("sku", "quantity_ordered", "quantity_received")

    def get_queryset(self, request) -> QuerySet[PurchaseOrderLine]:
        return super().get_queryset(request).select_related("sku")


@admin.register(PurchaseOrder)
class PurchaseOrderAdmin(ReadOnlyAdmin):
    """Purchase orders are created and received through the API (``/api/inventory/purchase-orders``):
    receiving books stock movements and serials and fills back-orders, which a form edit of
    ``quantity_received`` would skip."""

    list_display = ("__str__", "supplier", "location", "status", "expected_on", "created_at", "created_by")
    list_filter = ("status", "location")
    search_fields = ("supplier__name", "location__code")
    list_select_related = ("supplier", "location", "created_by")
    date_hierarchy = "created_at"
    inlines = [PurchaseOrderLineInline]


@admin.register(Backorder)
class BackorderAdmin(ReadOnlyAdmin):
    list_display = ("reference", "sku", "market", "quantity", "status", "created_at")
    list_filter = ("status", "market")
    search_fields = ("reference", "sku__code")
    list_select_related = ("sku", "market")
