"""A double-entry ledger in integer minor units, and payments on it.

Modelled on TigerBeetle's data model: every transfer moves one amount from one debit account to one
credit account, so it balances by construction; multi-leg entries are *linked* transfers that commit
or fail together. Account balances are running sums kept in the same transaction as the transfer,
so a balance read is one row, however many transfers exist. Transfers are immutable (save/delete
refuse, and a database trigger refuses UPDATE/DELETE).

On PostgreSQL ``finance_ledgertransfer`` is partitioned by month on ``created_at`` (migration 0007,
millet.core.partitions): its primary key there is (id, created_at), and PostgreSQL allows neither a
unique key without ``created_at`` nor a foreign key into it. So the two rules that were unique keys
live in small unpartitioned tables the ledger writes in the same transaction as the transfers
(``ledger_storage``): ``LedgerKey`` (an idempotency key is used once) and ``LedgerResolution`` (a
pending transfer is resolved once). Foreign keys to a transfer are ``db_constraint=False``.
"""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class LedgerAccount(models.Model):
    class Kind(models.TextChoices):
        ASSET = "asset", _("Asset")
        LIABILITY = "liability", _("Liability")
        EQUITY = "equity", _("Equity")
        REVENUE = "revenue", _("Revenue")
        EXPENSE = "expense", _("Expense")

    code = models.CharField(
        verbose_name=_("code"), max_length=96, unique=True, help_text=_("e.g. revenue:store:SH-001:CNY")
    )
    name = models.CharField(verbose_name=_("name"), max_length=160, blank=True)
    currency = models.CharField(verbose_name=_("currency"), max_length=3)
    kind = models.CharField(verbose_name=_("account type"), max_length=16, choices=Kind.choices)
    # Balance limits, TigerBeetle-style: refuse any transfer that would break them.
    debits_must_not_exceed_credits = models.BooleanField(
        verbose_name=_("debits must not exceed credits"), default=False
    )
    credits_must_not_exceed_debits = models.BooleanField(
        verbose_name=_("credits must not exceed debits"), default=False
    )
    debits_pending = models.BigIntegerField(verbose_name=_("pending debits"), default=0)
    debits_posted = models.BigIntegerField(verbose_name=_("posted debits"), default=0)
    credits_pending = models.BigIntegerField(verbose_name=_("pending credits"), default=0)
    credits_posted = models.BigIntegerField(verbose_name=_("posted credits"), default=0)
    created_at = models.DateTimeField(verbose_name=_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("ledger account")
        verbose_name_plural = _("ledger accounts")
        constraints = [
            models.CheckConstraint(
                condition=~models.Q(debits_must_not_exceed_credits=True)
                | models.Q(debits_posted__lte=models.F("credits_posted") - models.F("debits_pending")),
                name="ledger_debits_within_credits",
            ),
            models.CheckConstraint(
                condition=~models.Q(credits_must_not_exceed_debits=True)
                | models.Q(credits_posted__lte=models.F("debits_posted") - models.F("credits_pending")),
                name="ledger_credits_within_debits",
            ),
        ]

    def __str__(self) -> str:
        return self.code


class ImmutableQuerySet(models.QuerySet):
    """Bulk ``update()``/``delete()`` would bypass the model's refusal; refuse them here too."""

    def update(self, **kwargs):
        raise ValueError("ledger transfers are immutable; correct with a new transfer")

    def delete(self):
        raise ValueError("ledger transfers are immutable; correct with a new transfer")


class LedgerTransfer(models.Model):
    class Kind(models.TextChoices):
        SINGLE = "single", _("Single-phase (posted)")
        PENDING = "pending", _("Pending (two-phase, phase one)")
        POST_PENDING = "post_pending", _("Post a pending transfer")
        VOID_PENDING = "void_pending", _("Void a pending transfer")

    idempotency_key = models.CharField(
        verbose_name=_("idempotency key"),
        max_length=128,
        null=True,
        blank=True,
        help_text=_("Unique through LedgerKey, which indexes it."),
    )
    debit_account = models.ForeignKey(
        LedgerAccount, verbose_name=_("debit account"), on_delete=models.PROTECT, related_name="debits"
    )
    credit_account = models.ForeignKey(
        LedgerAccount, verbose_name=_("credit account"), on_delete=models.PROTECT, related_name="credits"
    )
    amount = models.BigIntegerField(
        verbose_name=_("amount"), help_text=_("Minor units of the accounts' currency.")
    )
    currency = models.CharField(verbose_name=_("currency"), max_length=3)
    kind = models.CharField(
        verbose_name=_("transfer type"), max_length=16, choices=Kind.choices, default=Kind.SINGLE
    )
    # No database constraint: a partitioned table cannot be referenced. The ledger writes both
    # transfers in its own transactions and never deletes one; LedgerResolution keeps "once".
    pending = models.ForeignKey(
        "self",
        verbose_name=_("pending transfer"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        db_constraint=False,
        related_name="resolution",
        help_text=_("For post/void: the pending transfer it resolves (once: see LedgerResolution)."),
    )
    pending_expires_at = models.DateTimeField(verbose_name=_("pending until"), null=True, blank=True)
    batch = models.UUIDField(
        verbose_name=_("transfer batch"),
        null=True,
        blank=True,
        db_index=True,
        help_text=_("Linked transfers share a batch."),
    )
    code = models.CharField(
        verbose_name=_("code"),
        max_length=32,
        help_text=_("What the money is for: payment, revenue, tax, refund, ..."),
    )
    reference = models.CharField(
        verbose_name=_("reference"),
        max_length=64,
        blank=True,
        db_index=True,
        help_text=_("e.g. the order number"),
    )
    created_at = models.DateTimeField(verbose_name=_("created at"), auto_now_add=True, db_index=True)
    booked_on = models.DateField(
        verbose_name=_("booked on"),
        null=True,
        blank=True,
        help_text=_(
            "The business day the transfer belongs to, when it is posted later (a store's daily "
            "takings); empty means the UTC day of created_at."
        ),
    )

    objects = ImmutableQuerySet.as_manager()

    class Meta:
        verbose_name = _("ledger transfer")
        verbose_name_plural = _("ledger transfers")
        constraints = [
            models.CheckConstraint(condition=models.Q(amount__gt=0), name="ledger_transfer_amount_positive"),
            models.CheckConstraint(
                condition=~models.Q(debit_account=models.F("credit_account")),
                name="ledger_transfer_distinct_accounts",
            ),
        ]

    def __str__(self) -> str:
        return f"#{self.pk} {self.amount} {self.currency} {self.code} {self.reference}"

    def save(self, *args, **kwargs) -> None:
        if self.pk is not None and not self._state.adding:
            raise ValueError("ledger transfers are immutable; correct with a new transfer")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise ValueError("ledger transfers are immutable; correct with a new transfer")


class LedgerKey(models.Model):
    """An idempotency key of a ledger transfer, used once: the unique key the partitioned transfer
    table cannot hold. Written with its transfer, in the same transaction (``ledger_storage``); the
    transfer's creation time lets a replay read it from its own month's partition."""

    idempotency_key = models.CharField(verbose_name=_("idempotency key"), max_length=128, primary_key=True)
    transfer = models.ForeignKey(
        LedgerTransfer,
        verbose_name=_("transfer"),
        on_delete=models.PROTECT,
        db_constraint=False,
        db_index=False,
        related_name="+",
    )  # no database constraint: the transfer table is partitioned; written with it, never deleted
    transfer_created_at = models.DateTimeField(verbose_name=_("transfer created at"))

    class Meta:
        verbose_name = _("ledger idempotency key")
        verbose_name_plural = _("ledger idempotency keys")

    def __str__(self) -> str:
        return self.idempotency_key


class LedgerResolution(models.Model):
    """A pending transfer resolved (posted or voided), once: the primary key is the pending
    transfer's id. Written with the resolving transfer, in the same transaction (``ledger_storage``)."""

    pending_id = models.BigIntegerField(verbose_name=_("pending transfer ID"), primary_key=True)
    transfer = models.ForeignKey(
        LedgerTransfer,
        verbose_name=_("resolving transfer"),
        on_delete=models.PROTECT,
        db_constraint=False,
        db_index=False,
        related_name="+",
    )  # no database constraint, as LedgerKey.transfer

    class Meta:
        verbose_name = _("ledger resolution")
        verbose_name_plural = _("ledger resolutions")

    def __str__(self) -> str:
        return f"{self.pending_id} -> {self.transfer_id}"


class Payment(models.Model):
    """A customer's payment for an order, held at a gateway and mirrored on the ledger."""

    class Status(models.TextChoices):
        AUTHORIZED = "authorized", _("Authorized")
        CAPTURED = "captured", _("Captured")
        PARTIALLY_REFUNDED = "partially_refunded", _("Partially refunded")
        REFUNDED = "refunded", _("Refunded")
        VOIDED = "voided", _("Voided")
        DECLINED = "declined", _("Declined")

    reference = models.CharField(
        verbose_name=_("reference"), max_length=64, db_index=True, help_text=_("Order number")
    )
    gateway = models.CharField(verbose_name=_("gateway"), max_length=32)
    gateway_reference = models.CharField(verbose_name=_("gateway reference"), max_length=64, blank=True)
    currency = models.CharField(verbose_name=_("currency"), max_length=3)
    amount = models.DecimalField(verbose_name=_("amount"), max_digits=14, decimal_places=2)
    captured = models.DecimalField(verbose_name=_("captured"), max_digits=14, decimal_places=2, default=0)
    refunded = models.DecimalField(verbose_name=_("refunded"), max_digits=14, decimal_places=2, default=0)
    status = models.CharField(verbose_name=_("status"), max_length=24, choices=Status.choices)
    decline_reason = models.CharField(
        verbose_name=_("decline reason"),
        max_length=64,
        blank=True,
        help_text=_("The gateway's reason, when declined."),
    )
    idempotency_key = models.CharField(
        verbose_name=_("idempotency key"),
        max_length=128,
        unique=True,
        null=True,
        blank=True,
        help_text=_("Makes a retried authorization a replay."),
    )
    request_fingerprint = models.CharField(
        verbose_name=_("request fingerprint"),
        max_length=64,
        blank=True,
        help_text=_("SHA-256 of a keyed authorization's parameters (core.idempotency): a replay must match."),
    )
    # No database constraint: ledger transfers are partitioned by month on PostgreSQL. The payments
    # service sets it to the transfer it has just created, and transfers are never deleted.
    authorization = models.ForeignKey(
        LedgerTransfer,
        verbose_name=_("authorization"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        db_constraint=False,
        related_name="+",
    )
    created_at = models.DateTimeField(verbose_name=_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("payment")
        verbose_name_plural = _("payments")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(captured__lte=models.F("amount")), name="payment_capture_le_amount"
            ),
            models.CheckConstraint(
                condition=models.Q(refunded__lte=models.F("captured")), name="payment_refund_le_capture"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.reference} {self.amount} {self.currency} ({self.status})"
