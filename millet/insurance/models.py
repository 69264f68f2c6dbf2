"""Device protection plans, the policies sold on them, and the claims against those policies.

A policy copies its price, cover, excess, perils and claims allowed from the plan at the moment of
sale: a later change of the plan must not alter what a customer already bought. Money is Decimal in
the market's currency; the ledger holds the same amounts in minor units.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class Peril(models.TextChoices):
    ACCIDENTAL_DAMAGE = "accidental_damage", _("Accidental damage (drops, cracked screen)")
    LIQUID_DAMAGE = "liquid_damage", _("Liquid damage")
    BREAKDOWN = "breakdown", _("Mechanical or electrical breakdown after the warranty")
    THEFT = "theft", _("Theft")


class ProtectionPlan(models.Model):
    code = models.CharField(verbose_name=_("code"), max_length=32, unique=True)
    name = models.CharField(verbose_name=_("name"), max_length=120)
    sku = models.ForeignKey("catalog.Sku", verbose_name=_("SKU"), on_delete=models.PROTECT, related_name="+")
    sku_code = models.CharField(
        verbose_name=_("SKU code"),
        max_length=32,
        help_text=_("The SKU's code (a SKU keeps its code for life)"),
    )
    term_months = models.PositiveSmallIntegerField(verbose_name=_("term (months)"))
    perils = models.JSONField(
        verbose_name=_("covered perils"),
        help_text=_('Covered perils, e.g. ["accidental_damage", "theft"], on policies sold from now on.'),
    )
    max_claims = models.PositiveSmallIntegerField(
        verbose_name=_("claims allowed"),
        default=2,
        help_text=_("Claims allowed per policy term, on policies sold from now on."),
    )
    purchase_window_days = models.PositiveSmallIntegerField(
        verbose_name=_("purchase window (days)"),
        default=30,
        help_text=_("Days after the order during which the plan can still be bought."),
    )
    is_active = models.BooleanField(verbose_name=_("active"), default=True)
    created_at = models.DateTimeField(verbose_name=_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("protection plan")
        verbose_name_plural = _("protection plans")
        constraints = [
            models.CheckConstraint(condition=models.Q(term_months__gt=0), name="plan_term_positive"),
            models.CheckConstraint(condition=models.Q(max_claims__gt=0), name="plan_claims_positive"),
        ]

    def __str__(self) -> str:
        return self.code


class PlanPrice(models.Model):
    """What a plan costs and covers in one market, in that market's currency."""

    plan = models.ForeignKey(
        ProtectionPlan, verbose_name=_("protection plan"), on_delete=models.CASCADE, related_name="prices"
    )
    market = models.ForeignKey(
        "regions.Market", verbose_name=_("market"), on_delete=models.PROTECT, related_name="+"
    )
    currency = models.CharField(verbose_name=_("currency"), max_length=3)
    premium = models.DecimalField(verbose_name=_("premium"), max_digits=14, decimal_places=2)
    cover_limit = models.DecimalField(
        verbose_name=_("cover limit"),
        max_digits=14,
        decimal_places=2,
        help_text=_("Most paid over the term."),
    )
    excess = models.DecimalField(
        verbose_name=_("excess"),
        max_digits=14,
        decimal_places=2,
        default=0,
        help_text=_("The customer's share of each claim."),
    )

    class Meta:
        verbose_name = _("plan price")
        verbose_name_plural = _("plan prices")
        constraints = [
            models.UniqueConstraint(fields=["plan", "market"], name="one_plan_price_per_market"),
            models.CheckConstraint(condition=models.Q(premium__gt=0), name="plan_premium_positive"),
            models.CheckConstraint(
                condition=models.Q(cover_limit__gt=models.F("excess")), name="plan_cover_above_excess"
            ),
            models.CheckConstraint(condition=models.Q(excess__gte=0), name="plan_excess_not_negative"),
        ]

    def __str__(self) -> str:
        return f"{self.plan.code} {self.market_id} {self.premium} {self.currency}"


