"""Stock per SKU and location, reservations, serialized units, transfers and purchasing.

The stock equations every service keeps (and the tests check):
    quantity == sum(StockMovement.delta) for the (sku, location)
    0 <= reserved <= quantity
    serialized SKUs: quantity == count(SerialUnit in stock at that location)
Changes go through ``millet.inventory.services`` with conditional UPDATEs, never read-modify-write.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy


class Location(models.Model):
    class Kind(models.TextChoices):
        WAREHOUSE = "warehouse", _("Warehouse")
        STORE = "store", pgettext_lazy("Mi Home store", "Store")

    code = models.CharField(_("code"), max_length=32, unique=True)
    name = models.CharField(_("name"), max_length=128)
    kind = models.CharField(_("kind"), max_length=16, choices=Kind.choices)
    market = models.ForeignKey(
        "regions.Market", on_delete=models.PROTECT, related_name="locations", verbose_name=_("market")
    )
    city = models.CharField(_("city"), max_length=64)
    state = models.CharField(
        _("state"),
        max_length=6,
        blank=True,
        help_text=_("ISO 3166-2 code (e.g. IN-KA): the supplier's state for India's GST; empty if unknown"),
    )
    latitude = models.DecimalField(_("latitude"), max_digits=9, decimal_places=6)
    longitude = models.DecimalField(_("longitude"), max_digits=9, decimal_places=6)
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("stock location")
        verbose_name_plural = _("stock locations")

    def __str__(self) -> str:
        return self.code


class Stock(models.Model):
    sku = models.ForeignKey(
        "catalog.Sku", on_delete=models.PROTECT, related_name="stock", verbose_name=_("SKU")
    )
    location = models.ForeignKey(
        Location, on_delete=models.PROTECT, related_name="stock", verbose_name=_("location")
    )
    quantity = models.IntegerField(_("quantity"), default=0, help_text=_("Units physically here."))
    reserved = models.IntegerField(
        _("reserved"), default=0, help_text=_("Units promised to open orders, not yet shipped.")
    )

    class Meta:
        verbose_name = _("stock level")
        verbose_name_plural = _("stock levels")
        constraints = [
            models.UniqueConstraint(fields=["sku", "location"], name="one_stock_row_per_sku_location"),
            models.CheckConstraint(condition=models.Q(quantity__gte=0), name="stock_quantity_non_negative"),
            models.CheckConstraint(condition=models.Q(reserved__gte=0), name="stock_reserved_non_negative"),
            models.CheckConstraint(
                condition=models.Q(reserved__lte=models.F("quantity")), name="stock_reserved_le_quantity"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.sku_id}@{self.location_id}: {self.quantity} ({self.reserved} reserved)"

    @property
    def available(self) -> int:
        return self.quantity - self.reserved


class Reservation(models.Model):
    """Units held for an order line until it ships, or until ``expires_at`` if never paid."""

    class Status(models.TextChoices):
        ACTIVE = "active", _("Active")
        CONSUMED = "consumed", _("Consumed")
        RELEASED = "released", _("Released")
        EXPIRED = "expired", _("Expired")

    stock = models.ForeignKey(
        Stock, on_delete=models.PROTECT, related_name="reservations", verbose_name=_("stock level")
    )
    quantity = models.PositiveIntegerField(_("quantity"))
    reference = models.CharField(
        _("reference"), max_length=64, help_text=_("Order line that holds the units.")
    )
    status = models.CharField(_("status"), max_length=16, choices=Status.choices, default=Status.ACTIVE)
    expires_at = models.DateTimeField(_("expires at"), null=True, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("reservation")
        verbose_name_plural = _("reservations")
        # Written by every checkout: no "_like" twin for the reference, only ever matched whole.
        indexes = [
            models.Index(fields=["status", "expires_at"]),
            models.Index(fields=["reference"], name="inventory_reservation_ref"),
        ]


class StockMovement(models.Model):
    """Append-only journal of every change to on-hand quantity, so stock can be audited and rebuilt.

    On PostgreSQL the table is partitioned by month on ``created_at`` (migration 0005,
    millet.core.partitions); its primary key there is (id, created_at), ``id`` alone stays unique
    through its identity sequence. Nothing may reference a movement by foreign key."""

    class Reason(models.TextChoices):
        RECEIPT = "receipt", _("Receipt")
        SALE = "sale", _("Sale")
        RETURN = "return", _("Return")
        TRANSFER_OUT = "transfer_out", _("Transfer out")
        TRANSFER_IN = "transfer_in", _("Transfer in")
        ADJUSTMENT = "adjustment", _("Adjustment")

    sku = models.ForeignKey("catalog.Sku", on_delete=models.PROTECT, verbose_name=_("SKU"))
    location = models.ForeignKey(Location, on_delete=models.PROTECT, verbose_name=_("location"))
    delta = models.IntegerField(_("quantity change"))
    reason = models.CharField(_("reason"), max_length=16, choices=Reason.choices)
    reference = models.CharField(_("reference"), max_length=64, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("stock movement")
        verbose_name_plural = _("stock movements")
        indexes = [models.Index(fields=["sku", "location"])]


class SerialUnit(models.Model):
    """One physical unit; connected units carry the factory identity the device cloud provisions."""

    class Status(models.TextChoices):
        IN_STOCK = "in_stock", pgettext_lazy("serial unit status", "In stock")
        IN_TRANSIT = "in_transit", _("In transit")
        SOLD = "sold", _("Sold")
        DEFECTIVE = "defective", _("Defective")

    serial = models.CharField(_("serial number"), max_length=32, unique=True)
    sku = models.ForeignKey(
        "catalog.Sku", on_delete=models.PROTECT, related_name="units", verbose_name=_("SKU")
    )
    location = models.ForeignKey(
        Location,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="units",
        verbose_name=_("location"),
    )
    status = models.CharField(_("status"), max_length=16, choices=Status.choices, default=Status.IN_STOCK)
    batch = models.CharField(
        _("batch"), max_length=32, blank=True, help_text=_("Production batch, for quality control.")
    )
    sold_reference = models.CharField(
        _("sale reference"), max_length=64, blank=True, help_text=_("Order line the unit was sold on.")
    )
    received_at = models.DateTimeField(_("received at"), auto_now_add=True)

    class Meta:
        verbose_name = _("serial unit")
        verbose_name_plural = _("serial units")
        indexes = [models.Index(fields=["sku", "location", "status"])]

    def __str__(self) -> str:
        return self.serial


class StockTransfer(models.Model):
    """Moves units between locations: shipped (leaves source) then received (arrives at destination)."""

    class Status(models.TextChoices):
        IN_TRANSIT = "in_transit", _("In transit")
        RECEIVED = "received", _("Received")

    sku = models.ForeignKey("catalog.Sku", on_delete=models.PROTECT, verbose_name=_("SKU"))
    source = models.ForeignKey(
        Location, on_delete=models.PROTECT, related_name="transfers_out", verbose_name=_("source location")
    )
    destination = models.ForeignKey(
        Location,
        on_delete=models.PROTECT,
        related_name="transfers_in",
        verbose_name=_("destination location"),
    )
    quantity = models.PositiveIntegerField(_("quantity"))
    serials = models.JSONField(_("serial numbers"), default=list, blank=True)
    status = models.CharField(_("status"), max_length=16, choices=Status.choices, default=Status.IN_TRANSIT)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    received_at = models.DateTimeField(_("received at"), null=True, blank=True)

    class Meta:
        verbose_name = _("stock transfer")
        verbose_name_plural = _("stock transfers")


class Supplier(models.Model):
    name = models.CharField(_("name"), max_length=128, unique=True)
    lead_time_days = models.PositiveIntegerField(_("lead time (days)"), default=14)

    class Meta:
        verbose_name = _("supplier")
        verbose_name_plural = _("suppliers")

    def __str__(self) -> str:
        return self.name


class PurchaseOrder(models.Model):
    class Status(models.TextChoices):
        OPEN = "open", _("Open")
        PARTIALLY_RECEIVED = "partially_received", _("Partially received")
        RECEIVED = "received", _("Received")
        CANCELLED = "cancelled", _("Cancelled")

    supplier = models.ForeignKey(
        Supplier, on_delete=models.PROTECT, related_name="purchase_orders", verbose_name=_("supplier")
    )
    location = models.ForeignKey(
        Location, on_delete=models.PROTECT, related_name="purchase_orders", verbose_name=_("location")
    )
    status = models.CharField(_("status"), max_length=24, choices=Status.choices, default=Status.OPEN)
    expected_on = models.DateField(_("expected on"), null=True, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        verbose_name=_("created by"),
    )

    class Meta:
        verbose_name = _("purchase order")
        verbose_name_plural = _("purchase orders")

    def __str__(self) -> str:
        return f"PO-{self.pk}"


class PurchaseOrderLine(models.Model):
    purchase_order = models.ForeignKey(
        PurchaseOrder, on_delete=models.CASCADE, related_name="lines", verbose_name=_("purchase order")
    )
    sku = models.ForeignKey("catalog.Sku", on_delete=models.PROTECT, verbose_name=_("SKU"))
    quantity_ordered = models.PositiveIntegerField(_("quantity ordered"))
    quantity_received = models.PositiveIntegerField(_("quantity received"), default=0)

    class Meta:
        verbose_name = _("purchase order line")
        verbose_name_plural = _("purchase order lines")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(quantity_received__lte=models.F("quantity_ordered")),
                name="po_line_not_over_received",
            )
        ]


class Backorder(models.Model):
    """Demand taken while a SKU was out of stock; filled first-come first-served when stock arrives."""

    class Status(models.TextChoices):
        WAITING = "waiting", _("Waiting")
        ALLOCATED = "allocated", _("Allocated")
        CANCELLED = "cancelled", _("Cancelled")

    sku = models.ForeignKey(
        "catalog.Sku", on_delete=models.PROTECT, related_name="backorders", verbose_name=_("SKU")
    )
    market = models.ForeignKey("regions.Market", on_delete=models.PROTECT, verbose_name=_("market"))
    quantity = models.PositiveIntegerField(_("quantity"))
    reference = models.CharField(_("reference"), max_length=64, db_index=True)
    status = models.CharField(_("status"), max_length=16, choices=Status.choices, default=Status.WAITING)
    reservation = models.ForeignKey(
        Reservation, null=True, blank=True, on_delete=models.SET_NULL, verbose_name=_("reservation")
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("back-order")
        verbose_name_plural = _("back-orders")
        indexes = [models.Index(fields=["sku", "status", "created_at"])]


class StockRequest(models.Model):
    """A store manager asks the warehouses for units; a supply planner (never the requester) approves
    it as a ``StockTransfer`` from a warehouse, or rejects it with a reason."""

    class Status(models.TextChoices):
        PENDING = "pending", _("Waiting for approval")
        APPROVED = "approved", _("Approved")
        REJECTED = "rejected", _("Rejected")

    location = models.ForeignKey(
        Location, on_delete=models.PROTECT, related_name="stock_requests", verbose_name=_("location")
    )
    sku = models.ForeignKey(
        "catalog.Sku", on_delete=models.PROTECT, related_name="stock_requests", verbose_name=_("SKU")
    )
    quantity = models.PositiveIntegerField(_("quantity"))
    note = models.CharField(_("note"), max_length=255, blank=True)
    status = models.CharField(_("status"), max_length=16, choices=Status.choices, default=Status.PENDING)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("requested by")
    )
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("decided by"),
    )
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)
    decision_reason = models.CharField(_("reason for the decision"), max_length=255, blank=True)
    transfer = models.OneToOneField(
        StockTransfer,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="request",
        verbose_name=_("stock transfer"),
    )
    # The manager's form's one-time key: sent twice (a double click), it makes one request.
    attempt = models.CharField(_("form key"), max_length=32, blank=True, default="")
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("stock request")
        verbose_name_plural = _("stock requests")
        indexes = [models.Index(fields=["status", "created_at"])]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(status="approved", transfer__isnull=False) | ~models.Q(status="approved"),
                name="approved_request_has_transfer",
            ),
            models.UniqueConstraint(
                fields=["location", "attempt"], condition=~models.Q(attempt=""), name="stock_request_once"
            ),
        ]

    def __str__(self) -> str:
        return f"SR-{self.pk}"
