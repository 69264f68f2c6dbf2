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
    ANNUITY = ANNUITY, _("Equal installments")
    EQUAL_PRINCIPAL = EQUAL_PRINCIPAL, _("Equal principal")


class LoanProduct(models.Model):
    code = models.CharField(_("code"), max_length=32, unique=True)
    name = models.CharField(_("name"), max_length=120)
    currency = models.CharField(_("currency"), max_length=3)
    apr = models.DecimalField(
        _("APR"), max_digits=6, decimal_places=4, help_text=_("Annual rate, e.g. 0.1800")
    )
    terms = models.JSONField(_("terms"), default=list, help_text=_("Months offered, e.g. [3, 6, 12]"))
    # The late-payment terms of loans made from now on: each loan keeps its own copy (Loan.late_fee_minor,
    # grace_days, charge_off_days), so editing them here never changes a loan already made.
    late_fee = models.DecimalField(
        _("late fee"),
        max_digits=12,
        decimal_places=2,
        help_text=_("Per overdue installment, on loans made from now on"),
    )
    grace_days = models.PositiveIntegerField(
        _("grace days"),
        default=5,
        help_text=_("Days past due before the late fee, on loans made from now on"),
    )
    charge_off_days = models.PositiveIntegerField(
        _("charge-off days"),
        default=180,
        help_text=_("Days past due before charge-off, on loans made from now on"),
    )
    min_amount = models.DecimalField(_("minimum amount"), max_digits=14, decimal_places=2)
    max_amount = models.DecimalField(_("maximum amount"), max_digits=14, decimal_places=2)
    is_active = models.BooleanField(_("active"), default=True)

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
        REGISTERED = "registered", _("Registered")
        APPROVED = "approved", _("Approved")
        RETIRED = "retired", _("Retired")

    version = models.CharField(_("version"), max_length=64, unique=True)
    artifact = models.JSONField(_("artifact"), help_text=_("The scorecard as saved by millet.lending.credit"))
    metrics = models.JSONField(_("metrics"), default=dict, help_text=_("Held-out auc, gini, ks"))
    status = models.CharField(_("status"), max_length=16, choices=Status.choices, default=Status.REGISTERED)
    registered_at = models.DateTimeField(_("registered at"), auto_now_add=True)
    approved_at = models.DateTimeField(_("approved at"), null=True, blank=True)
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("approved by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
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
        APPROVE = "approve", _("Approve")
        DECLINE = "decline", _("Decline")
        REFER = "refer", _("Refer")

    class Status(models.TextChoices):
        APPROVED = "approved", _("Approved")
        DECLINED = "declined", _("Declined")
        REFERRED = "referred", _("Referred")

    number = models.CharField(_("application number"), max_length=24, unique=True)
    customer = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("customer"), on_delete=models.PROTECT, related_name="+"
    )
    # No database constraint: orders are partitioned by month on PostgreSQL (sales.models.Order);
    # the loan is written for an order that exists, and orders are never deleted under a loan.
    order = models.ForeignKey(
        "sales.Order",
        verbose_name=_("order"),
        on_delete=models.PROTECT,
        db_constraint=False,
        related_name="+",
    )
    order_number = models.CharField(
        _("order number"), max_length=24, db_index=True, help_text=_("The order's number, as on its loan")
    )
    market = models.CharField(
        _("market"), max_length=2, help_text=_("The order's market (ISO 3166-1 alpha-2 code)")
    )
    product = models.ForeignKey(LoanProduct, verbose_name=_("loan product"), on_delete=models.PROTECT)
    term_months = models.PositiveSmallIntegerField(_("term (months)"))
    method = models.CharField(_("repayment method"), max_length=16, choices=Method.choices)
    amount = models.DecimalField(_("amount"), max_digits=14, decimal_places=2)
    currency = models.CharField(_("currency"), max_length=3)
    # The terms offered when the buyer applied, as the loan will keep them (Loan's fields of the same
    # names): a referral is approved days later, and the product may be edited meanwhile, but the
    # credit agreement is the one applied for (Directive 2008/48/EC art. 5 and 10).
    apr = models.DecimalField(
        _("APR"), max_digits=6, decimal_places=4, help_text=_("Annual rate offered, e.g. 0.1800")
    )
    late_fee_minor = models.BigIntegerField(
        _("late fee (minor units)"), help_text=_("Per overdue installment offered, in minor units")
    )
    grace_days = models.PositiveIntegerField(
        _("grace days"), help_text=_("Days past due before the late fee, as offered")
    )
    charge_off_days = models.PositiveIntegerField(
        _("charge-off days"), help_text=_("Days past due before charge-off, as offered")
    )
    features = models.JSONField(
        _("features"), help_text=_("Everything the model saw: platform facts plus the form")
    )
    platform_facts = models.JSONField(
        _("platform facts"), default=dict, help_text=_("What the platform knew: orders, loans")
    )
    model = models.ForeignKey(
        CreditModel, verbose_name=_("credit model"), on_delete=models.PROTECT, related_name="applications"
    )
    outcome = models.CharField(
        _("outcome"), max_length=8, choices=Outcome.choices, help_text=_("The model's decision")
    )
    status = models.CharField(
        _("status"), max_length=16, choices=Status.choices, help_text=_("After any review")
    )
    probability_of_default = models.FloatField(_("probability of default (PD)"))
    points = models.IntegerField(_("score points"))
    reasons = models.JSONField(_("reasons"), default=list)
    decision_ms = models.FloatField(_("decision time (ms)"), help_text=_("Time the model took to decide"))
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("reviewed by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    reviewed_at = models.DateTimeField(_("reviewed at"), null=True, blank=True)
    review_note = models.CharField(
        _("review note"),
        max_length=500,
        blank=True,
        help_text=_("The risk officer's written reason for the decision"),
    )
    created_at = models.DateTimeField(_("created at"), db_index=True)

    class Meta:
        verbose_name = _("credit application")
        verbose_name_plural = _("credit applications")

    def __str__(self) -> str:
        return self.number


class Loan(models.Model):
    class Status(models.TextChoices):
        ACTIVE = "active", _("Active")
        PAID_OFF = "paid_off", _("Paid off")
        CHARGED_OFF = "charged_off", _("Charged off")
        CANCELLED = "cancelled", _("Cancelled")

    class Bucket(models.TextChoices):
        CURRENT = "current", _("Current")
        DPD_1_30 = "1-30", _("1–30 days past due")
        DPD_31_60 = "31-60", _("31–60 days past due")
        DPD_61_90 = "61-90", _("61–90 days past due")
        DPD_90_PLUS = "90+", _("90+ days past due")

    number = models.CharField(_("loan number"), max_length=24, unique=True)
    application = models.OneToOneField(
        Application, verbose_name=_("credit application"), on_delete=models.PROTECT, related_name="loan"
    )
    customer = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("customer"), on_delete=models.PROTECT, related_name="+"
    )
    product = models.ForeignKey(LoanProduct, verbose_name=_("loan product"), on_delete=models.PROTECT)
    order_number = models.CharField(_("order number"), max_length=24, db_index=True)
    currency = models.CharField(_("currency"), max_length=3)
    principal_minor = models.BigIntegerField(_("principal (minor units)"))
    apr = models.DecimalField(_("APR"), max_digits=6, decimal_places=4)
    term_months = models.PositiveSmallIntegerField(_("term (months)"))
    method = models.CharField(_("repayment method"), max_length=16, choices=Method.choices)
    # The credit agreement's charges for late payment (Directive 2008/48/EC art. 10(2)(l)), copied
    # from the product when the loan is made: the daily job charges these, whatever the product says later.
    late_fee_minor = models.BigIntegerField(
        _("late fee (minor units)"), help_text=_("Per overdue installment, in minor units")
    )
    grace_days = models.PositiveIntegerField(
        _("grace days"), help_text=_("Days past due before the late fee")
    )
    charge_off_days = models.PositiveIntegerField(
        _("charge-off days"), help_text=_("Days past due before charge-off")
    )
    status = models.CharField(_("status"), max_length=16, choices=Status.choices, default=Status.ACTIVE)
    disbursed_on = models.DateField(_("disbursed on"))
    outstanding_principal_minor = models.BigIntegerField(_("outstanding principal (minor units)"))
    fees_outstanding_minor = models.BigIntegerField(_("outstanding fees (minor units)"), default=0)
    written_off_minor = models.BigIntegerField(_("written off (minor units)"), default=0)
    recovered_minor = models.BigIntegerField(
        _("recovered (minor units)"), default=0, help_text=_("Written-off principal later recovered")
    )
    days_past_due = models.PositiveIntegerField(_("days past due"), default=0)
    bucket = models.CharField(
        _("delinquency bucket"), max_length=8, choices=Bucket.choices, default=Bucket.CURRENT
    )
    defaulted = models.BooleanField(
        _("defaulted"), default=False, help_text=_("Ever 90+ days past due: counts as a default")
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

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
    loan = models.ForeignKey(
        Loan, verbose_name=_("loan"), on_delete=models.CASCADE, related_name="installments"
    )
    seq = models.PositiveSmallIntegerField(_("installment number"))
    due_date = models.DateField(_("due date"))
    principal_due_minor = models.BigIntegerField(_("principal due (minor units)"))
    interest_due_minor = models.BigIntegerField(_("interest due (minor units)"))
    principal_paid_minor = models.BigIntegerField(_("principal paid (minor units)"), default=0)
    interest_paid_minor = models.BigIntegerField(_("interest paid (minor units)"), default=0)
    late_fee_charged = models.BooleanField(_("late fee charged"), default=False)

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
        DISBURSEMENT = "disbursement", _("Disbursement")
        REPAYMENT = "repayment", _("Repayment")
        LATE_FEE = "late_fee", _("Late fee")
        REFUND = "refund", _("Refund")
        CHARGE_OFF = "charge_off", _("Charge-off")
        CANCELLATION = "cancellation", _("Cancellation")

    loan = models.ForeignKey(Loan, verbose_name=_("loan"), on_delete=models.PROTECT, related_name="events")
    kind = models.CharField(_("kind"), max_length=16, choices=Kind.choices)
    key = models.CharField(
        _("idempotency key"), max_length=128, help_text=_("Idempotency key, unique per loan")
    )
    amount_minor = models.BigIntegerField(_("amount (minor units)"))
    principal_minor = models.BigIntegerField(_("principal (minor units)"), default=0)
    interest_minor = models.BigIntegerField(_("interest (minor units)"), default=0)
    fee_minor = models.BigIntegerField(_("fees (minor units)"), default=0)
    surplus_minor = models.BigIntegerField(
        _("surplus (minor units)"), default=0, help_text=_("Refund beyond the debt, paid back")
    )
    recovery_minor = models.BigIntegerField(
        _("recovery (minor units)"), default=0, help_text=_("Refund recovering written-off principal")
    )
    payment_id = models.BigIntegerField(
        _("payment ID"), null=True, blank=True, help_text=_("finance Payment, for repayments")
    )
    request_fingerprint = models.CharField(
        _("request fingerprint"),
        max_length=64,
        blank=True,
        help_text=_("SHA-256 of a keyed repayment's parameters (core.idempotency): a replay must match it."),
    )
    on_date = models.DateField(_("date"))
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("loan event")
        verbose_name_plural = _("loan events")
        constraints = [
            models.UniqueConstraint(fields=["loan", "key"], name="lending_event_key_once"),
        ]
