"""Flash-sale campaigns, the claims the gate accepted, and the waitlist for returned units.

The gate (Redis or the ``GateCounter`` rows) decides who gets a unit; a ``Claim`` row is the durable
record of that decision, written with the FLASH-channel order it became. The campaign's units are
held in inventory under ``hold_reference`` for the whole sale, so the shop never sells them twice.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class Campaign(models.Model):
    code = models.SlugField(_("code"), max_length=32, unique=True)
    name = models.CharField(_("name"), max_length=128)
    sku = models.ForeignKey("catalog.Sku", verbose_name=_("SKU"), on_delete=models.PROTECT, related_name="+")
    sku_code = models.CharField(
        _("SKU code"), max_length=32, help_text=_("The SKU's code (a SKU keeps its code for life)")
    )
    market = models.ForeignKey(
        "regions.Market", verbose_name=_("market"), on_delete=models.PROTECT, related_name="+"
    )
    location = models.ForeignKey(
        "inventory.Location",
        verbose_name=_("stock location"),
        on_delete=models.PROTECT,
        related_name="+",
        help_text=_("Warehouse the units are set aside from and shipped from."),
    )
    price = models.DecimalField(
        _("flash price"),
        max_digits=14,
        decimal_places=2,
        help_text=_("Flash price per unit, tax included."),
    )
    units = models.PositiveIntegerField(
        _("units"), help_text=_("Units set aside from inventory for the sale.")
    )
    per_customer_limit = models.PositiveIntegerField(_("units per customer"), default=1)
    starts_at = models.DateTimeField(_("starts at"))
    ends_at = models.DateTimeField(_("ends at"))
    payment_window_seconds = models.PositiveIntegerField(_("payment window (seconds)"), default=900)
    customer_rate_per_second = models.PositiveIntegerField(
        _("requests per customer per second"),
        default=5,
        help_text=_("Gate requests one customer may make per second."),
    )
    ip_rate_per_second = models.PositiveIntegerField(
        _("requests per IP address per second"),
        default=200,
        help_text=_("Gate requests one address may make per second; 0 turns the limit off."),
    )
    sold_out_at = models.DateTimeField(
        _("sold out at"), null=True, blank=True, help_text=_("When the pool first ran dry.")
    )
    closed_at = models.DateTimeField(
        _("closed at"),
        null=True,
        blank=True,
        help_text=_("When the unsold units went back to the shelf, after the end."),
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("flash-sale campaign")
        verbose_name_plural = _("flash-sale campaigns")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(ends_at__gt=models.F("starts_at")), name="campaign_ends_after_start"
            ),
            models.CheckConstraint(condition=models.Q(units__gt=0), name="campaign_units_positive"),
            models.CheckConstraint(condition=models.Q(price__gt=0), name="campaign_price_positive"),
        ]

    def __str__(self) -> str:
        return self.code

    @property
    def hold_reference(self) -> str:
        """The inventory reservation that keeps the campaign's unclaimed units off the shelf."""
        return f"FLASH-{self.code}"


class GateCounter(models.Model):
    """The database gate's state (embedded default, no Redis): units left in the pool.

    One row per campaign, apart from the stock row: a claim decrements this, never the stock.
    """

    campaign = models.OneToOneField(
        Campaign, verbose_name=_("campaign"), on_delete=models.CASCADE, related_name="counter"
    )
    remaining = models.IntegerField(_("units remaining"))

    class Meta:
        verbose_name = _("gate counter")
        verbose_name_plural = _("gate counters")
        constraints = [
            models.CheckConstraint(condition=models.Q(remaining__gte=0), name="gate_remaining_non_negative")
        ]


class CustomerTally(models.Model):
    """The database gate's per-customer count of live claims, so parallel requests cannot pass the limit."""

    campaign = models.ForeignKey(
        Campaign, verbose_name=_("campaign"), on_delete=models.CASCADE, related_name="+"
    )
    customer = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("customer"), on_delete=models.CASCADE, related_name="+"
    )
    taken = models.IntegerField(_("live claims"), default=0)

    class Meta:
        verbose_name = _("customer tally")
        verbose_name_plural = _("customer tallies")
        constraints = [
            models.UniqueConstraint(fields=["campaign", "customer"], name="one_tally_per_customer"),
            models.CheckConstraint(condition=models.Q(taken__gte=0), name="tally_non_negative"),
        ]


