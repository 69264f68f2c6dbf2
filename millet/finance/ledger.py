"""The ledger's write path: linked, idempotent, limit-checked transfers in integer minor units.

Follows TigerBeetle's rules: a batch of transfers is *linked* (all commit or none), every transfer
may carry an idempotency key (a replay returns the stored transfer and changes nothing), pending
transfers reserve an amount until they are posted (fully or partly) or voided, and balance limits
refuse any batch that would leave an account over them. Limits are checked on a batch's net effect:
the batch commits atomically, so no reader can see the state between two of its legs.

Balances are never read, changed in Python and written back: each touched account gets one
conditional ``UPDATE ... SET col = col + delta WHERE <limits still hold>``, issued in ascending
account id so concurrent batches take row locks in the same order and cannot deadlock.
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import timedelta

from django.db import IntegrityError, connection, transaction
from django.db.models import F, Q, QuerySet, Sum
from django.utils import timezone

from millet.core.errors import Conflict, NotFound, Unprocessable
from millet.finance.models import LedgerAccount, LedgerTransfer
from millet.regions.money import currency_exponent

MAX_MINOR_AMOUNT = 2**62  # keeps every running sum far inside a 64-bit column
Kind = LedgerTransfer.Kind


@dataclass(frozen=True)
class TransferSpec:
    """One transfer to create; the fields mirror ``LedgerTransfer`` (accounts by code)."""

    debit: str
    credit: str
    amount: int
    currency: str
    code: str
    reference: str = ""
    idempotency_key: str | None = None
    pending: bool = False
    pending_timeout_seconds: int | None = None


@dataclass(frozen=True)
class PostPending:
    """Post a pending transfer (``amount`` None posts all of it); may be linked with other specs."""

    pending_id: int
    amount: int | None = None
    idempotency_key: str | None = None


@dataclass(frozen=True)
class VoidPending:
    """Release a pending transfer's reservation; may be linked with other specs."""

    pending_id: int
    idempotency_key: str | None = None


Entry = TransferSpec | PostPending | VoidPending


@dataclass(frozen=True)
class AccountBalance:
    currency: str
    debits_posted: int
    credits_posted: int
    debits_pending: int
    credits_pending: int


# Committed accounts by code. An account's identity, currency, kind and limits never change and an
# account with transfers cannot be deleted, so every checkout need not read the same rows again.
# Filled only after commit, so a rolled-back account is never remembered. Balances are not cached.
_committed_accounts: dict[str, LedgerAccount] = {}


def _remember(accounts: Sequence[LedgerAccount]) -> None:
    transaction.on_commit(lambda: _committed_accounts.update({a.code: a for a in accounts}))


def forget_accounts() -> None:
    """Drop the account cache (tests that roll back or flush the database call this)."""
    _committed_accounts.clear()


def ensure_account(
    code: str,
    currency: str,
    kind: str,
    *,
    name: str = "",
    debits_must_not_exceed_credits: bool = False,
    credits_must_not_exceed_debits: bool = False,
) -> LedgerAccount:
    """Get or create an account; an existing one must agree on currency, kind and limits.

    ``get_or_create`` inserts inside a savepoint and, when a concurrent caller won the insert,
    reads that caller's row, so it is race-safe on PostgreSQL's unique index.
    """
    if not code or len(code) > LedgerAccount._meta.get_field("code").max_length:
        raise Unprocessable(f"account code {code!r} must be 1-96 characters", code="invalid_account_code")
    if kind not in LedgerAccount.Kind.values:
        raise Unprocessable(f"unknown account kind {kind!r}", code="invalid_account_kind")
    if debits_must_not_exceed_credits and credits_must_not_exceed_debits:
        raise Unprocessable("an account can hold at most one balance limit", code="invalid_account_limits")
    currency_exponent(currency)  # refuses unknown currencies
    wanted = {
        "currency": currency,
        "kind": kind,
        "debits_must_not_exceed_credits": debits_must_not_exceed_credits,
        "credits_must_not_exceed_debits": credits_must_not_exceed_debits,
    }
    account = _committed_accounts.get(code)
    if account is None:
        account, _ = LedgerAccount.objects.get_or_create(code=code, defaults={**wanted, "name": name})
        _remember([account])
    differing = [field for field, value in wanted.items() if getattr(account, field) != value]
    if differing:
        raise Conflict(
            f"account {code} exists with different {', '.join(differing)}", code="account_mismatch"
        )
    return account


def get_account(code: str) -> LedgerAccount:
    account = LedgerAccount.objects.filter(code=code).first()
    if account is None:
        raise NotFound(f"unknown ledger account {code!r}", code="unknown_account")
    return account


