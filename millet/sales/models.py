"""One order model for every channel: web store, point of sale, click-and-collect (and flash sales)."""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy


class Voucher(models.Model):
    """A discount code with a global and a per-customer usage limit, counted atomically."""

    class Kind(models.TextChoices):
        PERCENT = "percent", _("Percent off")
        AMOUNT = "amount", _("Fixed amount off")

    code = models.CharField(verbose_name=_("code"), max_length=32, unique=True)
    market = models.ForeignKey("regions.Market", verbose_name=_("market"), on_delete=models.PROTECT)
    kind = models.CharField(verbose_name=_("discount type"), max_length=8, choices=Kind.choices)
    value = models.DecimalField(verbose_name=_("value"), max_digits=12, decimal_places=2)
    min_spend = models.DecimalField(
        verbose_name=_("minimum spend"), max_digits=12, decimal_places=2, default=0
    )
    max_uses = models.PositiveIntegerField(verbose_name=_("maximum uses"), null=True, blank=True)
    max_uses_per_customer = models.PositiveIntegerField(
        verbose_name=_("maximum uses per customer"), default=1
    )
    used_count = models.PositiveIntegerField(verbose_name=_("times used"), default=0)
    valid_from = models.DateTimeField(verbose_name=_("valid from"), null=True, blank=True)
    valid_until = models.DateTimeField(verbose_name=_("valid until"), null=True, blank=True)
    is_active = models.BooleanField(verbose_name=_("active"), default=True)

    class Meta:
        verbose_name = _("voucher")
        verbose_name_plural = _("vouchers")
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
    customer = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("customer"), on_delete=models.CASCADE, related_name="carts"
    )
    market = models.ForeignKey("regions.Market", verbose_name=_("market"), on_delete=models.PROTECT)
    voucher_code = models.CharField(verbose_name=_("voucher code"), max_length=32, blank=True)
    created_at = models.DateTimeField(verbose_name=_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(verbose_name=_("updated at"), auto_now=True)
    checked_out = models.BooleanField(verbose_name=_("checked out"), default=False)

    class Meta:
        verbose_name = _("cart")
        verbose_name_plural = _("carts")
        constraints = [
            # One open cart per customer and market: two first adds at once (two tabs) made two
            # carts, and the lines of the one not shown were lost to the customer.
            models.UniqueConstraint(
                fields=["customer", "market"],
                condition=models.Q(checked_out=False),
                name="one_open_cart_per_market",
            )
        ]


class CartLine(models.Model):
    cart = models.ForeignKey(Cart, verbose_name=_("cart"), on_delete=models.CASCADE, related_name="lines")
    sku = models.ForeignKey("catalog.Sku", verbose_name=_("SKU"), on_delete=models.PROTECT)
    quantity = models.PositiveIntegerField(verbose_name=_("quantity"))

    class Meta:
        verbose_name = _("cart line")
        verbose_name_plural = _("cart lines")
        constraints = [models.UniqueConstraint(fields=["cart", "sku"], name="one_cart_line_per_sku")]


class Order(models.Model):
    """An order of any channel.

    On PostgreSQL ``sales_order`` is partitioned by month on ``created_at`` (migration 0011,
    millet.core.partitions): its primary key there is (id, created_at), and PostgreSQL allows neither
    a unique key without ``created_at`` nor a foreign key into it. The order number and the
    idempotency key are unique through ``OrderKey``, written first in the same transaction; the
    foreign keys to an order are ``db_constraint=False``, kept by the sales services that write the
    order and its rows together (and never delete an order but through the ORM, which cascades)."""

    class Channel(models.TextChoices):
        WEB = "web", _("Web store")
        POS = "pos", _("Point of sale")
        CLICK_COLLECT = "click_collect", _("Click and collect")
        FLASH = "flash", _("Flash sale")

    class Status(models.TextChoices):
        PLACED = "placed", _("Placed, awaiting payment")
        PAID = "paid", _("Paid")
        BACKORDERED = "backordered", _("Paid, waiting for stock")
        FULFILLED = "fulfilled", _("Shipped or handed over")
        READY_FOR_PICKUP = "ready_for_pickup", _("Ready for pickup")
        CANCELLED = "cancelled", _("Cancelled")
        RETURNED = "returned", _("Returned")
        PARTIALLY_RETURNED = "partially_returned", _("Partially returned")

    # Every index here is written by every checkout, so each must serve a read (issue 14): none for
    # LIKE (Django's "_like" twin of an indexed text column), and none a composite index below covers.
    number = models.CharField(
        verbose_name=_("order number"), max_length=24, help_text=_("Unique through OrderKey.")
    )
    channel = models.CharField(verbose_name=_("channel"), max_length=16, choices=Channel.choices)
    status = models.CharField(
        verbose_name=_("status"), max_length=20, choices=Status.choices, default=Status.PLACED
    )
    customer = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("customer"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="orders",
        db_index=False,  # (customer, -created_at) below
        help_text=_("Empty for an anonymous walk-in buyer at a store."),
    )
    market = models.ForeignKey(
        "regions.Market", verbose_name=_("market"), on_delete=models.PROTECT, db_index=False
    )  # a handful
    currency = models.CharField(verbose_name=_("currency"), max_length=3)
    store = models.ForeignKey(
        "stores.Store",
        verbose_name=_("store"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="orders",
        db_index=False,  # (store, -created_at) below
        help_text=_("Selling store (POS) or pickup store (click-and-collect)."),
    )
    staff = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("staff member"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    voucher = models.ForeignKey(
        Voucher, verbose_name=_("voucher"), null=True, blank=True, on_delete=models.PROTECT
    )
    shipping_city = models.CharField(verbose_name=_("shipping city"), max_length=64, blank=True)
    shipping_state = models.CharField(
        verbose_name=_("shipping state"),
        max_length=6,
        blank=True,
        help_text=_("ISO 3166-2 code of the delivery state (e.g. IN-MH): India's GST place of supply"),
    )
    # Where a delivered order goes (copied from the checkout, so a later edit of a saved address
    # never rewrites an order's history); empty for store and click-and-collect orders.
    shipping_recipient = models.CharField(verbose_name=_("recipient"), max_length=100, blank=True)
    shipping_phone = models.CharField(verbose_name=_("recipient's phone"), max_length=20, blank=True)
    shipping_line1 = models.CharField(verbose_name=_("shipping address line 1"), max_length=120, blank=True)
    shipping_line2 = models.CharField(verbose_name=_("shipping address line 2"), max_length=120, blank=True)
    shipping_postal_code = models.CharField(verbose_name=_("shipping postal code"), max_length=10, blank=True)
    shipping_region = models.CharField(
        verbose_name=_("shipping region"),
        max_length=64,
        blank=True,
        help_text=_("Province or state as written, outside India (e.g. 广东省)"),
    )
    shipping_method = models.CharField(
        verbose_name=_("shipping method"),
        max_length=16,
        blank=True,
        help_text=_("sales.services.shipping code"),
    )
    shipping_fee = models.DecimalField(
        verbose_name=_("shipping fee"),
        max_digits=14,
        decimal_places=2,
        default=0,
        help_text=_("Gross, tax included; part of total."),
    )
    shipping_tax_components = models.JSONField(
        verbose_name=_("shipping fee tax components"),
        default=dict,
        blank=True,
        help_text=_('The tax inside the shipping fee, e.g. {"VAT": "0.80"}'),
    )
    subtotal = models.DecimalField(verbose_name=_("subtotal"), max_digits=14, decimal_places=2)
    discount = models.DecimalField(verbose_name=_("discount"), max_digits=14, decimal_places=2, default=0)
    tax = models.DecimalField(
        verbose_name=_("tax"),
        max_digits=14,
        decimal_places=2,
        help_text=_("Lines' tax plus the shipping fee's."),
    )
    total = models.DecimalField(
        verbose_name=_("total"),
        max_digits=14,
        decimal_places=2,
        help_text=_("Lines' totals plus the shipping fee."),
    )
    refunded = models.DecimalField(verbose_name=_("refunded"), max_digits=14, decimal_places=2, default=0)
    pickup_code = models.CharField(
        verbose_name=_("pickup code"),
        max_length=8,
        blank=True,
        help_text=_("What a click-and-collect buyer shows at the counter."),
    )
    paid_at = models.DateTimeField(verbose_name=_("paid at"), null=True, blank=True)
    fulfilled_at = models.DateTimeField(
        verbose_name=_("fulfilled at"), null=True, blank=True, help_text=_("Shipped or handed over.")
    )
    cancelled_at = models.DateTimeField(verbose_name=_("cancelled at"), null=True, blank=True)
    idempotency_key = models.CharField(
        verbose_name=_("idempotency key"),
        max_length=64,
        null=True,
        blank=True,
        help_text=_("Unique, and looked up, through OrderKey."),
    )
    request_fingerprint = models.CharField(
        verbose_name=_("request fingerprint"),
        max_length=64,
        blank=True,
        help_text=_("SHA-256 of the keyed request's parameters (core.idempotency): a replay must match it."),
    )
    created_at = models.DateTimeField(verbose_name=_("created at"), db_index=True)
    carrier = models.CharField(
        verbose_name=_("carrier"), max_length=64, blank=True, help_text=_("Who delivers a shipped web order.")
    )
    tracking_number = models.CharField(verbose_name=_("tracking number"), max_length=64, blank=True)
    cash_tendered = models.DecimalField(
        verbose_name=_("cash tendered"),
        max_digits=14,
        decimal_places=2,
        null=True,
        blank=True,
        help_text=_("A till sale paid in cash: what the buyer handed over (the receipt shows the change)."),
    )
    held_serials = models.JSONField(
        verbose_name=_("held serial numbers"),
        default=dict,
        blank=True,
        help_text=_(
            "A till sale held for instant credit: serials scanned, by SKU id, handed over once paid."
        ),
    )

    class Meta:
        verbose_name = _("order")
        verbose_name_plural = _("orders")
        indexes = [
            models.Index(fields=["number"], name="sales_order_number"),
            models.Index(fields=["customer", "-created_at"]),
            models.Index(fields=["store", "-created_at"]),
            models.Index(fields=["fulfilled_at"]),  # sales reporting reads the days handed over
        ]

    def __str__(self) -> str:
        return self.number


class OrderKey(models.Model):
    """An order's number and idempotency key, each used once: the unique keys the month-partitioned
    order table cannot hold. ``create_order`` and ``place_flash_orders`` insert it before the order,
    in the same transaction, so a duplicate is refused (IntegrityError) before the order is written."""

    number = models.CharField(verbose_name=_("order number"), max_length=24, primary_key=True)
    idempotency_key = models.CharField(
        verbose_name=_("idempotency key"), max_length=64, null=True, blank=True
    )

    class Meta:
        verbose_name = _("order key")
        verbose_name_plural = _("order keys")
        constraints = [  # only keyed orders have an entry: most checkouts send no key
            models.UniqueConstraint(
                fields=["idempotency_key"],
                condition=models.Q(idempotency_key__isnull=False),
                name="order_key_idempotency_key_unique",
            )
        ]

    def __str__(self) -> str:
        return self.number


class OrderLine(models.Model):
    # No database constraint on foreign keys to an order: see Order.
    order = models.ForeignKey(
        Order, verbose_name=_("order"), on_delete=models.CASCADE, db_constraint=False, related_name="lines"
    )
    sku = models.ForeignKey("catalog.Sku", verbose_name=_("SKU"), on_delete=models.PROTECT)
    quantity = models.PositiveIntegerField(verbose_name=_("quantity"))
    unit_price = models.DecimalField(verbose_name=_("unit price"), max_digits=14, decimal_places=2)
    discount = models.DecimalField(verbose_name=_("discount"), max_digits=14, decimal_places=2, default=0)
    tax = models.DecimalField(verbose_name=_("tax"), max_digits=14, decimal_places=2)
    tax_components = models.JSONField(
        verbose_name=_("tax components"), default=dict, help_text=_('e.g. {"CGST": "45.00", "SGST": "45.00"}')
    )
    # The rates the amounts were computed at, kept with them: an invoice states the rate applied to
    # the sale (EU VAT Directive 2006/112/EC art. 226(9); CGST Rules 2017, Rule 46(m)), and the
    # market's tax rule may change after it (a VAT rise, a GST slab change).
    tax_rates = models.JSONField(
        _("tax rates"),
        default=dict,
        blank=True,
        help_text=_('The rate applied at the sale, by component, e.g. {"CGST": "0.09", "SGST": "0.09"}'),
    )
    total = models.DecimalField(
        verbose_name=_("total"), max_digits=14, decimal_places=2, help_text=_("Gross after discount.")
    )
    quantity_fulfilled = models.PositiveIntegerField(verbose_name=_("quantity fulfilled"), default=0)
    quantity_returned = models.PositiveIntegerField(verbose_name=_("quantity returned"), default=0)
    backordered = models.BooleanField(verbose_name=_("backordered"), default=False)

    class Meta:
        verbose_name = _("order line")
        verbose_name_plural = _("order lines")
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

    line = models.ForeignKey(
        OrderLine, verbose_name=_("order line"), on_delete=models.CASCADE, related_name="units"
    )
    serial = models.CharField(verbose_name=_("serial number"), max_length=32)
    returned = models.BooleanField(verbose_name=_("returned"), default=False)

    class Meta:
        verbose_name = _("order unit")
        verbose_name_plural = _("order units")
        constraints = [
            models.UniqueConstraint(
                fields=["serial"], condition=models.Q(returned=False), name="serial_sold_once"
            )
        ]


class VoucherRedemption(models.Model):
    voucher = models.ForeignKey(
        Voucher, verbose_name=_("voucher"), on_delete=models.PROTECT, related_name="redemptions"
    )
    order = models.OneToOneField(  # no database constraint: see Order
        Order,
        verbose_name=_("order"),
        on_delete=models.CASCADE,
        db_constraint=False,
        related_name="voucher_redemption",
    )
    customer = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("customer"), null=True, blank=True, on_delete=models.PROTECT
    )
    created_at = models.DateTimeField(verbose_name=_("redeemed at"), auto_now_add=True)

    class Meta:
        verbose_name = _("voucher redemption")
        verbose_name_plural = _("voucher redemptions")


class Return(models.Model):
    # No database constraint: see Order.
    order = models.ForeignKey(
        Order, verbose_name=_("order"), on_delete=models.PROTECT, db_constraint=False, related_name="returns"
    )
    reason = models.CharField(verbose_name=_("reason"), max_length=255, blank=True)
    refund_amount = models.DecimalField(verbose_name=_("refund amount"), max_digits=14, decimal_places=2)
    location = models.ForeignKey(
        "inventory.Location",
        verbose_name=_("location"),
        on_delete=models.PROTECT,
        help_text=_("Where the units came back to."),
    )
    created_at = models.DateTimeField(verbose_name=_("created at"), auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("created by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
    )

    class Meta:
        verbose_name = _("return")
        verbose_name_plural = _("returns")
        indexes = [models.Index(fields=["created_at"])]  # sales reporting reads the days taken back


class ReturnLine(models.Model):
    ret = models.ForeignKey(Return, verbose_name=_("return"), on_delete=models.CASCADE, related_name="lines")
    line = models.ForeignKey(OrderLine, verbose_name=_("order line"), on_delete=models.PROTECT)
    quantity = models.PositiveIntegerField(verbose_name=_("quantity"))
    serials = models.JSONField(verbose_name=_("serial numbers"), default=list, blank=True)

    class Meta:
        verbose_name = _("return line")
        verbose_name_plural = _("return lines")


class ReturnAuthorization(models.Model):
    """A shopper's request to send units back (an RMA): requested, then approved or rejected by
    staff, then refunded when the units arrive (``received`` names the ``Return`` that took them)."""

    class Status(models.TextChoices):
        # The staff pages' "Requested" column heads the date asked (申请时间): the state is another word.
        REQUESTED = "requested", pgettext_lazy("return request status", "Requested")
        APPROVED = "approved", _("Approved, waiting for the units")
        REJECTED = "rejected", _("Rejected")
        REFUNDED = "refunded", _("Received and refunded")

    class Reason(models.TextChoices):
        CHANGED_MIND = "changed_mind", _("Changed my mind")
        DEFECTIVE = "defective", _("Defective or does not work")
        DAMAGED = "damaged", _("Arrived damaged")
        NOT_AS_DESCRIBED = "not_as_described", _("Not as described")
        WRONG_ITEM = "wrong_item", _("Wrong item sent")

    order = models.ForeignKey(  # no database constraint: see Order
        Order,
        verbose_name=_("order"),
        on_delete=models.PROTECT,
        db_constraint=False,
        related_name="return_authorizations",
    )
    status = models.CharField(
        verbose_name=_("status"), max_length=12, choices=Status.choices, default=Status.REQUESTED
    )
    reason = models.CharField(verbose_name=_("reason"), max_length=20, choices=Reason.choices)
    details = models.CharField(verbose_name=_("details"), max_length=500, blank=True)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("requested by"), on_delete=models.PROTECT, related_name="+"
    )
    requested_at = models.DateTimeField(verbose_name=_("requested at"))
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("decided by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    decided_at = models.DateTimeField(verbose_name=_("decided at"), null=True, blank=True)
    decision_note = models.CharField(verbose_name=_("decision note"), max_length=500, blank=True)
    received = models.OneToOneField(
        Return,
        verbose_name=_("return received"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="authorization",
    )

    class Meta:
        verbose_name = _("return request")
        verbose_name_plural = _("return requests")
        indexes = [models.Index(fields=["status", "requested_at"])]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(received__isnull=True) | models.Q(status="refunded"),
                name="return_authorization_received_is_refunded",
            )
        ]


class ReturnAuthorizationLine(models.Model):
    authorization = models.ForeignKey(
        ReturnAuthorization, verbose_name=_("return request"), on_delete=models.CASCADE, related_name="lines"
    )
    line = models.ForeignKey(OrderLine, verbose_name=_("order line"), on_delete=models.PROTECT)
    quantity = models.PositiveIntegerField(verbose_name=_("quantity"))

    class Meta:
        verbose_name = _("return request line")
        verbose_name_plural = _("return request lines")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(quantity__gt=0), name="return_authorization_qty_positive"
            ),
            models.UniqueConstraint(fields=["authorization", "line"], name="one_rma_line_per_order_line"),
        ]


