"""Internet finance's daily rollups, kept for ``rollups.catch_up`` and ``rollups.rebuild``. Every
series is per UTC day in the scopes ``company`` and ``market:{M}``; money in the posting's currency.

- ``interest_income``, ``fee_income``, ``premiums`` (and ``finance_income``, their sum),
  ``charge_offs`` and ``credit_book`` follow the ledger's finance postings
  (``finance.finance_postings``) from their own watermark (``FEED``) on the transfer id, the way
  revenue follows the revenue postings (``rollup_rows.apply_feed``: each posting applied once, on
  the sales events' live path too). ``credit_book`` is the day's net principal lent (lent less
  repaid, refunded or written off), so its running total is the book outstanding. A premium's
  market is the one its account names; a loan's is asked of lending (``lending.loan_markets``).
- ``credit_approved`` and ``credit_decided`` count credit decisions per day
  (``lending.credit_decisions``). A decision is dated when it is made, so the job recounts only the
  days from its last recount on (less the settling window; the ``DECISIONS`` watermark keeps that
  moment); a rebuild recounts them all. One made for an earlier business day
  (``apply_for_credit(on=...)``, history such as the demo's) is dated on it: only a rebuild counts it.
- ``credit_past_due_30`` is the job's snapshot of the principal more than 30 days past due
  (``lending.past_due``) for today. A scope and currency the last snapshot had and today's has not
  is written as 0, so a book that cured or was charged off reads 0, not an older figure. A past
  day's snapshot cannot be taken again: a rebuild keeps them (and takes today's again).
"""

from __future__ import annotations

from collections import defaultdict
from datetime import UTC, datetime

from django.utils import timezone

from millet.finance import services as finance
from millet.insights.metrics import COMPANY, MARKET, scope_key
from millet.insights.models import Rollup, Watermark
from millet.insights.services.rollup_rows import SETTLE, Key, Progress, apply_feed, locked_watermark, recount
from millet.lending import services as lending

FEED = "finance"  # the finance postings' watermark (transfer ids)
DECISIONS = "credit-decisions"  # its last_id: when the decisions were last recounted (UNIX seconds)
SERIES = {  # finance posting kind -> its rollup series
    "interest": "interest_income",
    "fees": "fee_income",
    "premiums": "premiums",
    "charge_offs": "charge_offs",
    "principal": "credit_book",
}
INCOME = ("interest", "fees", "premiums")  # the kinds ``finance_income`` adds up
FEED_SERIES = (*SERIES.values(), "finance_income")
APPROVED, DECIDED = "credit_approved", "credit_decided"
PAST_DUE = "credit_past_due_30"


def _scopes(market: str | None) -> list[str]:
    return [scope_key(COMPANY)] + ([scope_key(MARKET, market)] if market else [])


def _deltas(postings: list[finance.FinancePosting]) -> dict[Key, int]:
    loans = lending.loan_markets({p.reference for p in postings if not p.market})
    deltas: dict[Key, int] = defaultdict(int)
    for posting in postings:
        names = [SERIES[posting.kind]] + (["finance_income"] if posting.kind in INCOME else [])
        for scope in _scopes(posting.market or loans.get(posting.reference)):
            for name in names:
                deltas[(name, scope, posting.day, posting.currency)] += posting.minor
    return deltas


def _recount_decisions(watermark: Watermark, *, everything: bool) -> bool:
    started = timezone.now()
    since = None
    if watermark.last_id and not everything:
        since = (datetime.fromtimestamp(watermark.last_id, UTC) - SETTLE).date()
    wanted: dict[Key, int] = defaultdict(int)
    for decided in lending.credit_decisions(since):
        for scope in _scopes(decided.market):
            wanted[(APPROVED, scope, decided.day, "")] += decided.approved
            wanted[(DECIDED, scope, decided.day, "")] += decided.decided
    changed = [
        recount(name, {k: n for k, n in wanted.items() if k[0] == name and n}, since=since)
        for name in (APPROVED, DECIDED)
    ]
    watermark.last_id = int(started.timestamp())
    watermark.save(update_fields=["last_id", "updated_at"])
    return any(changed)


def _snapshot_past_due() -> bool:
    """Write today's (UTC) 30+ days past due book in every scope, replacing today's earlier snapshot."""
    today = timezone.now().date()
    wanted: dict[Key, int] = {}
    last = Rollup.objects.filter(series=PAST_DUE, day__lte=today).order_by("-day").values("day")[:1]
    for scope, currency in Rollup.objects.filter(series=PAST_DUE, day__in=last).values_list(
        "scope", "currency"
    ):
        wanted[(PAST_DUE, scope, today, currency)] = 0
    for book in lending.past_due():
        for scope in _scopes(book.market):
            key = (PAST_DUE, scope, today, book.currency)
            wanted[key] = wanted.get(key, 0) + book.minor
    return recount(PAST_DUE, wanted, since=today)


def catch_up(*, live: bool, progress: Progress | None = None) -> bool:
    """Apply the finance postings not yet rolled up (``live``: none when another catch-up holds the
    watermark, it takes them); the job (``live`` False) also recounts the recent credit decisions
    and takes today's past-due snapshot. Runs in the caller's transaction. True if a figure changed."""
    watermark = locked_watermark(FEED, wait=not live)
    if watermark is None:
        return False
    applied = apply_feed(watermark, finance.finance_postings, _deltas, progress, live=live)
    if live:
        return applied > 0
    decisions = _recount_decisions(locked_watermark(DECISIONS, wait=True), everything=False)
    return any([applied, decisions, _snapshot_past_due()])


def rebuild(progress: Progress | None = None) -> None:
    """Empty the finance postings' series and apply every posting from transfer id 0, recount every
    credit decision and take today's past-due snapshot (earlier ones are kept)."""
    watermark = locked_watermark(FEED, wait=True)
    Rollup.objects.filter(series__in=FEED_SERIES).delete()
    watermark.last_id, watermark.taken = 0, []
    apply_feed(watermark, finance.finance_postings, _deltas, progress)
    _recount_decisions(locked_watermark(DECISIONS, wait=True), everything=True)
    _snapshot_past_due()
