"""Back office for stock. Everything that counts units is read-only here: on-hand quantity must equal
the sum of its ``StockMovement`` rows and serialized stock the count of its units, and only
``millet.inventory.services`` moves both together. Locations and suppliers are plain master data."""

from __future__ import annotations

from django import forms
from django.contrib import admin
from django.core.exceptions import ValidationError
from django.db.models import F, QuerySet
from django.utils.translation import gettext_lazy as _

from millet.accounts.backoffice import ServiceAddAdmin, ServiceForm
from millet.catalog.services import sku_id_for
from millet.core.admin import ReadOnlyAdmin, ReadOnlyTabularInline
from millet.core.form_errors import refusal_on_form
from millet.core.typed_numbers import WholeNumberField, whole_number
from millet.inventory import services
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


class LocationForm(forms.ModelForm):
    """A location's state checked by ``check_location``, as ``create_location``'s is: a state of its
    market (it decides India's IGST), or none."""

    def clean(self) -> dict:
        data = super().clean()
        market = data["market"].pk if data.get("market") is not None else self.instance.market_id
        if market and data.get("state") is not None:
            with refusal_on_form({}, self, "state"):
                data["state"] = services.check_location(market, data["state"])
        return data


@admin.register(Location)
class LocationAdmin(admin.ModelAdmin):
    form = LocationForm
    list_display = ("code", "name", "kind", "market", "city", "state", "is_active")
    list_filter = ("kind", "market", "is_active")
    search_fields = ("code", "name", "city")
    list_select_related = ("market",)

    def get_readonly_fields(self, request, obj=None) -> tuple[str, ...]:
        """A location that has held stock keeps its market (``has_stock``)."""
        return ("market",) if obj is not None and services.has_stock(obj.pk) else ()


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


def sku_field() -> forms.CharField:
    return forms.CharField(label=_("SKU code"), max_length=32)


def location_field(label, help_text="") -> forms.CharField:
    return forms.CharField(label=label, max_length=32, help_text=help_text)


def sku_id(code: str) -> int:
    found = sku_id_for(code)
    if found is None:
        raise ValidationError(_("No SKU has the code %(code)s."), params={"code": code}, code="unknown_sku")
    return found


# A location named on the add forms that is not one.
UNKNOWN_LOCATION = {"unknown_location": _("There is no location with the code %(location)s.")}


class TransferForm(ServiceForm):
    REFUSALS = {
        **UNKNOWN_LOCATION,
        "same_location": _("The units are already there: choose another location to send them to."),
        "out_of_stock": _("The source does not have that many units free to send."),
        "invalid_quantity": _("At most %(most)s units go in one transfer: send several."),
    }
    REFUSED = _("The transfer could not be made. Check it and try again.")
    sku = sku_field()
    source = location_field(_("From location"), _("A warehouse or store code."))
    destination = location_field(_("To location"))
    quantity = WholeNumberField(label=_("Quantity"), min_value=1)

    def clean_sku(self) -> int:
        return sku_id(self.cleaned_data["sku"])

    def create(self, actor, data: dict) -> StockTransfer:
        return services.transfer_stock(
            actor=actor,
            sku_id=data["sku"],
            source_id=services.get_location(data["source"]).pk,
            destination_id=services.get_location(data["destination"]).pk,
            quantity=data["quantity"],
        )


@admin.register(StockTransfer)
class StockTransferAdmin(ServiceAddAdmin):
    """Transfers are made by ``transfer_stock`` (the add form): the units leave the source's shelf
    with the row, and ``receive_transfer`` puts them on the destination's."""

    add_form = TransferForm
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


class PurchaseOrderForm(ServiceForm):
    REFUSALS = {
        **UNKNOWN_LOCATION,
        "duplicate_line": _("Name each SKU on one line only."),
        "empty_order": _("A purchase order needs at least one line."),
        "invalid_quantity": _("Order at most %(most)s units on a line."),
    }
    REFUSED = _("The purchase order could not be made. Check it and try again.")
    supplier = forms.CharField(label=_("Supplier"), max_length=128)
    location = location_field(_("Deliver to"), _("The code of the warehouse or store."))
    expected_on = forms.DateField(
        label=_("Expected on"), required=False, widget=admin.widgets.AdminDateWidget
    )
    lines = forms.CharField(
        label=_("Lines"),
        widget=forms.Textarea(attrs={"rows": 6}),
        help_text=_("One line per SKU: its code and the quantity, e.g. MI6-64-BLK 200."),
    )

    def clean_lines(self) -> list[tuple[int, int]]:
        lines = []
        for row in self.cleaned_data["lines"].splitlines():
            if not row.strip():
                continue
            code, _space, typed = row.strip().rpartition(" ")
            # a number past MAX_QUANTITY is the service's to refuse, in its own words
            quantity = whole_number(typed, max_digits=100)
            if not code or quantity is None or quantity < 1:
                raise ValidationError(
                    _("Write each line as a SKU code and a whole number: %(row)s"),
                    params={"row": row.strip()},
                    code="bad_line",
                )
            lines.append((sku_id(code.strip()), quantity))
        return lines

    def create(self, actor, data: dict) -> PurchaseOrder:
        return services.create_purchase_order(
            actor=actor,
            supplier=data["supplier"],
            location_id=services.get_location(data["location"]).pk,
            lines=data["lines"],
            expected_on=data["expected_on"],
        )


@admin.register(PurchaseOrder)
class PurchaseOrderAdmin(ServiceAddAdmin):
    """Purchase orders are created by ``create_purchase_order`` (the add form here, or the API) and
    received through the API (``/api/inventory/purchase-orders``): receiving books stock movements
    and serials and fills back-orders, which a form edit of ``quantity_received`` would skip."""

    add_form = PurchaseOrderForm

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