class Seller(models.Model):
    """Who sells in a market, as its invoices name it: legal name, address and tax registration
    (India: the GSTIN, whose first two digits are the state code; Germany: the USt-IdNr.; China:
    the unified social credit code). Edited in the back office; the demo company's are seeded."""

    market = models.CharField(
        verbose_name=_("market"), max_length=2, primary_key=True, help_text=_("ISO 3166-1 alpha-2")
    )
    legal_name = models.CharField(verbose_name=_("legal name"), max_length=120)
    address = models.CharField(verbose_name=_("address"), max_length=300)
    tax_id = models.CharField(verbose_name=_("tax ID"), max_length=32)
    state = models.CharField(
        verbose_name=_("state"),
        max_length=6,
        blank=True,
        help_text=_("ISO 3166-2 state of the registration (India: the GSTIN's state)"),
    )

    class Meta:
        verbose_name = _("seller")
        verbose_name_plural = _("sellers")

    def __str__(self) -> str:
        return f"{self.legal_name} ({self.market})"


class SellerVersion(models.Model):
    """A seller's details from ``valid_from`` until the next version: an invoice names the seller as
    it was when the goods were supplied, since an issued invoice must not change (UStG s. 14(4) and
    the CGST Rules 2017, Rule 46, list the supplier's name, address and registration among what it
    states). Written by ``sales.services.save_seller`` with each change; the first version of a
    market reaches back to every sale before it."""

    market = models.CharField(verbose_name=_("market"), max_length=2, help_text=_("ISO 3166-1 alpha-2"))
    valid_from = models.DateTimeField(verbose_name=_("valid from"))
    legal_name = models.CharField(verbose_name=_("legal name"), max_length=120)
    address = models.CharField(verbose_name=_("address"), max_length=300)
    tax_id = models.CharField(verbose_name=_("tax ID"), max_length=32)
    state = models.CharField(verbose_name=_("state"), max_length=6, blank=True)

    class Meta:
        verbose_name = _("seller version")
        verbose_name_plural = _("seller versions")
        constraints = [
            models.UniqueConstraint(fields=["market", "valid_from"], name="seller_version_once"),
        ]


