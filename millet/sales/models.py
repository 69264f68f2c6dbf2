"""One order model for every channel: web store, point of sale, click-and-collect (and flash sales)."""

from __future__ import annotations

from django.conf import settings
from django.db import models


class Voucher(models.Model):
    """A discount code with a global and a per-customer usage limit, counted atomically."""

    class Kind(models.TextChoices):
        PERCENT = "percent", "Percent off"
        AMOUNT = "amount", "Fixed amount off"

    code = models.CharField(max_length=32, unique=True)
    market = models.ForeignKey("regions.Market", on_delete=models.PROTECT)
    kind = models.CharField(max_length=8, choices=Kind.choices)
    value = models.DecimalField(max_digits=12, decimal_places=2)
    min_spend = models.DecimalField(max_digits=12, decimal_places=2, default=0)
    max_uses = models.PositiveIntegerField(null=True, blank=True)
    max_uses_per_customer = models.PositiveIntegerField(default=1)
    used_count = models.PositiveIntegerField(default=0)
    valid_from = models.DateTimeField(null=True, blank=True)
    valid_until = models.DateTimeField(null=True, blank=True)
    is_active = models.BooleanField(default=True)

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=models.Q(max_uses__isnull=True) | models.Q(used_count__lte=models.F("max_uses")),
                name="voucher_not_over_used",
            ),
            models.CheckConstraint(condition=models.Q(value__gt=0), name="voucher_value_positive"),
        ]

    def __str__(self) -> str:
        return self.code


class Cart(models.Model):
    customer = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="carts")
    market = models.ForeignKey("regions.Market", on_delete=models.PROTECT)
    voucher_code = models.CharField(max_length=32, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    checked_out = models.BooleanField(default=False)


class CartLine(models.Model):
    cart = models.ForeignKey(Cart, on_delete=models.CASCADE, related_name="lines")
    sku = models.ForeignKey("catalog.Sku", on_delete=models.PROTECT)
    quantity = models.PositiveIntegerField()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["cart", "sku"], name="one_cart_line_per_sku")]


class Order(models.Model):
    class Channel(models.TextChoices):
        WEB = "web", "Web store"
        POS = "pos", "Point of sale"
        CLICK_COLLECT = "click_collect", "Click and collect"
        FLASH = "flash", "Flash sale"

    class Status(models.TextChoices):
        PLACED = "placed", "Placed, awaiting payment"
        PAID = "paid", "Paid"
        BACKORDERED = "backordered", "Paid, waiting for stock"
        FULFILLED = "fulfilled", "Shipped or handed over"
        READY_FOR_PICKUP = "ready_for_pickup", "Ready for pickup"
        CANCELLED = "cancelled", "Cancelled"
        RETURNED = "returned", "Returned"
        PARTIALLY_RETURNED = "partially_returned", "Partially returned"

    number = models.CharField(max_length=24, unique=True)
    channel = models.CharField(max_length=16, choices=Channel.choices)
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.PLACED)
    customer = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="orders",
        help_text="Empty for an anonymous walk-in buyer at a store.",
    )
    market = models.ForeignKey("regions.Market", on_delete=models.PROTECT)
    currency = models.CharField(max_length=3)
    store = models.ForeignKey(
        "stores.Store",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="orders",
        help_text="Selling store (POS) or pickup store (click-and-collect).",
    )
    staff = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    voucher = models.ForeignKey(Voucher, null=True, blank=True, on_delete=models.PROTECT)
    shipping_city = models.CharField(max_length=64, blank=True)
    shipping_state = models.CharField(
        max_length=6,
        blank=True,
        help_text="ISO 3166-2 code of the delivery state (e.g. IN-MH): India's GST place of supply",
    )
    subtotal = models.DecimalField(max_digits=14, decimal_places=2)
    discount = models.DecimalField(max_digits=14, decimal_places=2, default=0)
    tax = models.DecimalField(max_digits=14, decimal_places=2)
    total = models.DecimalField(max_digits=14, decimal_places=2)
    refunded = models.DecimalField(max_digits=14, decimal_places=2, default=0)
    idempotency_key = models.CharField(max_length=64, null=True, blank=True, unique=True)
    request_fingerprint = models.CharField(
        max_length=64,
        blank=True,
        help_text="SHA-256 of the keyed request's parameters (core.idempotency): a replay must match it.",
    )
    created_at = models.DateTimeField(db_index=True)

    class Meta:
        indexes = [
            models.Index(fields=["customer", "-created_at"]),
            models.Index(fields=["store", "-created_at"]),
        ]

    def __str__(self) -> str:
        return self.number


class OrderLine(models.Model):
    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="lines")
    sku = models.ForeignKey("catalog.Sku", on_delete=models.PROTECT)
    quantity = models.PositiveIntegerField()
    unit_price = models.DecimalField(max_digits=14, decimal_places=2)
    discount = models.DecimalField(max_digits=14, decimal_places=2, default=0)
    tax = models.DecimalField(max_digits=14, decimal_places=2)
    tax_components = models.JSONField(default=dict, help_text='e.g. {"CGST": "45.00", "SGST": "45.00"}')
    total = models.DecimalField(max_digits=14, decimal_places=2, help_text="Gross after discount.")
    quantity_fulfilled = models.PositiveIntegerField(default=0)
    quantity_returned = models.PositiveIntegerField(default=0)
    backordered = models.BooleanField(default=False)

    class Meta:
        constraints = [
            models.CheckConstraint(condition=models.Q(quantity__gt=0), name="order_line_quantity_positive"),
            models.CheckConstraint(
                condition=models.Q(quantity_returned__lte=models.F("quantity_fulfilled")),
                name="order_line_return_le_fulfilled",
            ),
        ]

    @property
    def reference(self) -> str:
        """How other domains (inventory reservations, serial units) refer to this line."""
        return f"{self.order.number}/{self.pk}"


class OrderUnit(models.Model):
    """A serial number handed over on a line; the device cloud binds that unit to the order's customer."""

    line = models.ForeignKey(OrderLine, on_delete=models.CASCADE, related_name="units")
    serial = models.CharField(max_length=32)
    returned = models.BooleanField(default=False)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["serial"], condition=models.Q(returned=False), name="serial_sold_once"
            )
        ]


class VoucherRedemption(models.Model):
    voucher = models.ForeignKey(Voucher, on_delete=models.PROTECT, related_name="redemptions")
    order = models.OneToOneField(Order, on_delete=models.CASCADE, related_name="voucher_redemption")
    customer = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT)
    created_at = models.DateTimeField(auto_now_add=True)


class Return(models.Model):
    order = models.ForeignKey(Order, on_delete=models.PROTECT, related_name="returns")
    reason = models.CharField(max_length=255, blank=True)
    refund_amount = models.DecimalField(max_digits=14, decimal_places=2)
    location = models.ForeignKey(
        "inventory.Location", on_delete=models.PROTECT, help_text="Where the units came back to."
    )
    created_at = models.DateTimeField(auto_now_add=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT)


class ReturnLine(models.Model):
    ret = models.ForeignKey(Return, on_delete=models.CASCADE, related_name="lines")
    line = models.ForeignKey(OrderLine, on_delete=models.PROTECT)
    quantity = models.PositiveIntegerField()
    serials = models.JSONField(default=list, blank=True)
