"""Back office for sales. Orders, carts, returns and redemptions are read-only: their money and stock
move only through ``millet.sales.services`` (which books the ledger and inventory with them), so the
one way to change an order here is an action that calls those services. Vouchers are editable
campaign settings, except the use counter, which redemptions keep atomically; sellers (who invoices
name in each market, with their tax registration) are editable master data."""

from __future__ import annotations

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from millet.accounts.actor import actor_for_user
from millet.core.admin import ReadOnlyAdmin, ReadOnlyTabularInline
from millet.core.errors import DomainError
from millet.sales.models import (
    Cart,
    CartLine,
    Order,
    OrderLine,
    OrderUnit,
    Return,
    ReturnLine,
    Seller,
    Voucher,
    VoucherRedemption,
)
from millet.sales.services import cancel_order


@admin.register(Voucher)
class VoucherAdmin(admin.ModelAdmin):
    list_display = (
        "code",
        "market",
        "kind",
        "value",
        "min_spend",
        "uses",
        "valid_from",
        "valid_until",
        "is_active",
    )
    list_filter = ("market", "kind", "is_active")
    search_fields = ("code",)
    list_select_related = ("market",)
    readonly_fields = ("used_count",)
    fields = (
        "code",
        "market",
        "kind",
        "value",
        "min_spend",
        "max_uses",
        "max_uses_per_customer",
        "used_count",
        "valid_from",
        "valid_until",
        "is_active",
    )

    @admin.display(description=_("Used / max"), ordering="used_count")
    def uses(self, voucher: Voucher) -> str:
        return f"{voucher.used_count} / {'∞' if voucher.max_uses is None else voucher.max_uses}"


@admin.register(VoucherRedemption)
class VoucherRedemptionAdmin(ReadOnlyAdmin):
    list_display = ("voucher", "order", "customer", "created_at")
    list_filter = ("voucher__market",)
    search_fields = ("voucher__code", "order__number", "customer__username")
    list_select_related = ("voucher", "order", "customer")
    date_hierarchy = "created_at"


class OrderLineInline(ReadOnlyTabularInline):
    model = OrderLine
    fields = (
        "sku",
        "quantity",
        "unit_price",
        "discount",
        "tax",
        "total",
        "quantity_fulfilled",
        "quantity_returned",
        "backordered",
    )

    def get_queryset(self, request) -> QuerySet[OrderLine]:
        return super().get_queryset(request).select_related("sku")


@admin.register(Order)
class OrderAdmin(ReadOnlyAdmin):
    list_display = (
        "number",
        "created_at",
        "channel",
        "status",
        "market",
        "store",
        "customer",
        "total",
        "currency",
        "refunded",
    )
    list_filter = ("channel", "status", "market", "store")
    search_fields = ("number", "customer__username")
    list_select_related = ("market", "store", "customer")
    date_hierarchy = "created_at"
    readonly_fields = ("serials",)
    inlines = [OrderLineInline]
    actions = ["cancel_orders"]

    @admin.display(description=_("Serial numbers"))
    def serials(self, order: Order) -> str:
        """Units handed over on the order's lines (inlines cannot nest, so they are listed here)."""
        units = (
            OrderUnit.objects.filter(line__order=order)
            .select_related("line__sku")
            .order_by("line_id", "serial")
        )
        return (
            ", ".join(
                f"{unit.line.sku.code}: {unit.serial}" + (f" ({_('returned')})" if unit.returned else "")
                for unit in units
            )
            or "-"
        )

    def has_cancel_permission(self, request: HttpRequest) -> bool:
        return request.user.is_staff and self.has_view_permission(request)

    @admin.action(description=_("Cancel selected orders"), permissions=["cancel"])
    def cancel_orders(self, request: HttpRequest, queryset: QuerySet[Order]) -> None:
        """Each order is cancelled on its own, so one that may not be cancelled does not stop the rest."""
        actor = actor_for_user(request.user)
        cancelled: list[str] = []
        for number in queryset.order_by("number").values_list("number", flat=True):
            try:
                cancel_order(actor, number)
            except DomainError as error:
                self.message_user(request, f"{number}: {error.detail}", messages.ERROR)
            else:
                cancelled.append(number)
        if cancelled:
            self.message_user(request, _("Cancelled: %s") % ", ".join(cancelled), messages.SUCCESS)


class CartLineInline(ReadOnlyTabularInline):
    model = CartLine
    fields = ("sku", "quantity")

    def get_queryset(self, request) -> QuerySet[CartLine]:
        return super().get_queryset(request).select_related("sku")


@admin.register(Cart)
class CartAdmin(ReadOnlyAdmin):
    list_display = ("id", "customer", "market", "voucher_code", "checked_out", "created_at", "updated_at")
    list_filter = ("market", "checked_out")
    search_fields = ("customer__username", "voucher_code")
    list_select_related = ("customer", "market")
    date_hierarchy = "created_at"
    inlines = [CartLineInline]


class ReturnLineInline(ReadOnlyTabularInline):
    model = ReturnLine
    fields = ("order_line", "sku", "quantity", "serials")
    readonly_fields = ("order_line", "sku")

    def get_queryset(self, request) -> QuerySet[ReturnLine]:
        return super().get_queryset(request).select_related("line__order", "line__sku")

    @admin.display(description=_("Order line"))
    def order_line(self, line: ReturnLine) -> str:
        return line.line.reference

    @admin.display(description=_("SKU"))
    def sku(self, line: ReturnLine) -> str:
        return line.line.sku.code


@admin.register(Return)
class ReturnAdmin(ReadOnlyAdmin):
    list_display = ("id", "order", "location", "refund_amount", "reason", "created_at", "created_by")
    list_filter = ("location",)
    search_fields = ("order__number", "reason")
    list_select_related = ("order", "location", "created_by")
    date_hierarchy = "created_at"
    inlines = [ReturnLineInline]


@admin.register(Seller)
class SellerAdmin(admin.ModelAdmin):
    list_display = ("market", "legal_name", "tax_id", "state")
    search_fields = ("legal_name", "tax_id")