class TillDay(models.Model):
    """One store's till for one business day, opened by a cashier and closed with a Z report: the
    cash counted against the cash the ledger expected in the drawer, and the difference booked as
    cash over/short. A closed day takes no more sales (``sales.services.till``)."""

    store = models.ForeignKey(
        "stores.Store", verbose_name=_("store"), on_delete=models.PROTECT, related_name="till_days"
    )
    business_date = models.DateField(verbose_name=_("business date"))
    currency = models.CharField(verbose_name=_("currency"), max_length=3)
    opened_at = models.DateTimeField(verbose_name=_("opened at"))
    opened_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("opened by"), on_delete=models.PROTECT, related_name="+"
    )
    closed_at = models.DateTimeField(verbose_name=_("closed at"), null=True, blank=True)
    closed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("closed by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    expected_cash = models.DecimalField(
        verbose_name=_("expected cash"), max_digits=14, decimal_places=2, null=True, blank=True
    )
    counted_cash = models.DecimalField(
        verbose_name=_("counted cash"), max_digits=14, decimal_places=2, null=True, blank=True
    )

    class Meta:
        verbose_name = _("till day")
        verbose_name_plural = _("till days")
        constraints = [
            models.UniqueConstraint(fields=["store", "business_date"], name="one_till_day_per_store_and_date")
        ]

    def __str__(self) -> str:
        return f"{self.store_id} {self.business_date}"

    @property
    def is_closed(self) -> bool:
        return self.closed_at is not None

    @property
    def difference(self) -> Decimal | None:
        """Counted less expected: negative is short, positive over."""
        if self.counted_cash is None or self.expected_cash is None:
            return None
        return self.counted_cash - self.expected_cash


