"""Exports for accountants: a trial balance at any moment and the journal of a period, as rows or CSV.

A trial balance *now* is the accounts' running sums. A trial balance at an earlier moment is those
sums minus the posted transfers made since, computed in ONE SQL statement so it reads a single
snapshot (a transfer and its running-sum update commit together, so the two always agree). Only
transfers after the moment are read, through the ``created_at`` index: the usual question, last
month's close, stays fast however long the history is.

Posted money only: pending transfers reserve amounts but are not yet in the books; their
resolution (post) is. Amounts are integer minor units with the decimal amount beside them.
"""

from __future__ import annotations

import csv
import io
from collections import defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from decimal import Decimal

from django.db import connection
from django.utils import timezone

from millet.core.errors import Unprocessable
from millet.finance.models import LedgerAccount, LedgerTransfer
from millet.finance.services.ledger_accounts import parent_code, side_is
from millet.regions.money import from_minor

POSTED_KINDS = (LedgerTransfer.Kind.SINGLE.value, LedgerTransfer.Kind.POST_PENDING.value)


@dataclass(frozen=True)
class TrialBalanceRow:
    code: str
    name: str
    kind: str
    currency: str
    debits: int  # posted turnover up to the moment, minor units
    credits: int

    @property
    def debit_balance(self) -> int:
        return max(self.debits - self.credits, 0)

    @property
    def credit_balance(self) -> int:
        return max(self.credits - self.debits, 0)


@dataclass(frozen=True)
class TrialBalance:
    at: datetime
    rows: list[TrialBalanceRow]

    def totals(self) -> dict[str, tuple[int, int]]:
        """Per currency: (sum of debit balances, sum of credit balances). Double entry: they are equal."""
        sums: dict[str, list[int]] = defaultdict(lambda: [0, 0])
        for row in self.rows:
            sums[row.currency][0] += row.debit_balance
            sums[row.currency][1] += row.credit_balance
        return {currency: (d, c) for currency, (d, c) in sorted(sums.items())}


def _aware(value: datetime | None, name: str) -> datetime | None:
    """The moment in UTC: PostgreSQL refuses UTC offsets beyond 15:59 that ISO 8601 allows."""
    if value is None:
        return None
    if not isinstance(value, datetime) or timezone.is_naive(value):
        raise Unprocessable(f"{name} must be a date-time with a time zone", code=f"invalid_{name}")
    try:
        return value.astimezone(UTC)
    except (OverflowError, ValueError):
        raise Unprocessable(f"{name} is out of range", code=f"invalid_{name}") from None


_ACCOUNTS, _TRANSFERS = LedgerAccount._meta.db_table, LedgerTransfer._meta.db_table
_POSTED_SQL = f"kind IN ({', '.join(repr(k) for k in POSTED_KINDS)})"  # constants: drivers adapt no tuples
_TRIAL_BALANCE_SQL = f"""
SELECT a.code, a.name, a.kind, a.currency,
       a.debits_posted - COALESCE(d.later, 0), a.credits_posted - COALESCE(c.later, 0)
  FROM {_ACCOUNTS} a
  LEFT JOIN (SELECT debit_account_id AS id, SUM(amount) AS later FROM {_TRANSFERS}
              WHERE created_at >= %(at)s AND {_POSTED_SQL} GROUP BY debit_account_id) d ON d.id = a.id
  LEFT JOIN (SELECT credit_account_id AS id, SUM(amount) AS later FROM {_TRANSFERS}
              WHERE created_at >= %(at)s AND {_POSTED_SQL} GROUP BY credit_account_id) c ON c.id = a.id
 WHERE (%(currency)s = '' OR a.currency = %(currency)s)
 ORDER BY a.currency, a.code
"""


