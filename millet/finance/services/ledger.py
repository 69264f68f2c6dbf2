"""The ledger's one write path: linked, idempotent, limit-checked transfers in integer minor units.

Follows TigerBeetle's rules: transfers are submitted as *chains* of linked entries (all of a chain
commit or none), every entry may carry an idempotency key (a replay returns the stored transfer and
changes nothing), pending transfers reserve an amount until they are posted (fully or partly) or
voided, and balance limits refuse any chain that would leave an account over them. Limits are
checked on a chain's net effect: it commits atomically, so no reader sees the state between legs.

``submit_batch`` commits many independent chains in one database transaction with a result per
chain, as TigerBeetle's ``create_transfers`` reports per transfer. ``create_transfers`` is the same
engine for a batch of one chain, raising the chain's refusal. The engine validates and builds
before taking any lock; then it locks the pending transfers being resolved and the touched accounts
(each in id order, so batches cannot deadlock), applies the chains in order to those balances in
memory, then inserts all accepted transfers and gives every account one conditional UPDATE, in one
statement (``ledger_storage``). A batch of one chain has nothing to arbitrate between chains: where
that statement locks the accounts itself (in id order) and refuses a broken limit with nothing
written (``checks_limits_atomically``), the balances are neither locked nor read beforehand, and
the statement's refusal is the chain's.
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta

from django.db import IntegrityError, connection, transaction
from django.db.models import Model
from django.utils import timezone

from millet.core import sql
from millet.core.errors import Conflict, DomainError, NotFound, Unprocessable
from millet.finance.models import LedgerAccount, LedgerKey, LedgerResolution, LedgerTransfer
from millet.finance.services.ledger_accounts import accounts_by_code
from millet.finance.services.ledger_storage import (
    Delta,
    LimitExceeded,
    checks_limits_atomically,
    exceeds_limit,
    write_batch,
)

MAX_MINOR_AMOUNT = 2**62  # keeps every running sum far inside a 64-bit column
MAX_BATCH_TRANSFERS = 8190  # TigerBeetle's batch size: large enough to amortise, small enough to lock briefly
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
    booked_on: date | None = None  # the business day, for a posting made after it (daily takings)


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


@dataclass
class BatchResult:
    """What happened to one chain of a batch: its transfers, or why it was refused (nothing of it stored)."""

    index: int
    transfers: list[LedgerTransfer]
    error: str = ""
    status: int = 0
    detail: str = ""
    refusal: DomainError | None = field(default=None, repr=False, compare=False)

    @property
    def ok(self) -> bool:
        return not self.error


def create_transfers(entries: Sequence[Entry], *, linked_row: Model | None = None) -> list[LedgerTransfer]:
    """Commit all entries as one linked chain and return their transfers in order.

    A batch of one chain: the chain's refusal is raised as the domain error it is (404 unknown
    account or transfer, 409 limit or replay conflict, 422 malformed). Accepts ``TransferSpec``
    plus ``PostPending``/``VoidPending``, so a resolution can be linked with the transfers that
    depend on it (capturing a payment posts its authorization and moves the money on, or neither).

    ``linked_row`` is a new row of the caller's whose foreign key to ``LedgerTransfer`` is to name
    the chain's first transfer (a payment's authorization): it is inserted with the transfers, in the
    same statement where the write is one (a checkout's round trip), and only if the chain commits.
    The chain must then be new transfers without idempotency keys, so its first transfer is new.
    """
    if not entries:
        return []
    if linked_row is not None and not all(
        isinstance(e, TransferSpec) and e.idempotency_key is None for e in entries
    ):
        raise ValueError("a linked row needs a chain of new transfers without idempotency keys")
    (result,) = _submit([tuple(entries)], linked_row)
    if result.refusal is not None:
        raise result.refusal
    return result.transfers


def post_pending(
    pending_id: int, *, amount: int | None = None, idempotency_key: str | None = None
) -> LedgerTransfer:
    return create_transfers([PostPending(pending_id, amount, idempotency_key)])[0]


def void_pending(pending_id: int, *, idempotency_key: str | None = None) -> LedgerTransfer:
    return create_transfers([VoidPending(pending_id, idempotency_key)])[0]


def submit_batch(chains: Sequence[Entry | Sequence[Entry]]) -> list[BatchResult]:
    """Commit many independent chains in one database transaction; report a result per chain.

    Each item is one entry or a sequence of entries that commit or fail together (a chain); chains
    are independent, so a refused chain (bad input, unknown account, a broken balance limit, a
    resolved pending transfer, a reused idempotency key) is reported and the others still commit.
    Cost does not grow with the batch in round trips, and locks are held briefly.
    """
    return _submit(chains, None)


def _submit(chains: Sequence[Entry | Sequence[Entry]], linked_row: Model | None) -> list[BatchResult]:
    normalised = [
        tuple(item) if isinstance(item, list | tuple) else (item,)  # a bare entry is a chain of one
        for item in chains
    ]
    size = sum(len(chain) for chain in normalised)
    if size > MAX_BATCH_TRANSFERS:
        raise Unprocessable(
            f"a batch holds at most {MAX_BATCH_TRANSFERS} transfers, got {size}", code="batch_too_large"
        )
    if not normalised:
        return []
    refused: dict[int, BatchResult] = {}
    accounts, prepared = _prepare(normalised, refused)
    # Only an idempotency key or a pending resolution can meet a concurrent writer's row; without
    # one, no retry is needed, and so no savepoint (two round trips a checkout) to recover to.
    can_collide = any(
        e.idempotency_key is not None or not isinstance(e, TransferSpec)
        for chain in normalised
        for e in chain
    )
    if not can_collide:
        with transaction.atomic(savepoint=False):
            return _commit_chains(len(normalised), prepared, accounts, dict(refused), linked_row)
    try:
        with transaction.atomic():
            return _commit_chains(len(normalised), prepared, accounts, dict(refused), linked_row)
    except IntegrityError:
        # A concurrent writer inserted one of our idempotency keys (or resolved one of our pending
        # transfers) after we read them; everything rolled back. The retry sees its commit.
        with transaction.atomic():
            return _commit_chains(len(normalised), prepared, accounts, dict(refused), linked_row)


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


def _stored_by_key(specs: Sequence[Entry]) -> dict[str, LedgerTransfer]:
    """The stored transfers of these entries' keys, found through ``LedgerKey`` (by its primary key,
    then each transfer in its own month's partition: the creation times prune the others)."""
    keys = [spec.idempotency_key for spec in specs if spec.idempotency_key]
    if not keys:
        return {}
    claims = list(
        LedgerKey.objects.filter(idempotency_key__in=keys).values_list("transfer_id", "transfer_created_at")
    )
    if not claims:
        return {}
    found = LedgerTransfer.objects.filter(
        pk__in=[pk for pk, _created in claims], created_at__in={created for _pk, created in claims}
    )
    return {t.idempotency_key: t for t in found}


def _refusal(index: int, exc: DomainError) -> BatchResult:
    return BatchResult(index, [], error=exc.code, status=exc.status_code, detail=exc.detail, refusal=exc)


def _prepare(
    chains: list[tuple[Entry, ...]], refused: dict[int, BatchResult]
) -> tuple[dict[str, LedgerAccount], dict[int, _Prepared]]:
    """Validate every chain and build its new transfers; refusals go into ``refused``."""
    live: list[int] = []
    for index, chain in enumerate(chains):
        try:
            if not chain:
                raise Unprocessable("a chain needs at least one transfer", code="empty_chain")
            for entry in chain:
                _validate(entry)
            keys = [e.idempotency_key for e in chain if e.idempotency_key is not None]
            if len(keys) != len(set(keys)):
                raise Unprocessable(
                    "an idempotency key appears twice in one chain", code="duplicate_idempotency_key"
                )
        except DomainError as exc:
            refused[index] = _refusal(index, exc)
            continue
        live.append(index)
    codes = {c for i in live for e in chains[i] if isinstance(e, TransferSpec) for c in (e.debit, e.credit)}
    accounts = accounts_by_code(codes)
    now = timezone.now()
    prepared: dict[int, _Prepared] = {}
    for index in live:
        # The chain's transfers share their own batch id: linked transfers share one, and the
        # chains of one batch are not linked to each other.
        batch = uuid.uuid4()
        try:
            built = [_build_spec(entry, accounts, now, batch) for entry in chains[index]]
        except DomainError as exc:
            refused[index] = _refusal(index, exc)
            continue
        prepared[index] = _Prepared(chains[index], built, batch)
    return accounts, prepared


def _build_spec(
    entry: Entry, accounts: dict[str, LedgerAccount], now, batch: uuid.UUID
) -> LedgerTransfer | None:
    if not isinstance(entry, TransferSpec):
        return None
    missing = sorted({entry.debit, entry.credit} - accounts.keys())
    if missing:
        raise NotFound(f"unknown ledger account(s): {', '.join(missing)}", code="unknown_account")
    sides = "/".join(sorted({accounts[entry.debit].currency, accounts[entry.credit].currency}))
    if sides != entry.currency:
        raise Unprocessable(
            f"{entry.currency} transfer between {entry.debit} and {entry.credit} ({sides})",
            code="currency_mismatch",
        )
    return _build(entry, accounts, {}, now, batch)


def _commit_chains(
    count: int,
    prepared: dict[int, _Prepared],
    accounts: dict[str, LedgerAccount],
    results: dict[int, BatchResult],
    linked_row: Model | None,
) -> list[BatchResult]:
    entries = [entry for chain in prepared.values() for entry in chain.entries]
    pendings, resolved = _lock_pendings(entries)
    stored = _stored_by_key(entries)
    # One chain written by a statement that locks and checks for itself: it only can refuse it.
    alone = next(iter(prepared)) if len(prepared) == 1 and checks_limits_atomically(len(entries)) else None
    state = (
        None
        if alone is not None
        else _lock_balances(
            {a.pk for a in accounts.values()}
            | {p.debit_account_id for p in pendings.values()}
            | {p.credit_account_id for p in pendings.values()}
        )
    )
    now = timezone.now()
    new: list[LedgerTransfer] = []
    in_batch: dict[str, LedgerTransfer] = {}
    totals: dict[int, Delta] = defaultdict(Delta)
    for index, chain in prepared.items():
        try:
            transfers, created, deltas, resolves = _plan_chain(
                chain, pendings, resolved, stored, in_batch, now
            )
            if state is not None:
                after = {account_id: state[account_id].plus(d) for account_id, d in deltas.items()}
                broken = sorted(account_id for account_id, b in after.items() if not b.within_limits())
                if broken:
                    raise exceeds_limit(broken[0])
                state.update(after)
        except DomainError as exc:
            results[index] = _refusal(index, exc)
            continue
        for account_id, d in deltas.items():
            totals[account_id].add(d)
        resolved.update(resolves)
        in_batch.update((t.idempotency_key, t) for t in created if t.idempotency_key)
        new.extend(created)
        results[index] = BatchResult(index, transfers)
    try:
        write_batch(new, totals, linked_row if new else None)  # nothing new: the chain was refused
    except LimitExceeded as exc:
        if alone is None:
            raise  # a check in memory failed to refuse: the transaction rolls back
        results[alone] = _refusal(alone, exc)  # the statement wrote nothing
    return [results[index] for index in range(count)]


def _lock_pendings(entries: Sequence[Entry]) -> tuple[dict[int, LedgerTransfer], set[int]]:
    """Lock the pending transfers being resolved (id order) so two resolvers queue; return them and
    the ids already resolved, read after the lock so the first resolver's commit is seen. An unknown
    id refuses only the chain that names it, when that chain is planned."""
    ids = sorted({e.pending_id for e in entries if isinstance(e, PostPending | VoidPending)})
    if not ids:
        return {}, set()
    rows = {t.pk: t for t in LedgerTransfer.objects.select_for_update().filter(pk__in=ids).order_by("pk")}
    resolved = set(LedgerResolution.objects.filter(pending_id__in=ids).values_list("pending_id", flat=True))
    return rows, resolved


# The touched accounts' balances, locked: SQL rather than the ORM (see core.sql), on every booking.
# SQLite has no row locks (its one writer holds the database), as ``select_for_update`` knows.
_BALANCES = f"""
SELECT id, debits_pending, debits_posted, credits_pending, credits_posted,
    debits_must_not_exceed_credits, credits_must_not_exceed_debits
FROM {LedgerAccount._meta.db_table} WHERE id IN ({{ids}}) ORDER BY id
"""


def _lock_balances(account_ids: set[int]) -> dict[int, _Balance]:
    """Lock every touched account in id order and read its balances as they are now."""
    if not account_ids:
        return {}
    query = _BALANCES.format(ids=sql.placeholders(len(account_ids)))
    if connection.features.has_select_for_update:
        query += " FOR UPDATE"
    rows = sql.rows(query, sorted(account_ids))
    return {row[0]: _Balance(*row[1:5], bool(row[5]), bool(row[6])) for row in rows}


@dataclass
class _Balance:
    debits_pending: int
    debits_posted: int
    credits_pending: int
    credits_posted: int
    debits_limited: bool
    credits_limited: bool

    def plus(self, d: Delta) -> _Balance:
        return _Balance(
            self.debits_pending + d.debits_pending,
            self.debits_posted + d.debits_posted,
            self.credits_pending + d.credits_pending,
            self.credits_posted + d.credits_posted,
            self.debits_limited,
            self.credits_limited,
        )

    def within_limits(self) -> bool:
        if self.debits_limited and self.debits_posted + self.debits_pending > self.credits_posted:
            return False
        return not (self.credits_limited and self.credits_posted + self.credits_pending > self.debits_posted)


@dataclass
class _Prepared:
    """A chain checked and built before any lock is taken: the work that needs no balances."""

    entries: tuple[Entry, ...]
    built: list[LedgerTransfer | None]  # None for a post/void, built once its pending is locked
    batch: uuid.UUID


def _plan_chain(
    chain: _Prepared,
    pendings: dict[int, LedgerTransfer],
    resolved: set[int],
    stored: dict[str, LedgerTransfer],
    in_batch: dict[str, LedgerTransfer],
    now,
) -> tuple[list[LedgerTransfer], list[LedgerTransfer], dict[int, Delta], set[int]]:
    """Check one chain against everything before it; return (its results, its new transfers,
    its balance deltas, the pending ids it resolves), or raise why it is refused."""
    for entry in chain.entries:
        if isinstance(entry, PostPending | VoidPending):
            pending = pendings.get(entry.pending_id)
            if pending is None:
                raise NotFound(f"unknown transfer {entry.pending_id}", code="unknown_transfer")
            if pending.kind != Kind.PENDING:
                raise Unprocessable(f"transfer {entry.pending_id} is not pending", code="not_pending")
    transfers: list[LedgerTransfer] = []
    created: list[LedgerTransfer] = []
    deltas: dict[int, Delta] = defaultdict(Delta)
    resolves: set[int] = set()
    for entry, built in zip(chain.entries, chain.built, strict=True):
        transfer = built or _build(entry, {}, pendings, now, chain.batch)
        key = entry.idempotency_key
        previous = (stored.get(key) or in_batch.get(key)) if key else None
        if previous is not None:
            _require_same(previous, transfer)
            transfers.append(previous)
            continue
        if isinstance(entry, PostPending | VoidPending):
            _require_unresolved(
                pendings[entry.pending_id],
                resolved | resolves,
                posting=isinstance(entry, PostPending),
                now=now,
            )
            resolves.add(entry.pending_id)
        _accumulate(deltas, transfer, pendings.get(transfer.pending_id))
        transfers.append(transfer)
        created.append(transfer)
    return transfers, created, deltas, resolves


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
            booked_on=spec.booked_on,
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
        booked_on=pending.booked_on,
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
    "booked_on",
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


def _accumulate(deltas: dict[int, Delta], transfer: LedgerTransfer, pending: LedgerTransfer | None) -> None:
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