class DailyTakings(models.Model):
    """One day's sales summary of a store's tills or a market's web store, posted once to the
    general ledger as a whole (``sales.services.takings``) instead of order by order: what a store
    sends head office after its close, and how ``millet demo --letter`` replays 2016."""

    class Channel(models.TextChoices):
        STORE = "store", _("Mi Home store")
        WEB = "web", _("Web store")

    channel = models.CharField(verbose_name=_("channel"), max_length=8, choices=Channel.choices)
    place = models.CharField(
        verbose_name=_("place"), max_length=32, help_text=_("The store's code, or the web store's market.")
    )
    day = models.DateField(
        verbose_name=_("trading day"),
        help_text=_("The trading day the summary covers, booked on the ledger that day."),
    )
    currency = models.CharField(verbose_name=_("currency"), max_length=3)
    recorded_at = models.DateTimeField(verbose_name=_("recorded at"), auto_now_add=True, db_index=True)

    class Meta:
        verbose_name = _("daily takings")
        verbose_name_plural = _("daily takings")
        constraints = [
            models.UniqueConstraint(fields=["channel", "place", "day"], name="one_takings_per_place_and_day")
        ]
        indexes = [models.Index(fields=["day"], name="takings_day")]

    def __str__(self) -> str:
        return f"{self.channel}:{self.place} {self.day}"


class DailyTakingsLine(models.Model):
    """One SKU's units and net revenue (and the tax on it) in a day's takings."""

    takings = models.ForeignKey(
        DailyTakings, verbose_name=_("daily takings"), on_delete=models.CASCADE, related_name="lines"
    )
    sku = models.ForeignKey("catalog.Sku", verbose_name=_("SKU"), on_delete=models.PROTECT)
    units = models.PositiveIntegerField(verbose_name=_("units"))
    net = models.DecimalField(
        verbose_name=_("net revenue"), max_digits=14, decimal_places=2, help_text=_("Revenue without tax.")
    )
    tax = models.DecimalField(verbose_name=_("tax"), max_digits=14, decimal_places=2)

    class Meta:
        verbose_name = _("daily takings line")
        verbose_name_plural = _("daily takings lines")
        constraints = [
            models.UniqueConstraint(fields=["takings", "sku"], name="one_takings_line_per_sku"),
        ]
