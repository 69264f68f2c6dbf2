"""HTTP routes for finance (back office, staff only); thin: parse, call a service, shape the answer.

Amounts travel as decimal strings in the currency's major unit; ``*_minor`` fields give the
ledger's exact integer minor units beside them.
"""

# No `from __future__ import annotations`: django-ninja resolves Query[...] parameter types at import.

from django.http import StreamingHttpResponse
from ninja import Query, Router, Status
from ninja.pagination import paginate
from pydantic import constr

from millet.core.pagination import BoundedLimitOffset
from millet.finance import services
from millet.finance.schemas import (
    AccountFilter,
    AccountOut,
    BatchIn,
    BatchResultOut,
    JournalQuery,
    LedgerTransferIn,
    LedgerTransferOut,
    PaymentOut,
    TransferFilter,
    TrialBalanceOut,
    TrialBalanceQuery,
    TrialBalanceRowOut,
    TrialBalanceTotalOut,
)
from millet.regions.money import from_minor

router = Router(tags=["finance"])


@router.get("/accounts", response=list[AccountOut])
@paginate(BoundedLimitOffset, max_limit=500)
def list_accounts(request, filters: Query[AccountFilter]):
    return services.list_accounts(request.actor, prefix=filters.prefix, currency=filters.currency)


@router.get("/accounts/{code}", response=AccountOut)
def get_account(request, code: str):
    return services.account_detail(request.actor, code)


@router.get("/transfers", response=list[LedgerTransferOut])
@paginate(BoundedLimitOffset, max_limit=500)
def list_transfers(request, filters: Query[TransferFilter]):
    return services.list_transfers(request.actor, reference=filters.reference, account=filters.account)


@router.post("/transfers", response={201: LedgerTransferOut})
def create_transfer(request, body: LedgerTransferIn):
    """A manual (back-office) transfer; a replayed idempotency key answers with the first one."""
    return Status(201, services.post_transfer(request.actor, services.TransferDraft(**body.model_dump())))


@router.get("/payments", response=list[PaymentOut])
def list_payments(request, reference: constr(min_length=1, max_length=64)):
    return services.list_payments(request.actor, reference)


# --- batches and accountants' exports (staff) ----------------------------------------------------


@router.post("/transfers/batch", response=list[BatchResultOut])
def create_transfer_batch(request, body: BatchIn):
    """Many independent chains in one database transaction; one result per chain, in order."""
    chains = [[services.TransferDraft(**t.model_dump()) for t in chain] for chain in body.chains]
    return services.post_transfers(request.actor, chains)


CSV_ANSWER = {"text/csv": {"schema": {"type": "string", "description": "RFC 4180 CSV with a header row"}}}


@router.get(
    "/reports/trial-balance",
    response=TrialBalanceOut,
    openapi_extra={"responses": {200: {"content": CSV_ANSWER}}},  # format=csv
)
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


@router.get(
    "/reports/journal",
    openapi_extra={"responses": {200: {"description": "OK", "content": CSV_ANSWER}}},
)
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
