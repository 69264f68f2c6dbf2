"""Internet finance's postings for reporting: what the insights domain rolls up into the daily
figures of lending and insurance, read from the ledger like revenue (``reporting.revenue_postings``).

Each posting is one side of a posted transfer (``POSTED_KINDS``) that touches one of these accounts
(``chart``), by kind, account and the side on which ``minor`` is positive (it makes the figure grow):

- ``interest``, ``lending:interest:{CUR}``: credited, interest a borrower paid;
- ``fees``, ``lending:fee-income:{CUR}``: credited, a late fee charged (a waiver debits it);
- ``premiums``, ``insurance:premiums:{MKT}:{CUR}``: credited, a premium sold (a cancellation's
  refund debits it);
- ``charge_offs``, ``lending:charge-offs:{CUR}``: debited, principal and fees written off (a
  recovery credits it);
- ``principal``, ``lending:principal:{LOAN}:{CUR}``: debited, money lent (repaid, refunded or
  written off credits it).

Lending books every movement with the loan's number as the transfer's reference; a premium's account
names its market. A transfer between two of these accounts (a charge-off of principal) gives a
posting for each side.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date

from django.db.models import Q

from millet.finance.models import LedgerTransfer
from millet.finance.services.exports import POSTED_KINDS
from millet.finance.services.reporting import MAX_POSTINGS

# kind, account code prefix, +1 when a credit makes the figure grow (-1: a debit does)
FINANCE_ACCOUNTS = (
    ("interest", "lending:interest:", 1),
    ("fees", "lending:fee-income:", 1),
    ("premiums", "insurance:premiums:", 1),
    ("charge_offs", "lending:charge-offs:", -1),
    ("principal", "lending:principal:", -1),
)


@dataclass(frozen=True)
class FinancePosting:
    """One side of a posted transfer on a finance account: ``kind`` as in the module's table,
    ``account`` its code, ``minor`` signed integer minor units of ``currency``, ``reference`` the
    transfer's (a loan's number for lending, a policy's for premiums), ``day`` its business day
    (``booked_on``, else the UTC day it was posted), ``market`` the market a premium's account
    names ("" for lending's accounts, which are per currency or per loan)."""

    transfer_id: int
    kind: str
    account: str
    currency: str
    minor: int
    reference: str
    day: date
    market: str


def _side(code: str) -> tuple[str, int] | None:
    for kind, prefix, sign in FINANCE_ACCOUNTS:
        if code.startswith(prefix):
            return kind, sign
    return None


def finance_postings(after_id: int, *, limit: int = MAX_POSTINGS) -> list[FinancePosting]:
    """Postings of the posted transfers with an id above ``after_id`` that touch a finance account,
    oldest first. ``limit`` caps the transfers read (1 to ``MAX_POSTINGS``), so both postings of a
    transfer come in the same answer; ask again from the last transfer id for more."""
    limit = max(1, min(limit, MAX_POSTINGS))
    touches = Q()
    for _kind, prefix, _sign in FINANCE_ACCOUNTS:
        touches |= Q(credit_account__code__startswith=prefix) | Q(debit_account__code__startswith=prefix)
    rows = (
        LedgerTransfer.objects.filter(touches, id__gt=after_id, kind__in=POSTED_KINDS)
        .order_by("id")
        .values_list(
            "id",
            "credit_account__code",
            "debit_account__code",
            "amount",
            "currency",
            "reference",
            "created_at",
            "booked_on",
        )[:limit]
    )
    postings = []
    for transfer_id, credit, debit, amount, currency, reference, created_at, booked_on in rows:
        day = booked_on or created_at.astimezone(UTC).date()
        for code, credited in ((credit, 1), (debit, -1)):
            side = _side(code)
            if side is not None:
                kind, sign = side
                market = code.split(":")[2] if kind == "premiums" else ""
                minor = amount * credited * sign
                postings.append(
                    FinancePosting(transfer_id, kind, code, currency, minor, reference, day, market)
                )
    return postings
