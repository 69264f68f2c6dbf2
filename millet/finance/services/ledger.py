"""The ledger's write path: linked, idempotent, limit-checked transfers in integer minor units.

Follows TigerBeetle's rules: a batch of transfers is *linked* (all commit or none), every transfer
may carry an idempotency key (a replay returns the stored transfer and changes nothing), pending
transfers reserve an amount until they are posted (fully or partly) or voided, and balance limits
refuse any batch that would leave an account over them. Limits are checked on a batch's net effect:
the batch commits atomically, so no reader can see the state between two of its legs.

Balances are never read, changed in Python and written back: each touched account gets one
conditional ``UPDATE ... SET col = col + delta WHERE <limits still hold>``, issued in ascending
account id so concurrent batches take row locks in the same order and cannot deadlock.

``submit_batch`` is the throughput path: many independent chains (each one linked) in one database
transaction with a result per chain, as TigerBeetle's ``create_transfers`` reports per transfer.
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

from millet.core.errors import Conflict, DomainError, NotFound, Unprocessable
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


# --- batches of independent chains ---------------------------------------------------------------

MAX_BATCH_TRANSFERS = 8190  # TigerBeetle's batch size: large enough to amortise, small enough to lock briefly


@dataclass
class BatchResult:
    """What happened to one chain of a batch: its transfers, or why it was refused (nothing of it stored)."""

    index: int
    transfers: list[LedgerTransfer]
    error: str = ""
    status: int = 0
    detail: str = ""

    @property
    def ok(self) -> bool:
        return not self.error


@dataclass
class _Balance:
    debits_pending: int
    debits_posted: int
    credits_pending: int
    credits_posted: int
    debits_limited: bool
    credits_limited: bool

    def plus(self, d: _Delta) -> _Balance:
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


def submit_batch(chains: Sequence[Entry | Sequence[Entry]]) -> list[BatchResult]:
    """Commit many independent chains in one database transaction; report a result per chain.

    Like TigerBeetle's ``create_transfers`` with ``linked`` flags: each item is one entry or a
    sequence of entries that commit or fail together (a chain); chains are independent, so a
    refused chain (bad input, unknown account, a broken balance limit, a resolved pending
    transfer, a reused idempotency key) is reported and the others still commit.

    Cost does not grow with the batch in round trips, and locks are held briefly: validation and
    building happen before any lock; then the touched accounts are locked and read in one query
    (id order, so batches cannot deadlock with each other or with ``create_transfers``), the chains
    are applied in order to those balances in memory (each one's limits checked against the ones
    accepted before it), all accepted transfers are inserted at once (COPY on PostgreSQL) and every
    account gets one conditional UPDATE.
    """
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
    try:
        with transaction.atomic():
            return _commit_chains(len(normalised), prepared, accounts, dict(refused))
    except IntegrityError:
        # A concurrent writer inserted one of our idempotency keys (or resolved one of our pending
        # transfers) after we read them; everything rolled back. The retry sees its commit.
        with transaction.atomic():
            return _commit_chains(len(normalised), prepared, accounts, dict(refused))


def _refusal(index: int, exc: DomainError) -> BatchResult:
    return BatchResult(index, [], error=exc.code, status=exc.status_code, detail=exc.detail)


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
    accounts = _known_accounts([entry for index in live for entry in chains[index]])
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
) -> list[BatchResult]:
    entries = [entry for chain in prepared.values() for entry in chain.entries]
    pendings, resolved = _lock_pendings_lenient(entries)
    stored = _stored_by_key(entries)
    state = _lock_balances(
        {a.pk for a in accounts.values()}
        | {p.debit_account_id for p in pendings.values()}
        | {p.credit_account_id for p in pendings.values()}
    )
    now = timezone.now()
    new: list[LedgerTransfer] = []
    in_batch: dict[str, LedgerTransfer] = {}
    totals: dict[int, _Delta] = defaultdict(_Delta)
    for index, chain in prepared.items():
        try:
            transfers, created, deltas, resolves = _plan_chain(
                chain, pendings, resolved, stored, in_batch, now
            )
            after = {account_id: state[account_id].plus(d) for account_id, d in deltas.items()}
            broken = sorted(account_id for account_id, b in after.items() if not b.within_limits())
            if broken:
                code = LedgerAccount.objects.filter(pk=broken[0]).values_list("code", flat=True).first()
                raise Conflict(
                    f"transfers would exceed the balance limit of {code}", code="exceeds_balance_limit"
                )
        except DomainError as exc:
            results[index] = _refusal(index, exc)
            continue
        state.update(after)
        for account_id, d in deltas.items():
            total = totals[account_id]
            total.debits_pending += d.debits_pending
            total.debits_posted += d.debits_posted
            total.credits_pending += d.credits_pending
            total.credits_posted += d.credits_posted
        resolved.update(resolves)
        in_batch.update((t.idempotency_key, t) for t in created if t.idempotency_key)
        new.extend(created)
        results[index] = BatchResult(index, transfers)
    _insert_all(new)
    _apply_all(totals)
    return [results[index] for index in range(count)]


def _lock_pendings_lenient(entries: Sequence[Entry]) -> tuple[dict[int, LedgerTransfer], set[int]]:
    """Like ``_lock_pendings`` but an unknown id refuses only the chain that names it, later."""
    ids = sorted({e.pending_id for e in entries if isinstance(e, PostPending | VoidPending)})
    if not ids:
        return {}, set()
    rows = {t.pk: t for t in LedgerTransfer.objects.select_for_update().filter(pk__in=ids).order_by("pk")}
    resolved = set(LedgerTransfer.objects.filter(pending_id__in=ids).values_list("pending_id", flat=True))
    return rows, resolved


def _known_accounts(entries: Sequence[Entry]) -> dict[str, LedgerAccount]:
    codes = {code for e in entries if isinstance(e, TransferSpec) for code in (e.debit, e.credit)}
    found = {code: _committed_accounts[code] for code in codes if code in _committed_accounts}
    if len(found) < len(codes):
        fetched = list(LedgerAccount.objects.filter(code__in=codes - found.keys()))
        found.update((a.code, a) for a in fetched)
        _remember(fetched)
    return found


def _lock_balances(account_ids: set[int]) -> dict[int, _Balance]:
    """Lock every touched account in id order and read its balances as they are now."""
    rows = (
        LedgerAccount.objects.select_for_update()
        .filter(pk__in=account_ids)
        .order_by("pk")
        .values_list(
            "pk",
            "debits_pending",
            "debits_posted",
            "credits_pending",
            "credits_posted",
            "debits_must_not_exceed_credits",
            "credits_must_not_exceed_debits",
        )
    )
    return {row[0]: _Balance(*row[1:]) for row in rows}


def _plan_chain(
    chain: _Prepared,
    pendings: dict[int, LedgerTransfer],
    resolved: set[int],
    stored: dict[str, LedgerTransfer],
    in_batch: dict[str, LedgerTransfer],
    now,
) -> tuple[list[LedgerTransfer], list[LedgerTransfer], dict[int, _Delta], set[int]]:
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
    deltas: dict[int, _Delta] = defaultdict(_Delta)
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


_TRANSFERS = LedgerTransfer._meta.db_table
_COPY_COLUMNS = (
    "id",
    "idempotency_key",
    "debit_account_id",
    "credit_account_id",
    "amount",
    "currency",
    "kind",
    "pending_id",
    "pending_expires_at",
    "batch",
    "code",
    "reference",
    "created_at",
)


def _insert_all(transfers: list[LedgerTransfer]) -> None:
    """Insert a batch's transfers. On PostgreSQL: take ids from the sequence, then one COPY.

    ``bulk_create`` spent more time compiling its INSERT than PostgreSQL spent running it, and
    this runs while the batch holds its account locks.
    """
    if not transfers:
        return
    if connection.vendor != "postgresql":
        LedgerTransfer.objects.bulk_create(transfers, batch_size=1000)
        return
    now = timezone.now()
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT nextval(pg_get_serial_sequence(%s, 'id')) FROM generate_series(1, %s)",
            [_TRANSFERS, len(transfers)],
        )
        for transfer, (pk,) in zip(transfers, cursor.fetchall(), strict=True):
            transfer.pk = pk
            transfer.created_at = now
        copying = cursor.cursor.copy(f"COPY {_TRANSFERS} ({', '.join(_COPY_COLUMNS)}) FROM STDIN")
        # The raw psycopg cursor bypasses Django's error translation; a duplicate key must still
        # surface as django.db.IntegrityError so ``submit_batch`` retries.
        with connection.wrap_database_errors, copying as copy:
            for t in transfers:
                copy.write_row(
                    (
                        t.pk,
                        t.idempotency_key,
                        t.debit_account_id,
                        t.credit_account_id,
                        t.amount,
                        t.currency,
                        t.kind,
                        t.pending_id,
                        t.pending_expires_at,
                        t.batch,
                        t.code,
                        t.reference,
                        t.created_at,
                    )
                )
    for t in transfers:
        t._state.adding = False
        t._state.db = connection.alias


_APPLY_MANY_PG = f"""
UPDATE {LedgerAccount._meta.db_table} AS a
   SET debits_pending = a.debits_pending + v.dpe, debits_posted = a.debits_posted + v.dpo,
       credits_pending = a.credits_pending + v.cpe, credits_posted = a.credits_posted + v.cpo
  FROM (SELECT * FROM unnest(%s::bigint[], %s::bigint[], %s::bigint[], %s::bigint[], %s::bigint[]))
       AS v(id, dpe, dpo, cpe, cpo)
 WHERE a.id = v.id
   AND (NOT a.debits_must_not_exceed_credits
        OR a.debits_posted + v.dpo + a.debits_pending + v.dpe <= a.credits_posted + v.cpo)
   AND (NOT a.credits_must_not_exceed_debits
        OR a.credits_posted + v.cpo + a.credits_pending + v.cpe <= a.debits_posted + v.dpo)
"""


def _apply_all(deltas: dict[int, _Delta]) -> None:
    """Write a batch's balance changes; on PostgreSQL in one statement, whatever the account count.

    The accounts are already locked and the limits were checked in memory; the UPDATE checks them
    again (as ``_apply`` does) so a bug there could never break a limit, only refuse the batch.
    """
    if not deltas:
        return
    if connection.vendor != "postgresql":
        _apply(deltas)
        return
    ids = sorted(deltas)
    columns = [
        ids,
        [deltas[i].debits_pending for i in ids],
        [deltas[i].debits_posted for i in ids],
        [deltas[i].credits_pending for i in ids],
        [deltas[i].credits_posted for i in ids],
    ]
    with connection.cursor() as cursor:
        cursor.execute(_APPLY_MANY_PG, columns)
        if cursor.rowcount != len(ids):
            raise Conflict("transfers would exceed a balance limit", code="exceeds_balance_limit")