def trial_balance(at: datetime | None = None, *, currency: str = "") -> TrialBalance:
    """Every account's posted debits and credits as they stood at ``at`` (default: now): the
    transfers made before ``at``, so the trial balance at a period's end equals the one at its
    start plus the journal of ``[start, end)``. Accounts with no posted money by then are left out.
    """
    at = _aware(at, "at") or timezone.now()
    if currency and (len(currency) != 3 or not currency.isalpha()):
        raise Unprocessable("currency must be a 3-letter code", code="unknown_currency")
    with connection.cursor() as cursor:
        cursor.execute(_TRIAL_BALANCE_SQL, {"at": at, "currency": currency})
        rows = [TrialBalanceRow(*row) for row in cursor.fetchall()]
    return TrialBalance(at=at, rows=[row for row in _roll_up(rows) if row.debits or row.credits])


def _roll_up(rows: list[TrialBalanceRow]) -> list[TrialBalanceRow]:
    """One row per account: a hot account's sub-accounts (``ledger_accounts``) add into their parent's
    row, so the trial balance reads as the chart of accounts does, whatever the split."""
    merged: dict[str, TrialBalanceRow] = {}
    for row in rows:
        code = parent_code(row.code)
        seen = merged.get(code)
        debits, credits = (seen.debits, seen.credits) if seen else (0, 0)
        merged[code] = replace(
            seen or row, code=code, debits=debits + row.debits, credits=credits + row.credits
        )
    return list(merged.values())


def journal(
    start: datetime, end: datetime, *, account: str = "", include_pending: bool = False
) -> Iterator[LedgerTransfer]:
    """The transfers of ``[start, end)`` in the order they were made, streamed (a period can be large)."""
    start, end = _aware(start, "start"), _aware(end, "end")
    if start is None or end is None or not start < end:
        raise Unprocessable("the period needs start < end", code="invalid_period")
    transfers = LedgerTransfer.objects.filter(created_at__gte=start, created_at__lt=end)
    if not include_pending:
        transfers = transfers.filter(kind__in=POSTED_KINDS)
    if account:
        transfers = transfers.filter(side_is("debit_account", account) | side_is("credit_account", account))
    return (
        transfers.select_related("debit_account", "credit_account").order_by("id").iterator(chunk_size=2000)
    )


TRIAL_BALANCE_HEADER = (
    "account",
    "name",
    "kind",
    "currency",
    "debit",
    "credit",
    "debit_minor",
    "credit_minor",
)
JOURNAL_HEADER = (
    "id",
    "created_at",
    "batch",
    "kind",
    "code",
    "reference",
    "debit_account",
    "credit_account",
    "currency",
    "amount",
    "amount_minor",
)


def _line(values: Iterable[object]) -> str:
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\n").writerow(values)
    return buffer.getvalue()


def trial_balance_csv(balance: TrialBalance) -> Iterator[str]:
    """CSV lines: one per account, then a total line per currency (debits equal credits)."""
    yield _line(TRIAL_BALANCE_HEADER)
    for row in balance.rows:
        yield _line(
            (
                row.code,
                row.name,
                row.kind,
                row.currency,
                _decimal(row.debit_balance, row.currency),
                _decimal(row.credit_balance, row.currency),
                row.debit_balance,
                row.credit_balance,
            )
        )
    for currency, (debits, credits) in balance.totals().items():
        yield _line(
            (
                "TOTAL",
                "",
                "",
                currency,
                _decimal(debits, currency),
                _decimal(credits, currency),
                debits,
                credits,
            )
        )


def journal_csv(transfers: Iterable[LedgerTransfer]) -> Iterator[str]:
    yield _line(JOURNAL_HEADER)
    for t in transfers:
        yield _line(
            (
                t.pk,
                t.created_at.isoformat(),
                t.batch or "",
                t.kind,
                t.code,
                t.reference,
                t.debit_account.code,
                t.credit_account.code,
                t.currency,
                _decimal(t.amount, t.currency),
                t.amount,
            )
        )


def _decimal(minor: int, currency: str) -> Decimal:
    return from_minor(minor, currency)
