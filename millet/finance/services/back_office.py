"""The books as the back office sees them: accounts, transfers, payments, reports and manual
transfers. Every verb here is for staff and checks the actor itself; other domains book through
their own verbs (``book_sale``, payments) and never through these.

Manual amounts arrive as decimal strings and are parsed once, straight into the integer minor
units the ledger books.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime

from django.db.models import QuerySet

from millet.accounts.actor import Actor
from millet.core.errors import DomainError
from millet.finance.models import LedgerAccount, LedgerTransfer, Payment
from millet.finance.services.exports import TrialBalance, journal, trial_balance
from millet.finance.services.ledger import BatchResult, TransferSpec, create_transfers, submit_batch
from millet.finance.services.ledger_accounts import get_account, side_is
from millet.finance.services.payments import payments_for
from millet.regions.money import parse_minor


@dataclass(frozen=True)
class TransferDraft:
    """A transfer as a person asks for it: the amount in the currency's major unit, e.g. "12.50"."""

    debit: str
    credit: str
    amount: str
    currency: str
    code: str
    reference: str
    idempotency_key: str


def list_accounts(actor: Actor, *, prefix: str = "", currency: str = "") -> QuerySet[LedgerAccount]:
    actor.require_staff()
    accounts = LedgerAccount.objects.order_by("code")
    if prefix:
        accounts = accounts.filter(code__startswith=prefix)
    if currency:
        accounts = accounts.filter(currency=currency)
    return accounts


def account_detail(actor: Actor, code: str) -> LedgerAccount:
    actor.require_staff()
    return get_account(code)


def list_transfers(actor: Actor, *, reference: str = "", account: str = "") -> QuerySet[LedgerTransfer]:
    """Newest first; ``account`` matches either side of the transfer."""
    actor.require_staff()
    transfers = LedgerTransfer.objects.select_related("debit_account", "credit_account").order_by("-id")
    if reference:
        transfers = transfers.filter(reference=reference)
    if account:
        transfers = transfers.filter(side_is("debit_account", account) | side_is("credit_account", account))
    return transfers


def _spec(draft: TransferDraft) -> TransferSpec:
    return TransferSpec(
        debit=draft.debit,
        credit=draft.credit,
        amount=parse_minor(draft.amount, draft.currency),
        currency=draft.currency,
        code=draft.code,
        reference=draft.reference,
        idempotency_key=draft.idempotency_key,
    )


def post_transfer(actor: Actor, draft: TransferDraft) -> LedgerTransfer:
    """A manual transfer; a replayed idempotency key answers with the first one."""
    actor.require_staff()
    (transfer,) = create_transfers([_spec(draft)])
    return transfer


def post_transfers(actor: Actor, chains: Sequence[Sequence[TransferDraft]]) -> list[BatchResult]:
    """Many independent chains in one database transaction; one result per chain, in order.

    A malformed amount refuses its own chain, like any other refusal, and not the batch.
    """
    actor.require_staff()
    results: dict[int, BatchResult] = {}
    parsed: list[tuple[int, list[TransferSpec]]] = []
    for index, chain in enumerate(chains):
        try:
            parsed.append((index, [_spec(draft) for draft in chain]))
        except DomainError as exc:
            results[index] = BatchResult(index, [], exc.code, exc.status_code, exc.detail, exc)
    for (index, _), result in zip(parsed, submit_batch([specs for _, specs in parsed]), strict=True):
        result.index = index
        results[index] = result
    return [results[index] for index in range(len(chains))]


def list_payments(actor: Actor, reference: str) -> list[Payment]:
    actor.require_staff()
    return payments_for(reference)


def report_trial_balance(actor: Actor, at: datetime | None = None, *, currency: str = "") -> TrialBalance:
    actor.require_staff()
    return trial_balance(at, currency=currency)


def report_journal(
    actor: Actor, start: datetime, end: datetime, *, account: str = "", include_pending: bool = False
) -> Iterator[LedgerTransfer]:
    actor.require_staff()
    return journal(start, end, account=account, include_pending=include_pending)
