"""Ledger accounts: creating them, reading their balances, and the cache of their fixed facts.

An account's identity, currency, kind and limits never change and an account with transfers cannot
be deleted, so the write path need not read the same rows on every checkout: committed accounts
are cached by code, filled only after commit so a rolled-back account is never remembered.
Balances are never cached.

A hot account may be split into sub-accounts, ``{code}#{n}`` (``chart.sub_account_for``): each is an
account of its own with its own limits, and reading the parent code (``get_account``, ``balance``,
``balances``) adds the parent and all its sub-accounts together, so every report stays exact.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from django.db import transaction
from django.db.models import F, Q, Sum

from millet.core.errors import Conflict, NotFound, Unprocessable
from millet.finance.models import LedgerAccount
from millet.regions.money import currency_exponent


@dataclass(frozen=True)
class AccountBalance:
    """An account's running sums in integer minor units of its currency."""

    currency: str
    debits_posted: int
    credits_posted: int
    debits_pending: int
    credits_pending: int


SUB_ACCOUNT_SEPARATOR = "#"
# Django rebuilds a choices enum's ``values`` list on every access (~12 us); ``ensure_account``
# checks a kind several times a checkout (chart.payment_accounts).
_KINDS = frozenset(LedgerAccount.Kind.values)

_committed_accounts: dict[str, LedgerAccount] = {}


def _remember(accounts: Sequence[LedgerAccount]) -> None:
    transaction.on_commit(lambda: _committed_accounts.update({a.code: a for a in accounts}))


def forget_accounts() -> None:
    """Drop the account cache (tests that roll back or flush the database call this)."""
    _committed_accounts.clear()


def accounts_by_code(codes: Iterable[str]) -> dict[str, LedgerAccount]:
    """The existing accounts among ``codes`` (cached ones without a query); unknown codes are absent."""
    codes = set(codes)
    found = {code: _committed_accounts[code] for code in codes if code in _committed_accounts}
    if len(found) < len(codes):
        fetched = list(LedgerAccount.objects.filter(code__in=codes - found.keys()))
        found.update((a.code, a) for a in fetched)
        _remember(fetched)
    return found


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
    if kind not in _KINDS:
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


def parent_code(code: str) -> str:
    """The account a sub-account belongs to (``customer-funds:CNY#3`` -> ``customer-funds:CNY``);
    any other code is its own parent."""
    return code.split(SUB_ACCOUNT_SEPARATOR, 1)[0]


def side_is(side: str, code: str) -> Q:
    """Transfers whose ``side`` ("debit_account" or "credit_account") is ``code`` or one of its
    sub-accounts: what a reader filtering by an account's code means."""
    return Q(**{f"{side}__code": code}) | Q(**{f"{side}__code__startswith": code + SUB_ACCOUNT_SEPARATOR})


def _with_sub_accounts(codes: Sequence[str]) -> dict[str, LedgerAccount]:
    """The accounts named by ``codes``, each carrying its balances plus those of its sub-accounts
    (the rows' sums in memory; nothing is saved). One query; absent codes are left out."""
    if not codes:
        return {}
    wanted = Q(code__in=list(codes))
    for code in codes:
        wanted |= Q(code__startswith=code + SUB_ACCOUNT_SEPARATOR)
    found: dict[str, LedgerAccount] = {}
    subs = []
    for account in LedgerAccount.objects.filter(wanted):
        if account.code in codes:
            found[account.code] = account
        if account.code != parent_code(account.code):
            subs.append(account)
    for sub in subs:  # into its parent's instance only: a sub-account asked for by code keeps its own
        parent = found.get(parent_code(sub.code))
        if parent is not None:
            parent.debits_posted += sub.debits_posted
            parent.credits_posted += sub.credits_posted
            parent.debits_pending += sub.debits_pending
            parent.credits_pending += sub.credits_pending
    return found


def get_account(code: str) -> LedgerAccount:
    """The account ``code`` with its sub-accounts' balances added in; NotFound ``unknown_account``."""
    account = _with_sub_accounts([code]).get(code)
    if account is None:
        raise NotFound(f"unknown ledger account {code!r}", code="unknown_account")
    return account


def _balance(account: LedgerAccount) -> AccountBalance:
    return AccountBalance(
        currency=account.currency,
        debits_posted=account.debits_posted,
        credits_posted=account.credits_posted,
        debits_pending=account.debits_pending,
        credits_pending=account.credits_pending,
    )


def balance(code: str) -> AccountBalance:
    return _balance(get_account(code))


def balances(codes: Sequence[str]) -> dict[str, AccountBalance]:
    """Balances of many accounts (each with its sub-accounts) in one query; accounts that do not
    exist yet are simply absent."""
    return {code: _balance(account) for code, account in _with_sub_accounts(list(codes)).items()}


def total_balance_check() -> int:
    """Sum of (debits - credits) posted over all accounts: double entry keeps it at zero."""
    total = LedgerAccount.objects.aggregate(total=Sum(F("debits_posted") - F("credits_posted")))["total"]
    return total or 0