class Claim(models.Model):
    """A unit the gate gave a customer: queued -> ordered -> paid, or -> expired (unit back to the pool)."""

    class Status(models.TextChoices):
        QUEUED = "queued", _("Accepted, order being written")
        ORDERED = "ordered", _("Order placed, awaiting payment")
        PAID = "paid", _("Paid")
        EXPIRED = "expired", _("Not paid in time, unit returned")
        REJECTED = "rejected", _("No unit left when the order was written")

    campaign = models.ForeignKey(
        Campaign, verbose_name=_("campaign"), on_delete=models.PROTECT, related_name="claims"
    )
    gate_id = models.CharField(
        _("gate ID"), max_length=40, help_text=_("The gate's id for the claim (Redis stream entry id).")
    )
    customer = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("customer"), on_delete=models.PROTECT, related_name="+"
    )
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.QUEUED)
    order_number = models.CharField(_("order number"), max_length=24, blank=True)
    claimed_at = models.DateTimeField(_("claimed at"))
    expires_at = models.DateTimeField(_("expires at"))
    settled_at = models.DateTimeField(_("settled at"), null=True, blank=True)

    class Meta:
        verbose_name = _("flash-sale claim")
        verbose_name_plural = _("flash-sale claims")
        constraints = [models.UniqueConstraint(fields=["campaign", "gate_id"], name="one_claim_per_gate_id")]
        indexes = [
            models.Index(fields=["campaign", "status", "expires_at"]),
            models.Index(fields=["campaign", "customer"]),
        ]

    def __str__(self) -> str:
        return f"{self.campaign_id}:{self.gate_id}"


class WaitlistEntry(models.Model):
    """A customer who arrived after the sell-out; returned units are offered in arrival order."""

    class Status(models.TextChoices):
        WAITING = "waiting", _("Waiting")
        OFFERED = "offered", _("Offered a unit")
        SKIPPED = "skipped", _("Skipped")

    campaign = models.ForeignKey(
        Campaign, verbose_name=_("campaign"), on_delete=models.CASCADE, related_name="waitlist"
    )
    customer = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("customer"), on_delete=models.CASCADE, related_name="+"
    )
    status = models.CharField(_("status"), max_length=8, choices=Status.choices, default=Status.WAITING)
    claim_gate_id = models.CharField(_("claim's gate ID"), max_length=40, blank=True)
    joined_at = models.DateTimeField(_("joined at"), auto_now_add=True)

    class Meta:
        verbose_name = _("waitlist entry")
        verbose_name_plural = _("waitlist entries")
        constraints = [models.UniqueConstraint(fields=["campaign", "customer"], name="one_waitlist_entry")]
        indexes = [models.Index(fields=["campaign", "status", "joined_at"])]


class StreamDeadLetter(models.Model):
    """A claims-stream entry the order writer set aside instead of retrying it forever.

    ``malformed_entry``: the entry is not a claim the gate writes (fields missing or not numbers).
    ``unwritable:<error>``: its order could not be written on its own (the customer is gone); its
    unit went back to the sale. The entry is acknowledged in the stream once this row is written.
    """

    campaign = models.ForeignKey(
        Campaign, verbose_name=_("campaign"), on_delete=models.CASCADE, related_name="dead_letters"
    )
    gate_id = models.CharField(_("gate ID"), max_length=40, help_text=_("The stream entry's id."))
    reason = models.CharField(_("reason"), max_length=64)
    fields = models.TextField(
        _("fields"), blank=True, help_text=_("The entry's fields as read, first 1 KiB.")
    )
    detail = models.CharField(_("detail"), max_length=300, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("stream dead letter")
        verbose_name_plural = _("stream dead letters")
        constraints = [
            models.UniqueConstraint(fields=["campaign", "gate_id"], name="one_dead_letter_per_entry")
        ]

    def __str__(self) -> str:
        return f"{self.campaign_id}:{self.gate_id} ({self.reason})"