def balance(code: str) -> AccountBalance:
    account = get_account(code)
    return AccountBalance(
        currency=account.currency,
        debits_posted=account.debits_posted,
        credits_posted=account.credits_posted,
        debits_pending=account.debits_pending,
        credits_pending=account.credits_pending,
    )


def balances(codes: Sequence[str]) -> dict[str, AccountBalance]:
    """Balances of many accounts in one query; accounts that do not exist yet are simply absent."""
    return {
        account.code: AccountBalance(
            currency=account.currency,
            debits_posted=account.debits_posted,
            credits_posted=account.credits_posted,
            debits_pending=account.debits_pending,
            credits_pending=account.credits_pending,
        )
        for account in LedgerAccount.objects.filter(code__in=list(codes))
    }


def total_balance_check() -> int:
    """Sum of (debits - credits) posted over all accounts: double entry keeps it at zero."""
    total = LedgerAccount.objects.aggregate(total=Sum(F("debits_posted") - F("credits_posted")))["total"]
    return total or 0


def list_accounts(*, prefix: str = "", currency: str = "") -> QuerySet[LedgerAccount]:
    accounts = LedgerAccount.objects.order_by("code")
    if prefix:
        accounts = accounts.filter(code__startswith=prefix)
    if currency:
        accounts = accounts.filter(currency=currency)
    return accounts


def transfers_for(*, reference: str = "", account: str = "") -> QuerySet[LedgerTransfer]:
    """Newest first; ``account`` matches either side of the transfer."""
    transfers = LedgerTransfer.objects.select_related("debit_account", "credit_account").order_by("-id")
    if reference:
        transfers = transfers.filter(reference=reference)
    if account:
        transfers = transfers.filter(Q(debit_account__code=account) | Q(credit_account__code=account))
    return transfers


def create_transfers(specs: Sequence[Entry]) -> list[LedgerTransfer]:
    """Commit all entries as one linked batch and return their transfers in order.

    Accepts ``TransferSpec`` plus ``PostPending``/``VoidPending`` so a resolution can be linked
    with the transfers that depend on it (capturing a payment posts its authorization and moves
    the money on, or does neither).
    """
    if not specs:
        return []
    for spec in specs:
        _validate(spec)
    keys = [spec.idempotency_key for spec in specs if spec.idempotency_key is not None]
    if len(keys) != len(set(keys)):
        raise Unprocessable("an idempotency key appears twice in one batch", code="duplicate_idempotency_key")
    try:
        with transaction.atomic():
            return _commit(specs)
    except IntegrityError:
        # A concurrent batch inserted one of our idempotency keys (or resolved our pending transfer)
        # between our check and our insert; ours rolled back. Answer as if we had come second.
        with transaction.atomic():
            return _commit(specs)


def post_pending(
    pending_id: int, *, amount: int | None = None, idempotency_key: str | None = None
) -> LedgerTransfer:
    return create_transfers([PostPending(pending_id, amount, idempotency_key)])[0]


def void_pending(pending_id: int, *, idempotency_key: str | None = None) -> LedgerTransfer:
    return create_transfers([VoidPending(pending_id, idempotency_key)])[0]


def expire_pending_transfers(*, now=None) -> int:
    """Job: void every unresolved pending transfer past its timeout, releasing its reservation."""
    now = now or timezone.now()
    expired = LedgerTransfer.objects.filter(
        kind=Kind.PENDING, pending_expires_at__lte=now, resolution__isnull=True
    ).values_list("id", flat=True)
    voided = 0
    for pending_id in expired.iterator():
        try:
            void_pending(pending_id)
        except Conflict:
            continue  # resolved concurrently since we listed it
        voided += 1
    return voided


def _validate(spec: Entry) -> None:
    key = spec.idempotency_key
    if key is not None and not 0 < len(key) <= 128:
        raise Unprocessable("idempotency key must be 1-128 characters", code="invalid_idempotency_key")
    amount = getattr(spec, "amount", None)
    if amount is not None and (type(amount) is not int or not 0 < amount < MAX_MINOR_AMOUNT):
        raise Unprocessable(
            f"amount must be a positive integer of minor units, got {amount!r}", code="invalid_amount"
        )
    if not isinstance(spec, TransferSpec):
        return
    if spec.debit == spec.credit:
        raise Unprocessable("debit and credit accounts must differ", code="same_account")
    if not 0 < len(spec.code) <= 32 or len(spec.reference) > 64:
        raise Unprocessable("code must be 1-32 and reference at most 64 characters", code="invalid_transfer")
    timeout = spec.pending_timeout_seconds
    if timeout is not None and (not spec.pending or type(timeout) is not int or timeout <= 0):
        raise Unprocessable("a timeout needs a pending transfer and positive seconds", code="invalid_timeout")


