"""Lending's tables: products, the credit-model registry, applications, loans and their schedules.

Amounts the ledger books are integer minor units (``*_minor``); the ledger is the truth for money,
these rows say what each movement was *for* (which installment, which fee) and keep the idempotency
keys that make every lending operation safe to retry.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from millet.lending.schedule import ANNUITY, EQUAL_PRINCIPAL


class Method(models.TextChoices):
    ANNUITY = ANNUITY, "Equal installments"
    EQUAL_PRINCIPAL = EQUAL_PRINCIPAL, "Equal principal"


class LoanProduct(models.Model):
    code = models.CharField(max_length=32, unique=True)
    name = models.CharField(max_length=120)
    currency = models.CharField(max_length=3)
    apr = models.DecimalField(max_digits=6, decimal_places=4, help_text="Annual rate, e.g. 0.1800")
    terms = models.JSONField(default=list, help_text="Months offered, e.g. [3, 6, 12]")
    # The late-payment terms of loans made from now on: each loan keeps its own copy (Loan.late_fee_minor,
    # grace_days, charge_off_days), so editing them here never changes a loan already made.
    late_fee = models.DecimalField(
        max_digits=12, decimal_places=2, help_text="Per overdue installment, on loans made from now on"
    )
    grace_days = models.PositiveIntegerField(
        default=5, help_text="Days past due before the late fee, on loans made from now on"
    )
    charge_off_days = models.PositiveIntegerField(
        default=180, help_text="Days past due before charge-off, on loans made from now on"
    )
    min_amount = models.DecimalField(max_digits=14, decimal_places=2)
    max_amount = models.DecimalField(max_digits=14, decimal_places=2)
    is_active = models.BooleanField(default=True)

    class Meta:
        verbose_name = _("loan product")
        verbose_name_plural = _("loan products")
        constraints = [
            models.CheckConstraint(condition=models.Q(apr__gte=0), name="lending_apr_not_negative"),
            models.CheckConstraint(
                condition=models.Q(min_amount__gt=0) & models.Q(max_amount__gte=models.F("min_amount")),
                name="lending_amount_range",
            ),
        ]

    def __str__(self) -> str:
        return self.code


class CreditModel(models.Model):
    """A trained scorecard artifact; applications are decided by the one approved version."""

    class Status(models.TextChoices):
        REGISTERED = "registered"
        APPROVED = "approved"
        RETIRED = "retired"

    version = models.CharField(max_length=64, unique=True)
    artifact = models.JSONField(help_text="The scorecard as saved by millet.lending.credit")
    metrics = models.JSONField(default=dict, help_text="Held-out auc, gini, ks")
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.REGISTERED)
    registered_at = models.DateTimeField(auto_now_add=True)
    approved_at = models.DateTimeField(null=True, blank=True)
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        verbose_name = _("credit model")
        verbose_name_plural = _("credit models")
        constraints = [
            models.UniqueConstraint(
                fields=["status"], condition=models.Q(status="approved"), name="lending_one_approved_model"
            )
        ]

    def __str__(self) -> str:
        return f"{self.version} ({self.status})"


class Application(models.Model):
    class Outcome(models.TextChoices):
        APPROVE = "approve"
        DECLINE = "decline"
        REFER = "refer"

    class Status(models.TextChoices):
        APPROVED = "approved"
        DECLINED = "declined"
        REFERRED = "referred"

    number = models.CharField(max_length=24, unique=True)
    customer = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    # No database constraint: orders are partitioned by month on PostgreSQL (sales.models.Order);
    # the loan is written for an order that exists, and orders are never deleted under a loan.
    order = models.ForeignKey("sales.Order", on_delete=models.PROTECT, db_constraint=False, related_name="+")
    order_number = models.CharField(
        max_length=24, db_index=True, help_text="The order's number, as on its loan"
    )
    market = models.CharField(max_length=2, help_text="The order's market (ISO 3166-1 alpha-2 code)")
    product = models.ForeignKey(LoanProduct, on_delete=models.PROTECT)
    term_months = models.PositiveSmallIntegerField()
    method = models.CharField(max_length=16, choices=Method.choices)
    amount = models.DecimalField(max_digits=14, decimal_places=2)
    currency = models.CharField(max_length=3)
    # The terms offered when the buyer applied, as the loan will keep them (Loan's fields of the same
    # names): a referral is approved days later, and the product may be edited meanwhile, but the
    # credit agreement is the one applied for (Directive 2008/48/EC art. 5 and 10).
    apr = models.DecimalField(max_digits=6, decimal_places=4, help_text="Annual rate offered, e.g. 0.1800")
    late_fee_minor = models.BigIntegerField(help_text="Per overdue installment offered, in minor units")
    grace_days = models.PositiveIntegerField(help_text="Days past due before the late fee, as offered")
    charge_off_days = models.PositiveIntegerField(help_text="Days past due before charge-off, as offered")
    features = models.JSONField(help_text="Everything the model saw: platform facts plus the form")
    platform_facts = models.JSONField(default=dict, help_text="What the platform knew: orders, loans")
    model = models.ForeignKey(CreditModel, on_delete=models.PROTECT, related_name="applications")
    outcome = models.CharField(max_length=8, choices=Outcome.choices, help_text="The model's decision")
    status = models.CharField(max_length=16, choices=Status.choices, help_text="After any review")
    probability_of_default = models.FloatField()
    points = models.IntegerField()
    reasons = models.JSONField(default=list)
    decision_ms = models.FloatField(help_text="Time the model took to decide")
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    reviewed_at = models.DateTimeField(null=True, blank=True)
    review_note = models.CharField(
        max_length=500, blank=True, help_text="The risk officer's written reason for the decision"
    )
    created_at = models.DateTimeField(db_index=True)

    class Meta:
        verbose_name = _("credit application")
        verbose_name_plural = _("credit applications")

    def __str__(self) -> str:
        return self.number


class Loan(models.Model):
    class Status(models.TextChoices):
        ACTIVE = "active"
        PAID_OFF = "paid_off"
        CHARGED_OFF = "charged_off"
        CANCELLED = "cancelled"

    class Bucket(models.TextChoices):
        CURRENT = "current"
        DPD_1_30 = "1-30"
        DPD_31_60 = "31-60"
        DPD_61_90 = "61-90"
        DPD_90_PLUS = "90+"

    number = models.CharField(max_length=24, unique=True)
    application = models.OneToOneField(Application, on_delete=models.PROTECT, related_name="loan")
    customer = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    product = models.ForeignKey(LoanProduct, on_delete=models.PROTECT)
    order_number = models.CharField(max_length=24, db_index=True)
    currency = models.CharField(max_length=3)
    principal_minor = models.BigIntegerField()
    apr = models.DecimalField(max_digits=6, decimal_places=4)
    term_months = models.PositiveSmallIntegerField()
    method = models.CharField(max_length=16, choices=Method.choices)
    # The credit agreement's charges for late payment (Directive 2008/48/EC art. 10(2)(l)), copied
    # from the product when the loan is made: the daily job charges these, whatever the product says later.
    late_fee_minor = models.BigIntegerField(help_text="Per overdue installment, in minor units")
    grace_days = models.PositiveIntegerField(help_text="Days past due before the late fee")
    charge_off_days = models.PositiveIntegerField(help_text="Days past due before charge-off")
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.ACTIVE)
    disbursed_on = models.DateField()
    outstanding_principal_minor = models.BigIntegerField()
    fees_outstanding_minor = models.BigIntegerField(default=0)
    written_off_minor = models.BigIntegerField(default=0)
    recovered_minor = models.BigIntegerField(default=0, help_text="Written-off principal later recovered")
    days_past_due = models.PositiveIntegerField(default=0)
    bucket = models.CharField(max_length=8, choices=Bucket.choices, default=Bucket.CURRENT)
    defaulted = models.BooleanField(default=False, help_text="Ever 90+ days past due: counts as a default")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("loan")
        verbose_name_plural = _("loans")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(outstanding_principal_minor__gte=0)
                & models.Q(outstanding_principal_minor__lte=models.F("principal_minor")),
                name="lending_outstanding_in_range",
            ),
            models.CheckConstraint(
                condition=models.Q(fees_outstanding_minor__gte=0), name="lending_fees_not_negative"
            ),
            models.CheckConstraint(
                condition=models.Q(late_fee_minor__gte=0), name="lending_late_fee_not_negative"
            ),
        ]

    def __str__(self) -> str:
        return self.number


class Installment(models.Model):
    loan = models.ForeignKey(Loan, on_delete=models.CASCADE, related_name="installments")
    seq = models.PositiveSmallIntegerField()
    due_date = models.DateField()
    principal_due_minor = models.BigIntegerField()
    interest_due_minor = models.BigIntegerField()
    principal_paid_minor = models.BigIntegerField(default=0)
    interest_paid_minor = models.BigIntegerField(default=0)
    late_fee_charged = models.BooleanField(default=False)

    class Meta:
        verbose_name = _("installment")
        verbose_name_plural = _("installments")
        ordering = ["loan", "seq"]
        constraints = [
            models.UniqueConstraint(fields=["loan", "seq"], name="lending_one_installment_per_seq"),
            models.CheckConstraint(
                condition=models.Q(principal_paid_minor__gte=0)
                & models.Q(principal_paid_minor__lte=models.F("principal_due_minor")),
                name="lending_principal_paid_in_range",
            ),
            models.CheckConstraint(
                condition=models.Q(interest_paid_minor__gte=0)
                & models.Q(interest_paid_minor__lte=models.F("interest_due_minor")),
                name="lending_interest_paid_in_range",
            ),
        ]

    @property
    def settled(self) -> bool:
        return (
            self.principal_paid_minor == self.principal_due_minor
            and self.interest_paid_minor == self.interest_due_minor
        )


class LoanEvent(models.Model):
    """One lending movement (the ledger transfers carry its reference); keyed, so retries replay."""

    class Kind(models.TextChoices):
        DISBURSEMENT = "disbursement"
        REPAYMENT = "repayment"
        LATE_FEE = "late_fee"
        REFUND = "refund"
        CHARGE_OFF = "charge_off"
        CANCELLATION = "cancellation"

    loan = models.ForeignKey(Loan, on_delete=models.PROTECT, related_name="events")
    kind = models.CharField(max_length=16, choices=Kind.choices)
    key = models.CharField(max_length=128, help_text="Idempotency key, unique per loan")
    amount_minor = models.BigIntegerField()
    principal_minor = models.BigIntegerField(default=0)
    interest_minor = models.BigIntegerField(default=0)
    fee_minor = models.BigIntegerField(default=0)
    surplus_minor = models.BigIntegerField(default=0, help_text="Refund beyond the debt, paid back")
    recovery_minor = models.BigIntegerField(default=0, help_text="Refund recovering written-off principal")
    payment_id = models.BigIntegerField(null=True, blank=True, help_text="finance Payment, for repayments")
    request_fingerprint = models.CharField(
        max_length=64,
        blank=True,
        help_text="SHA-256 of a keyed repayment's parameters (core.idempotency): a replay must match it.",
    )
    on_date = models.DateField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("loan event")
        verbose_name_plural = _("loan events")
        constraints = [
            models.UniqueConstraint(fields=["loan", "key"], name="lending_event_key_once"),
        ]
