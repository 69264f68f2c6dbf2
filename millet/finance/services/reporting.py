"""Revenue postings for reporting: what the insights domain rolls up into daily figures.

Revenue accounts are ``revenue:store:{STORE}:{CUR}`` and ``revenue:web:{MARKET}:{CUR}`` (``chart``).
A credit to one is a sale booked (``book_sale`` CHARGE or CAPTURE, or a store's daily takings posted
through ``submit_batch``); a debit is a refund. Only posted money counts (``POSTED_KINDS``).

Readers keep their own watermark: they ask for the transfers after an id they have seen and remember
the ids they took (``revenue_postings``), so a reader never reads the whole history twice.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime

from django.db.models import Q, Sum

from millet.finance.models import LedgerTransfer
from millet.finance.services.exports import POSTED_KINDS

REVENUE_PREFIX = "revenue:"
MAX_POSTINGS = 20_000


@dataclass(frozen=True)
class RevenuePosting:
    """One posted transfer into or out of a revenue account.

    ``account`` is the revenue account's code; ``minor`` is signed integer minor units of
    ``currency`` (positive: a sale credited; negative: a refund debited); ``day`` is the business
    day it belongs to (its ``booked_on``, a store's takings posted later; else the UTC day it was
    posted); ``created_at_epoch`` its posting time in whole seconds since 1970 (UTC)."""

    transfer_id: int
    account: str
    currency: str
    minor: int
    day: date
    created_at_epoch: int


def revenue_postings(
    after_id: int, *, skip: Iterable[int] = (), limit: int = MAX_POSTINGS
) -> list[RevenuePosting]:
    """Posted revenue transfers with an id above ``after_id`` (and not in ``skip``), oldest first.

    ``limit`` caps one answer (1 to ``MAX_POSTINGS``); ask again from the last id for more. A
    transfer between two revenue accounts (none today) would be left out: it moves no revenue.
    """
    limit = max(1, min(limit, MAX_POSTINGS))
    credited = Q(credit_account__code__startswith=REVENUE_PREFIX)
    debited = Q(debit_account__code__startswith=REVENUE_PREFIX)
    rows = (
        LedgerTransfer.objects.filter(id__gt=after_id, kind__in=POSTED_KINDS)
        # One side revenue, the other not, written out: Django spells ``credited ^ debited`` on
        # PostgreSQL as a sum of CASEs whose selectivity the planner cannot estimate, and at 10
        # million transfers it then scanned the whole rest of the ledger for each answer (seconds
        # each, so a rebuild grew with the square of the ledger) instead of walking the id index.
        .filter((credited & ~debited) | (debited & ~credited))
        .exclude(id__in=list(skip))
        .order_by("id")
        .values_list(
            "id",
            "credit_account__code",
            "debit_account__code",
            "amount",
            "currency",
            "created_at",
            "booked_on",
        )[:limit]
    )
    postings = []
    for transfer_id, credit, debit, amount, currency, created_at, booked_on in rows:
        credited = credit.startswith(REVENUE_PREFIX)
        stamp = created_at.astimezone(UTC)
        postings.append(
            RevenuePosting(
                transfer_id,
                credit if credited else debit,
                currency,
                amount if credited else -amount,
                booked_on or stamp.date(),
                int(stamp.timestamp()),
            )
        )
    return postings


def last_transfer_id(*, before: datetime | None = None) -> int:
    """The highest transfer id visible now, of a transfer created at or before ``before`` when it is
    given (0 when there is none)."""
    transfers = LedgerTransfer.objects.all()
    if before is not None:
        transfers = transfers.filter(created_at__lte=before)
    return transfers.order_by("-id").values_list("id", flat=True).first() or 0


def revenue_between(codes: Iterable[str], start: datetime, end: datetime) -> dict[str, int]:
    """Net revenue of each account in ``codes`` over ``[start, end)``: posted credits less posted
    debits, in integer minor units of the account's currency (an account with no money is absent
    or 0). Two aggregate queries, through the ledger's ``created_at`` index."""
    codes = list(codes)
    posted = LedgerTransfer.objects.filter(kind__in=POSTED_KINDS, created_at__gte=start, created_at__lt=end)
    net: dict[str, int] = {}
    for side, sign in (("credit_account__code", 1), ("debit_account__code", -1)):
        rows = posted.filter(**{f"{side}__in": codes}).values(side).annotate(total=Sum("amount"))
        for row in rows:
            net[row[side]] = net.get(row[side], 0) + sign * row["total"]
    return net