@dataclass
class _Delta:
    debits_pending: int = 0
    debits_posted: int = 0
    credits_pending: int = 0
    credits_posted: int = 0


def _commit(specs: Sequence[Entry]) -> list[LedgerTransfer]:
    pendings, resolved = _lock_pendings(specs)
    stored = _stored_by_key(specs)  # read after the locks, so it sees what a lock holder committed
    accounts = _accounts_by_code(specs)
    now = timezone.now()
    batch = uuid.uuid4()
    results: list[LedgerTransfer | None] = []
    new: list[LedgerTransfer] = []
    deltas: dict[int, _Delta] = defaultdict(_Delta)
    for spec in specs:
        transfer = _build(spec, accounts, pendings, now, batch)
        previous = stored.get(spec.idempotency_key) if spec.idempotency_key else None
        if previous is not None:
            _require_same(previous, transfer)
            results.append(previous)
            continue
        if isinstance(spec, PostPending | VoidPending):
            _require_unresolved(
                pendings[spec.pending_id], resolved, posting=isinstance(spec, PostPending), now=now
            )
            resolved.add(spec.pending_id)
        _accumulate(deltas, transfer, pendings.get(transfer.pending_id))
        new.append(transfer)
        results.append(None)
    _apply(deltas)
    created = iter(LedgerTransfer.objects.bulk_create(new))
    return [result if result is not None else next(created) for result in results]


def _stored_by_key(specs: Sequence[Entry]) -> dict[str, LedgerTransfer]:
    keys = [spec.idempotency_key for spec in specs if spec.idempotency_key]
    if not keys:
        return {}
    return {t.idempotency_key: t for t in LedgerTransfer.objects.filter(idempotency_key__in=keys)}


def _lock_pendings(specs: Sequence[Entry]) -> tuple[dict[int, LedgerTransfer], set[int]]:
    """Lock the pending transfers being resolved (id order) so two resolvers queue; return them and
    the ids already resolved, read after the lock so the first resolver's commit is seen."""
    ids = sorted({spec.pending_id for spec in specs if isinstance(spec, PostPending | VoidPending)})
    if not ids:
        return {}, set()
    rows = {t.pk: t for t in LedgerTransfer.objects.select_for_update().filter(pk__in=ids).order_by("pk")}
    for pending_id in ids:
        if pending_id not in rows:
            raise NotFound(f"unknown transfer {pending_id}", code="unknown_transfer")
        if rows[pending_id].kind != Kind.PENDING:
            raise Unprocessable(f"transfer {pending_id} is not pending", code="not_pending")
    resolved = set(LedgerTransfer.objects.filter(pending_id__in=ids).values_list("pending_id", flat=True))
    return rows, resolved


def _accounts_by_code(
    specs: Sequence[Entry],
) -> dict[str, LedgerAccount]:
    codes = {code for spec in specs if isinstance(spec, TransferSpec) for code in (spec.debit, spec.credit)}
    found = {code: _committed_accounts[code] for code in codes if code in _committed_accounts}
    if len(found) < len(codes):
        fetched = list(LedgerAccount.objects.filter(code__in=codes - found.keys()))
        found.update((a.code, a) for a in fetched)
        _remember(fetched)
    missing = sorted(codes - found.keys())
    if missing:
        raise NotFound(f"unknown ledger account(s): {', '.join(missing)}", code="unknown_account")
    for spec in specs:
        if not isinstance(spec, TransferSpec):
            continue
        sides = "/".join(sorted({found[spec.debit].currency, found[spec.credit].currency}))
        if sides != spec.currency:
            raise Unprocessable(
                f"{spec.currency} transfer between {spec.debit} and {spec.credit} ({sides})",
                code="currency_mismatch",
            )
    return found


