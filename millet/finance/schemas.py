"""The finance API's request and response types (names unique across the whole API)."""

from datetime import datetime
from decimal import Decimal
from typing import Annotated, Literal

from ninja import Field, Schema
from pydantic import constr

from millet.core.types import IsoDateTime, Money
from millet.finance.models import LedgerAccount, LedgerTransfer
from millet.regions.money import from_minor

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


class LedgerTransferOut(Schema):
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


class LedgerTransferIn(Schema):
    debit: AccountCode
    credit: AccountCode
    amount: Money
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


class BatchTransferIn(LedgerTransferIn):
    """A transfer in a batch: its amount is checked with its chain (core.types.Money's rule), so a
    malformed one fails that chain alone (``malformed_money``) and the other chains still commit."""

    amount: Annotated[str, Field(min_length=1, max_length=32, description="money, as in LedgerTransferIn")]


class BatchIn(Schema):
    chains: Annotated[
        list[Annotated[list[BatchTransferIn], Field(min_length=1, max_length=100)]],
        Field(min_length=1, max_length=1000, description="each chain commits or fails as a whole"),
    ]


class BatchResultOut(Schema):
    index: int
    ok: bool
    error: str
    detail: str
    transfers: list[LedgerTransferOut]


class TrialBalanceQuery(Schema):
    at: IsoDateTime | None = Field(None, description="ISO 8601, with a time zone; default now")
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
    start: IsoDateTime
    end: IsoDateTime
    account: constr(max_length=96) = ""
    include_pending: bool = False
