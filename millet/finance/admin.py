"""Back-office views of the ledger: read-only, because balances and transfers change only through
the ledger services (a hand-edited balance would no longer equal the sum of its transfers)."""

from __future__ import annotations

from django.contrib import admin

from millet.core.admin import ReadOnlyAdmin
from millet.finance.models import LedgerAccount, LedgerTransfer, Payment


@admin.register(LedgerAccount)
class LedgerAccountAdmin(ReadOnlyAdmin):
    list_display = (
        "code",
        "name",
        "kind",
        "currency",
        "debits_posted",
        "credits_posted",
        "debits_pending",
        "credits_pending",
    )
    list_filter = ("kind", "currency", "debits_must_not_exceed_credits", "credits_must_not_exceed_debits")
    search_fields = ("code", "name")


@admin.register(LedgerTransfer)
class LedgerTransferAdmin(ReadOnlyAdmin):
    list_display = (
        "id",
        "created_at",
        "kind",
        "debit_account",
        "credit_account",
        "amount",
        "currency",
        "code",
        "reference",
    )
    list_filter = ("kind", "currency", "code")
    search_fields = ("reference", "idempotency_key", "debit_account__code", "credit_account__code")
    list_select_related = ("debit_account", "credit_account")
    date_hierarchy = "created_at"


@admin.register(Payment)
class PaymentAdmin(ReadOnlyAdmin):
    list_display = (
        "id",
        "reference",
        "status",
        "amount",
        "captured",
        "refunded",
        "currency",
        "gateway",
        "created_at",
    )
    list_filter = ("status", "gateway", "currency")
    search_fields = ("reference", "gateway_reference", "idempotency_key")
    date_hierarchy = "created_at"
