"""HTTP routes for finance (back office, staff only); thin: parse, call a service, shape the answer.

Amounts travel as decimal strings in the currency's major unit; ``*_minor`` fields give the
ledger's exact integer minor units beside them.
"""

# No `from __future__ import annotations`: django-ninja resolves Query[...] parameter types at import.
from datetime import datetime
from decimal import Decimal

from ninja import Field, Query, Router, Schema, Status
from ninja.pagination import LimitOffsetPagination, paginate
from pydantic import constr

from millet.finance import ledger
from millet.finance.models import LedgerAccount, LedgerTransfer
from millet.finance.payments import payments_for
from millet.regions.money import from_minor, parse_amount, to_minor

router = Router(tags=["finance"])

Currency = constr(pattern=r"^[A-Z]{3}$")
AccountCode = constr(min_length=1, max_length=96)


class AccountOut(Schema):
    code: str
    name: str
    currency: str
    kind: str
    debits_must_not_exceed_credits: bool
    credits_must_not_exceed_debits: bool
    debits_posted: int
    credits_posted: int
    debits_pending: int
    credits_pending: int
    net_posted: str = Field(description="debits_posted - credits_posted, as a decimal string")

    @staticmethod
    def resolve_net_posted(account: LedgerAccount) -> str:
        return str(from_minor(account.debits_posted - account.credits_posted, account.currency))


class AccountFilter(Schema):
    prefix: constr(max_length=96) = ""
    currency: constr(pattern=r"^([A-Z]{3})?$") = ""


class TransferOut(Schema):
    id: int
    debit: str
    credit: str
    amount: str
    amount_minor: int
    currency: str
    kind: str
    code: str
    reference: str
    pending_id: int | None
    pending_expires_at: datetime | None
    batch: str | None
    idempotency_key: str | None
    created_at: datetime

    @staticmethod
    def resolve_debit(transfer: LedgerTransfer) -> str:
        return transfer.debit_account.code

    @staticmethod
    def resolve_credit(transfer: LedgerTransfer) -> str:
        return transfer.credit_account.code

    @staticmethod
    def resolve_amount(transfer: LedgerTransfer) -> str:
        return str(from_minor(transfer.amount, transfer.currency))

    @staticmethod
    def resolve_amount_minor(transfer: LedgerTransfer) -> int:
        return transfer.amount

    @staticmethod
    def resolve_batch(transfer: LedgerTransfer) -> str | None:
        return str(transfer.batch) if transfer.batch else None


class TransferFilter(Schema):
    reference: constr(max_length=64) = ""
    account: constr(max_length=96) = ""


class TransferIn(Schema):
    debit: AccountCode
    credit: AccountCode
    amount: constr(min_length=1, max_length=32) = Field(description="decimal string, e.g. '12.50'")
    currency: Currency
    code: constr(min_length=1, max_length=32) = "adjustment"
    reference: constr(max_length=64) = ""
    idempotency_key: constr(min_length=1, max_length=128)


class PaymentOut(Schema):
    id: int
    reference: str
    gateway: str
    gateway_reference: str
    currency: str
    amount: Decimal
    captured: Decimal
    refunded: Decimal
    status: str
    decline_reason: str
    created_at: datetime


@router.get("/accounts", response=list[AccountOut])
@paginate(LimitOffsetPagination, max_limit=500)
def list_accounts(request, filters: Query[AccountFilter]):
    request.actor.require_staff()
    return ledger.list_accounts(prefix=filters.prefix, currency=filters.currency)


@router.get("/accounts/{code}", response=AccountOut)
def get_account(request, code: str):
    request.actor.require_staff()
    return ledger.get_account(code)


@router.get("/transfers", response=list[TransferOut])
@paginate(LimitOffsetPagination, max_limit=500)
def list_transfers(request, filters: Query[TransferFilter]):
    request.actor.require_staff()
    return ledger.transfers_for(reference=filters.reference, account=filters.account)


@router.post("/transfers", response={201: TransferOut})
def create_transfer(request, body: TransferIn):
    """A manual (back-office) transfer; a replayed idempotency key answers with the first one."""
    request.actor.require_staff()
    amount = to_minor(parse_amount(body.amount, body.currency), body.currency)
    spec = ledger.TransferSpec(
        debit=body.debit,
        credit=body.credit,
        amount=amount,
        currency=body.currency,
        code=body.code,
        reference=body.reference,
        idempotency_key=body.idempotency_key,
    )
    (transfer,) = ledger.create_transfers([spec])
    return Status(201, transfer)


@router.get("/payments", response=list[PaymentOut])
def list_payments(request, reference: constr(min_length=1, max_length=64)):
    request.actor.require_staff()
    return payments_for(reference)
