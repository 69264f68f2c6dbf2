"""Back office for sales. Orders, carts, returns and redemptions are read-only: their money and stock
move only through ``millet.sales.services`` (which books the ledger and inventory with them), so the
one way to change an order here is an action that calls those services: cancel (which refunds a
paid order), fulfil with a carrier and tracking number, and return units to a warehouse with their
refund (each order's page links to the last two). Vouchers are editable campaign settings, except
the use counter, which redemptions keep atomically, and a made voucher's code and market; sellers
(who invoices name in each market, with their tax registration) are editable master data."""

from __future__ import annotations

from django import forms
from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import Http404, HttpRequest, HttpResponse
from django.urls import path, reverse
from django.utils.html import format_html
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _

from millet.accounts.actor import request_actor
from millet.accounts.backoffice import ServiceForm, service_form_page
from millet.core.admin import KeptOnceMade, ReadOnlyAdmin, ReadOnlyTabularInline
from millet.core.errors import DomainError
from millet.core.form_errors import refusal_on_form
from millet.core.refusals import refusal_about
from millet.core.typed_numbers import WholeNumberField
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
from millet.sales.services import (
    ReturnRequest,
    cancel_order,
    check_seller,
    check_voucher,
    fulfil_order,
    return_order,
    save_seller,
)
from millet.sales.staff_views import REQUEST_REFUSALS
from millet.sales.views import REFUSALS as ORDER_REFUSALS

# The return form's serial numbers and warehouse refused as the staff's return pages say them.
RETURN_REFUSALS = (
    "unknown_serial",
    "serial_wrong_sku",
    "serial_not_on_order",
    "serial_already_returned",
    "unknown_location",
)

# A voucher's refusals on its form, in the staff member's language (a market's state and currency
# are ``core.form_errors.SHARED``'s).
VOUCHER_REFUSALS = {
    "invalid_voucher": _(
        "A percent voucher takes more than 0 and at most 100 percent off, and a voucher's validity "
        "ends after it starts."
    ),
}


class VoucherForm(KeptOnceMade):
    """A voucher's terms checked by ``check_voucher``: no more than the whole order off, amounts
    exact in the market's currency, a window that ends after it starts. A made voucher keeps its
    code (carts hold it by code: renamed, they would lose it) and its market (its amounts are in
    that market's currency, and carts of that market hold it)."""

    KEPT = ("code", "market")

    def clean(self) -> dict:
        data = super().clean()
        names = ("market", "kind", "value", "min_spend")
        if any(data.get(name) is None for name in names):
            return data  # the field's own error is shown
        with refusal_on_form(VOUCHER_REFUSALS, otherwise=_("These voucher terms were refused.")):
            data["value"], data["min_spend"] = check_voucher(
                market=data["market"].pk,
                kind=data["kind"],
                value=data["value"],
                min_spend=data["min_spend"],
                valid_from=data.get("valid_from"),
                valid_until=data.get("valid_until"),
            )
        return data


@admin.register(Voucher)
class VoucherAdmin(admin.ModelAdmin):
    form = VoucherForm
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


class FulfilForm(ServiceForm):
    REFUSALS = {
        **ORDER_REFUSALS,
        "carrier_too_long": _("The carrier is longer than %(limit)s characters."),
        "tracking_number_too_long": _("The tracking number is longer than %(limit)s characters."),
    }
    REFUSED = _("The order could not be fulfilled. Check it and try again.")

    carrier = forms.CharField(label=_("Carrier"), max_length=64)
    tracking_number = forms.CharField(label=_("Tracking number"), max_length=64)

    def create(self, actor, data: dict) -> Order:
        return fulfil_order(actor, self.instance.number, **data)


