"""Daily takings: a day's sales of a store's tills or of a market's web store, summarised per SKU
and posted to the general ledger once, as a store sends head office its close instead of order by
order (issue 13: ``millet demo --letter`` replays 2016 this way).

Each summary is booked on its own day (``booked_on``) as one chain through the batched ledger
(``finance.submit_batch``): its net revenue from the channel's clearing account (``gateway:tills``
for a store's tills, ``gateway:web`` for a web store) to the revenue account of the store or web
store, and its tax to the market's tax account. The lines stay in ``DailyTakingsLine``, so
``sku_sales`` (and through it revenue and units by product line) counts the same sales the ledger
does, to the minor unit.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime

from django.db import IntegrityError, transaction
from django.db.models import Min

from millet.core.errors import Unprocessable
from millet.finance import services as finance
from millet.regions.money import from_minor
from millet.regions.services import get_market
from millet.sales.models import DailyTakings, DailyTakingsLine
from millet.sales.services.stores import store_facts

STORE, WEB = DailyTakings.Channel.STORE, DailyTakings.Channel.WEB


@dataclass(frozen=True)
class TakingsLine:
    """One SKU's ``units`` sold in the day, their revenue without tax (``net_minor``) and the tax
    on it (``tax_minor``), in the takings' currency's minor units."""

    sku_id: int
    units: int
    net_minor: int
    tax_minor: int


@dataclass(frozen=True)
class Takings:
    """One day's takings of ``place``: a store's code (``channel`` "store") or a market's code
    (``channel`` "web"). ``tax_component`` names the tax account its tax goes to (e.g. "VAT")."""

    channel: str
    place: str
    day: date
    tax_component: str
    lines: tuple[TakingsLine, ...]


def _chain(takings: Takings, market: str, currency: str) -> tuple[finance.TransferSpec, ...]:
    if takings.channel == STORE:
        source = finance.gateway_account("tills", currency).code
        revenue = finance.store_revenue_account(takings.place, currency).code
    else:
        source = finance.gateway_account("web", currency).code
        revenue = finance.web_revenue_account(takings.place, currency).code
    tax = finance.tax_payable_account(market, takings.tax_component, currency).code
    reference = f"takings {takings.place} {takings.day.isoformat()}"
    key = f"takings:{takings.channel}:{takings.place}:{takings.day.isoformat()}"
    net = sum(line.net_minor for line in takings.lines)
    owed = sum(line.tax_minor for line in takings.lines)
    return tuple(
        finance.TransferSpec(
            debit=source,
            credit=credit,
            amount=amount,
            currency=currency,
            code=code,
            reference=reference,
            idempotency_key=f"{key}:{code}",
            booked_on=takings.day,
        )
        for credit, amount, code in ((revenue, net, "revenue"), (tax, owed, "tax"))
        if amount
    )


def _check(takings: Takings) -> None:
    if takings.channel not in (STORE, WEB):
        raise Unprocessable(f"unknown channel {takings.channel!r}", code="invalid_takings")
    if not takings.lines or len({line.sku_id for line in takings.lines}) != len(takings.lines):
        raise Unprocessable("takings need lines, one per SKU", code="invalid_takings")
    if any(line.units < 0 or line.net_minor < 0 or line.tax_minor < 0 for line in takings.lines):
        raise Unprocessable("takings lines are not negative (refunds are returns)", code="invalid_takings")


def post_daily_takings(summaries: Sequence[Takings]) -> int:
    """Record ``summaries`` and post them to the ledger in one batch (``finance.submit_batch``, at
    most ``finance.MAX_BATCH_TRANSFERS // 2`` summaries); returns the transfers posted.

    Idempotent: a summary already recorded for its channel, place and day is skipped (and its
    ledger transfers carry keys). All or nothing: 422 ``invalid_takings`` (an unknown channel, no
    lines, a SKU twice, a negative amount), 404 ``unknown_store`` or ``unknown_market``, or the
    ledger's first refusal, and nothing is recorded."""
    for takings in summaries:
        _check(takings)
    places: dict[tuple[str, str], tuple[str, str]] = {}  # (channel, place) -> (market, currency)
    for channel, place in {(t.channel, t.place) for t in summaries}:
        market = store_facts(place).market if channel == STORE else place
        places[(channel, place)] = (market, get_market(market).currency)
    with transaction.atomic():
        try:
            with transaction.atomic():
                return _record(summaries, places)
        except IntegrityError:
            # A twin (the same close sent again at once) recorded some of these days after we read
            # them: everything of ours rolled back, and the retry sees its commit and skips them (its
            # ledger transfers carry the same keys, so nothing was or is booked twice).
            return _record(summaries, places)


def _record(summaries: Sequence[Takings], places: dict[tuple[str, str], tuple[str, str]]) -> int:
    """Post and record the summaries not recorded yet; returns the transfers posted."""
    recorded = set(
        DailyTakings.objects.filter(
            place__in={t.place for t in summaries}, day__in={t.day for t in summaries}
        ).values_list("channel", "place", "day")
    )
    fresh = [t for t in summaries if (t.channel, t.place, t.day) not in recorded]
    posted = 0
    chains = [_chain(t, *places[(t.channel, t.place)]) for t in fresh]
    for result in finance.submit_batch([chain for chain in chains if chain]):
        if result.refusal is not None:
            raise result.refusal
        posted += len(result.transfers)
    rows = DailyTakings.objects.bulk_create(
        [
            DailyTakings(
                channel=t.channel, place=t.place, day=t.day, currency=places[(t.channel, t.place)][1]
            )
            for t in fresh
        ]
    )
    DailyTakingsLine.objects.bulk_create(
        [
            DailyTakingsLine(
                takings_id=row.pk,
                sku_id=line.sku_id,
                units=line.units,
                net=from_minor(line.net_minor, row.currency),
                tax=from_minor(line.tax_minor, row.currency),
            )
            for row, t in zip(rows, fresh, strict=True)
            for line in t.lines
        ],
        batch_size=5_000,
    )
    return posted


def first_takings_day(recorded_since: datetime) -> date | None:
    """The earliest trading day among the takings recorded at or after ``recorded_since`` (None if
    there are none): a summary arrives after its day, so a count kept by day from a watermark
    (``sku_sales``) recounts from here."""
    return DailyTakings.objects.filter(recorded_at__gte=recorded_since).aggregate(first=Min("day"))["first"]