class Policy(models.Model):
    class Status(models.TextChoices):
        ACTIVE = "active", _("Active")
        EXHAUSTED = "exhausted", _("Cover used up")
        EXPIRED = "expired", _("Term ended")
        CANCELLED = "cancelled", _("Cancelled (the unit was returned)")

    number = models.CharField(verbose_name=_("policy number"), max_length=24, unique=True)
    plan = models.ForeignKey(
        ProtectionPlan, verbose_name=_("protection plan"), on_delete=models.PROTECT, related_name="policies"
    )
    holder = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("policyholder"), on_delete=models.PROTECT, related_name="+"
    )
    order_number = models.CharField(verbose_name=_("order number"), max_length=24, db_index=True)
    serial = models.CharField(verbose_name=_("serial number"), max_length=32, db_index=True)
    market = models.ForeignKey(
        "regions.Market", verbose_name=_("market"), on_delete=models.PROTECT, related_name="+"
    )
    currency = models.CharField(verbose_name=_("currency"), max_length=3)
    premium = models.DecimalField(verbose_name=_("premium"), max_digits=14, decimal_places=2)
    cover_limit = models.DecimalField(verbose_name=_("cover limit"), max_digits=14, decimal_places=2)
    excess = models.DecimalField(verbose_name=_("excess"), max_digits=14, decimal_places=2)
    perils = models.JSONField(
        verbose_name=_("covered perils"), help_text=_("The perils covered, the plan's when sold.")
    )
    max_claims = models.PositiveSmallIntegerField(
        verbose_name=_("claims allowed"), help_text=_("Claims allowed over the term, the plan's when sold.")
    )
    paid_out = models.DecimalField(verbose_name=_("paid out"), max_digits=14, decimal_places=2, default=0)
    refunded = models.DecimalField(
        verbose_name=_("refunded"),
        max_digits=14,
        decimal_places=2,
        default=0,
        help_text=_("Premium given back on cancellation."),
    )
    claims_used = models.PositiveSmallIntegerField(verbose_name=_("claims used"), default=0)
    starts_at = models.DateTimeField(verbose_name=_("starts at"))
    ends_at = models.DateTimeField(verbose_name=_("ends at"))
    status = models.CharField(
        verbose_name=_("status"), max_length=16, choices=Status.choices, default=Status.ACTIVE
    )
    created_at = models.DateTimeField(verbose_name=_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("policy")
        verbose_name_plural = _("policies")
        constraints = [
            # One live policy per device: a second one would pay the same loss twice.
            models.UniqueConstraint(
                fields=["serial"], condition=models.Q(status="active"), name="one_active_policy_per_serial"
            ),
            models.CheckConstraint(
                condition=models.Q(paid_out__lte=models.F("cover_limit")), name="policy_paid_within_cover"
            ),
            models.CheckConstraint(condition=models.Q(ends_at__gt=models.F("starts_at")), name="policy_term"),
            models.CheckConstraint(
                condition=models.Q(refunded__lte=models.F("premium")), name="policy_refund_within_premium"
            ),
        ]
        indexes = [models.Index(fields=["holder", "-created_at"])]

    def __str__(self) -> str:
        return self.number


class EvidenceVerdict(models.TextChoices):
    NOT_CONNECTED = "not_connected", _("Not a connected unit: no telemetry to check")
    SUPPORTED = "supported", _("The unit reported an event matching the claim")
    NO_EVIDENCE = "no_evidence", _("Connected, but nothing reported either way")
    REFER = "refer", _("Telemetry contradicts the claim: refer for review")


class Claim(models.Model):
    class Status(models.TextChoices):
        SUBMITTED = "submitted", _("Submitted")
        APPROVED = "approved", _("Approved, payout reserved")
        PAID = "paid", _("Paid out")
        REJECTED = "rejected", _("Rejected")

    number = models.CharField(verbose_name=_("claim number"), max_length=24, unique=True)
    policy = models.ForeignKey(
        Policy, verbose_name=_("policy"), on_delete=models.PROTECT, related_name="claims"
    )
    peril = models.CharField(verbose_name=_("peril"), max_length=24, choices=Peril.choices)
    incident_at = models.DateTimeField(verbose_name=_("incident at"))
    description = models.TextField(verbose_name=_("description"), max_length=2000, blank=True)
    amount_claimed = models.DecimalField(verbose_name=_("amount claimed"), max_digits=14, decimal_places=2)
    payout = models.DecimalField(
        verbose_name=_("payout"),
        max_digits=14,
        decimal_places=2,
        default=0,
        help_text=_("Approved amount after the excess."),
    )
    status = models.CharField(
        verbose_name=_("status"), max_length=16, choices=Status.choices, default=Status.SUBMITTED
    )
    evidence_verdict = models.CharField(
        verbose_name=_("evidence verdict"),
        max_length=16,
        choices=EvidenceVerdict.choices,
        default=EvidenceVerdict.NOT_CONNECTED,
        help_text=_("What the unit's own telemetry says about the claim, checked when it was filed."),
    )
    evidence = models.JSONField(
        verbose_name=_("evidence"),
        default=dict,
        blank=True,
        help_text=_("The device facts behind the verdict, with a readable summary."),
    )
    decision_reason = models.CharField(verbose_name=_("decision reason"), max_length=255, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("decided by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    created_at = models.DateTimeField(verbose_name=_("created at"), auto_now_add=True)
    decided_at = models.DateTimeField(verbose_name=_("decided at"), null=True, blank=True)
    paid_at = models.DateTimeField(verbose_name=_("paid out at"), null=True, blank=True)

    class Meta:
        verbose_name = _("insurance claim")
        verbose_name_plural = _("insurance claims")
        constraints = [
            models.CheckConstraint(condition=models.Q(amount_claimed__gt=0), name="claim_amount_positive"),
            models.CheckConstraint(condition=models.Q(payout__gte=0), name="claim_payout_not_negative"),
        ]
        permissions = [("handle_claims", "Can decide and pay device protection claims")]

    def __str__(self) -> str:
        return self.number