class ReturnForm(ServiceForm):
    """The units still out on each line, all taken back by default; a serialized line names which
    units come back (their serial numbers, separated by spaces)."""

    REFUSALS = {
        **{code: REQUEST_REFUSALS[code] for code in RETURN_REFUSALS},
        **ORDER_REFUSALS,
    }
    REFUSED = _("The units could not be taken back. Check the quantities and serial numbers and try again.")

    warehouse = forms.CharField(label=_("Back to warehouse"), max_length=32, help_text=_("e.g. WH-CN-SH"))
    reason = forms.CharField(label=_("Reason"), max_length=200, required=False)

    def __init__(self, *args, instance: Order, **kwargs) -> None:
        super().__init__(*args, instance=instance, **kwargs)
        for line in instance.lines.select_related("sku").prefetch_related("units").order_by("pk"):
            out = line.quantity_fulfilled - line.quantity_returned
            if out <= 0:
                continue
            self.fields[f"quantity_{line.pk}"] = WholeNumberField(
                label=gettext("%(sku)s: units back") % {"sku": line.sku.code},
                min_value=0,
                max_value=out,
                initial=out,
            )
            serials = [unit.serial for unit in line.units.all() if not unit.returned]
            if serials:
                self.fields[f"serials_{line.pk}"] = forms.CharField(
                    label=gettext("%(sku)s: serial numbers") % {"sku": line.sku.code},
                    initial=" ".join(serials),
                    required=False,
                )

    def create(self, actor, data: dict) -> Order:
        lines = []
        for key, quantity in data.items():
            line_id = key.removeprefix("quantity_")
            if line_id != key and quantity:
                serials = tuple(data.get(f"serials_{line_id}", "").split())
                lines.append(ReturnRequest(int(line_id), quantity, serials))
        return_order(
            actor, self.instance.number, lines=lines, warehouse_code=data["warehouse"], reason=data["reason"]
        )
        return self.instance


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
        "amount",
        "refunded",
        "tracking",
    )
    list_filter = ("channel", "status", "market", "store")
    search_fields = ("number", "customer__username", "tracking_number")
    list_select_related = ("market", "store", "customer")
    date_hierarchy = "created_at"
    readonly_fields = ("serials", "next_steps")
    inlines = [OrderLineInline]
    actions = ["cancel_orders"]

    @admin.display(description=_("Total"), ordering="total")
    def amount(self, order: Order) -> str:
        return f"{order.total} {order.currency}"

    @admin.display(description=_("Tracking"), ordering="tracking_number")
    def tracking(self, order: Order) -> str:
        return f"{order.carrier} {order.tracking_number}".strip() or "-"

    @admin.display(description=_("Next steps"))
    def next_steps(self, order: Order) -> str:
        """Links to what the order's state allows: fulfilment of a paid web order, a return of
        units handed over (the services refuse anything else, with their reason)."""
        steps = []
        if order.status in (Order.Status.PAID, Order.Status.BACKORDERED) and order.channel in (
            Order.Channel.WEB,
            Order.Channel.FLASH,
        ):
            steps.append(
                (reverse("admin:sales_order_fulfil", args=[order.pk]), gettext("Fulfil with tracking"))
            )
        if order.status in (Order.Status.FULFILLED, Order.Status.PARTIALLY_RETURNED):
            steps.append((reverse("admin:sales_order_return", args=[order.pk]), gettext("Return and refund")))
        if not steps:
            return "-"
        return format_html(
            " · ".join(['<a class="button" href="{}">{}</a>'] * len(steps)),
            *[x for step in steps for x in step],
        )

    def get_urls(self):
        view = self.admin_site.admin_view
        return [
            path("<int:pk>/fulfil/", view(self.fulfil_view), name="sales_order_fulfil"),
            path("<int:pk>/return/", view(self.return_view), name="sales_order_return"),
            *super().get_urls(),
        ]

    def _order(self, request: HttpRequest, pk: int) -> Order:
        order = self.get_object(request, str(pk))
        if order is None:
            raise Http404
        return order

    def fulfil_view(self, request: HttpRequest, pk: int) -> HttpResponse:
        return service_form_page(
            self, request, self._order(request, pk), FulfilForm, gettext("Fulfil with tracking")
        )

    def return_view(self, request: HttpRequest, pk: int) -> HttpResponse:
        return service_form_page(
            self, request, self._order(request, pk), ReturnForm, gettext("Return and refund")
        )

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
                f"{unit.line.sku.code}: {unit.serial}"
                + (f" ({gettext('returned')})" if unit.returned else "")
                for unit in units
            )
            or "-"
        )

    def has_cancel_permission(self, request: HttpRequest) -> bool:
        return request.user.is_staff and self.has_view_permission(request)

    @admin.action(description=_("Cancel selected orders (a paid order is refunded)"), permissions=["cancel"])
    def cancel_orders(self, request: HttpRequest, queryset: QuerySet[Order]) -> None:
        """Each order is cancelled on its own, so one that may not be cancelled does not stop the rest."""
        actor = request_actor(request)
        cancelled: list[str] = []
        for number in queryset.order_by("number").values_list("number", flat=True):
            try:
                cancel_order(actor, number)
            except DomainError as error:
                self.message_user(request, refusal_about(number, error, ORDER_REFUSALS), messages.ERROR)
            else:
                cancelled.append(number)
        if cancelled:
            done = ngettext(
                "Order cancelled: %(numbers)s", "Orders cancelled: %(numbers)s", len(cancelled)
            ) % {"numbers": ", ".join(cancelled)}
            self.message_user(request, done, messages.SUCCESS)


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


class SellerForm(forms.ModelForm):
    """A seller checked by ``check_seller``: a known market, and a state of it or none."""

    def clean(self) -> dict:
        data = super().clean()
        if data.get("market") and data.get("state") is not None:
            with refusal_on_form({}, otherwise=_("This seller was refused: check its market and state.")):
                data["state"] = check_seller(data["market"], data["state"])
        return data


@admin.register(Seller)
class SellerAdmin(admin.ModelAdmin):
    form = SellerForm
    list_display = ("market", "legal_name", "tax_id", "state")
    search_fields = ("legal_name", "tax_id")

    def save_model(self, request, obj: Seller, form, change) -> None:
        """Through ``save_seller``: the details replaced stay on the invoices issued under them."""
        save_seller(obj)
