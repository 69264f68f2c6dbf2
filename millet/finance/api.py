"""HTTP routes for finance (back office, staff only); thin: parse, call a service, shape the answer.

Amounts travel as decimal strings in the currency's major unit; ``*_minor`` fields give the
ledger's exact integer minor units beside them.
"""

# No `from __future__ import annotations`: django-ninja resolves Query[...] parameter types at import.
from datetime import datetime
from decimal import Decimal
from typing import Annotated, Literal

from django.http import StreamingHttpResponse
from ninja import Field, Query, Router, Schema, Status
from ninja.pagination import LimitOffsetPagination, paginate
from pydantic import constr

from millet.finance import services
from millet.finance.models import LedgerAccount, LedgerTransfer
from millet.regions.money import from_minor

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
    return services.list_accounts(request.actor, prefix=filters.prefix, currency=filters.currency)


@router.get("/accounts/{code}", response=AccountOut)
def get_account(request, code: str):
    return services.account_detail(request.actor, code)


@router.get("/transfers", response=list[TransferOut])
@paginate(LimitOffsetPagination, max_limit=500)
def list_transfers(request, filters: Query[TransferFilter]):
    return services.list_transfers(request.actor, reference=filters.reference, account=filters.account)


@router.post("/transfers", response={201: TransferOut})
def create_transfer(request, body: TransferIn):
    """A manual (back-office) transfer; a replayed idempotency key answers with the first one."""
    return Status(201, services.post_transfer(request.actor, services.TransferDraft(**body.model_dump())))


@router.get("/payments", response=list[PaymentOut])
def list_payments(request, reference: constr(min_length=1, max_length=64)):
    return services.list_payments(request.actor, reference)


# --- batches and accountants' exports (staff) ----------------------------------------------------


class BatchIn(Schema):
    chains: Annotated[
        list[Annotated[list[TransferIn], Field(min_length=1, max_length=100)]],
        Field(min_length=1, max_length=1000, description="each chain commits or fails as a whole"),
    ]


class BatchResultOut(Schema):
    index: int
    ok: bool
    error: str
    detail: str
    transfers: list[TransferOut]


@router.post("/transfers/batch", response=list[BatchResultOut])
def create_transfer_batch(request, body: BatchIn):
    """Many independent chains in one database transaction; one result per chain, in order."""
    chains = [[services.TransferDraft(**t.model_dump()) for t in chain] for chain in body.chains]
    return services.post_transfers(request.actor, chains)


class TrialBalanceQuery(Schema):
    at: datetime | None = Field(None, description="with a time zone; default now")
    currency: constr(pattern=r"^([A-Z]{3})?$") = ""
    format: Literal["json", "csv"] = "json"


class TrialBalanceRowOut(Schema):
    account: str
    name: str
    kind: str
    currency: str
    debit: Decimal
    credit: Decimal
    debit_minor: int
    credit_minor: int


class TrialBalanceTotalOut(Schema):
    currency: str
    debit_minor: int
    credit_minor: int


class TrialBalanceOut(Schema):
    at: datetime
    rows: list[TrialBalanceRowOut]
    totals: list[TrialBalanceTotalOut]


class JournalQuery(Schema):
    start: datetime
    end: datetime
    account: constr(max_length=96) = ""
    include_pending: bool = False


@router.get("/reports/trial-balance", response=TrialBalanceOut)
def trial_balance(request, query: Query[TrialBalanceQuery]):
    """Posted balances of every account as they stood at ``at``; CSV with ``format=csv``."""
    balance = services.report_trial_balance(request.actor, query.at, currency=query.currency)
    if query.format == "csv":
        return _csv(services.trial_balance_csv(balance), f"trial-balance-{balance.at:%Y%m%dT%H%M%S}.csv")
    return TrialBalanceOut(
        at=balance.at,
        rows=[
            TrialBalanceRowOut(
                account=row.code,
                name=row.name,
                kind=row.kind,
                currency=row.currency,
                debit=from_minor(row.debit_balance, row.currency),
                credit=from_minor(row.credit_balance, row.currency),
                debit_minor=row.debit_balance,
                credit_minor=row.credit_balance,
            )
            for row in balance.rows
        ],
        totals=[
            TrialBalanceTotalOut(currency=currency, debit_minor=d, credit_minor=c)
            for currency, (d, c) in balance.totals().items()
        ],
    )


@router.get("/reports/journal")
def journal(request, query: Query[JournalQuery]):
    """The posted transfers of ``[start, end)`` as CSV, streamed however long the period."""
    transfers = services.report_journal(
        request.actor, query.start, query.end, account=query.account, include_pending=query.include_pending
    )
    return _csv(services.journal_csv(transfers), f"journal-{query.start:%Y%m%d}-{query.end:%Y%m%d}.csv")


def _csv(lines, filename: str) -> StreamingHttpResponse:
    response = StreamingHttpResponse(lines, content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response