def _build(
    spec: Entry,
    accounts: dict[str, LedgerAccount],
    pendings: dict[int, LedgerTransfer],
    now,
    batch: uuid.UUID,
) -> LedgerTransfer:
    if isinstance(spec, TransferSpec):
        timeout = spec.pending_timeout_seconds
        return LedgerTransfer(
            idempotency_key=spec.idempotency_key,
            debit_account=accounts[spec.debit],
            credit_account=accounts[spec.credit],
            amount=spec.amount,
            currency=spec.currency,
            kind=Kind.PENDING if spec.pending else Kind.SINGLE,
            pending_expires_at=now + timedelta(seconds=timeout) if timeout else None,
            batch=batch,
            code=spec.code,
            reference=spec.reference,
        )
    pending = pendings[spec.pending_id]
    posting = isinstance(spec, PostPending)
    amount = (spec.amount or pending.amount) if posting else pending.amount
    if amount > pending.amount:
        raise Unprocessable(
            f"cannot post {amount} of a pending {pending.amount}", code="exceeds_pending_amount"
        )
    return LedgerTransfer(
        idempotency_key=spec.idempotency_key,
        debit_account_id=pending.debit_account_id,
        credit_account_id=pending.credit_account_id,
        amount=amount,
        currency=pending.currency,
        kind=Kind.POST_PENDING if posting else Kind.VOID_PENDING,
        pending=pending,
        batch=batch,
        code=pending.code,
        reference=pending.reference,
    )


_COMPARED = (
    "debit_account_id",
    "credit_account_id",
    "amount",
    "currency",
    "kind",
    "pending_id",
    "code",
    "reference",
)


def _require_same(previous: LedgerTransfer, requested: LedgerTransfer) -> None:
    differing = [f for f in _COMPARED if getattr(previous, f) != getattr(requested, f)]
    if requested.kind == Kind.PENDING and (previous.pending_expires_at is None) != (
        requested.pending_expires_at is None
    ):
        differing.append("pending_timeout")
    if differing:
        raise Conflict(
            f"key {previous.idempotency_key!r} was used for another transfer ({', '.join(differing)})",
            code="idempotency_key_reused",
        )


def _require_unresolved(pending: LedgerTransfer, resolved: set[int], *, posting: bool, now) -> None:
    if pending.pk in resolved:
        raise Conflict(f"pending transfer {pending.pk} is already resolved", code="pending_already_resolved")
    if posting and pending.pending_expires_at is not None and pending.pending_expires_at <= now:
        raise Conflict(
            f"pending transfer {pending.pk} has expired; it can only be voided", code="pending_expired"
        )


def _accumulate(deltas: dict[int, _Delta], transfer: LedgerTransfer, pending: LedgerTransfer | None) -> None:
    debit, credit = deltas[transfer.debit_account_id], deltas[transfer.credit_account_id]
    if transfer.kind == Kind.SINGLE:
        debit.debits_posted += transfer.amount
        credit.credits_posted += transfer.amount
    elif transfer.kind == Kind.PENDING:
        debit.debits_pending += transfer.amount
        credit.credits_pending += transfer.amount
    else:
        debit.debits_pending -= pending.amount
        credit.credits_pending -= pending.amount
        if transfer.kind == Kind.POST_PENDING:
            debit.debits_posted += transfer.amount
            credit.credits_posted += transfer.amount


# Hand-written because this UPDATE runs for every account of every transfer: the ORM spent more
# time compiling the F()/Q() version than the database spent running it. Portable to PostgreSQL
# and SQLite (booleans are 0/1 there; NOT works on both).
_APPLY_SQL = f"""
UPDATE {LedgerAccount._meta.db_table}
   SET debits_pending = debits_pending + %(dpe)s, debits_posted = debits_posted + %(dpo)s,
       credits_pending = credits_pending + %(cpe)s, credits_posted = credits_posted + %(cpo)s
 WHERE id = %(id)s
   AND (NOT debits_must_not_exceed_credits
        OR debits_posted + %(dpo)s + debits_pending + %(dpe)s <= credits_posted + %(cpo)s)
   AND (NOT credits_must_not_exceed_debits
        OR credits_posted + %(cpo)s + credits_pending + %(cpe)s <= debits_posted + %(dpo)s)
"""


def _apply(deltas: dict[int, _Delta]) -> None:
    """One conditional UPDATE per account, in id order; a refused one rolls the batch back.

    After the update, a limited account keeps debits_pending + debits_posted <= credits_posted
    (or the mirror image), the same rule the table's CHECK constraints enforce.
    """
    with connection.cursor() as cursor:
        for account_id in sorted(deltas):
            d = deltas[account_id]
            cursor.execute(
                _APPLY_SQL,
                {
                    "id": account_id,
                    "dpe": d.debits_pending,
                    "dpo": d.debits_posted,
                    "cpe": d.credits_pending,
                    "cpo": d.credits_posted,
                },
            )
            if cursor.rowcount != 1:
                code = LedgerAccount.objects.filter(pk=account_id).values_list("code", flat=True).first()
                raise Conflict(
                    f"transfers would exceed the balance limit of {code}", code="exceeds_balance_limit"
                )
