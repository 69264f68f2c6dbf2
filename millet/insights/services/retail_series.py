"""Retail rollups (issue 13): product lines, flash sales and stock, kept by the catch-up job.

- ``line_revenue`` (minor units, per currency) and ``line_units``, in the scopes ``company`` and
  ``product_line:{CATEGORY}``: the sales of each SKU per UTC day (``sales.sku_sales``) under the
  catalog category of the SKU (``catalog.skus_by_id``). Recounted from a watermark day: every run
  replaces the days from the UTC day of the previous run's start less ``SETTLE`` on, so a sale or a
  return that commits within ``SETTLE`` of its timestamp is counted, once, whatever the order of
  commits; and from the earliest trading day of the daily takings recorded since that day
  (``sales.first_takings_day``), which arrive after the day they sum up.
- ``flash_won``, ``flash_paid``, ``flash_sold_out`` (1 per campaign that sold out) and
  ``flash_sellout_ms`` (milliseconds from start to sell-out), in the scopes ``company``,
  ``market:{M}`` and ``campaign:{CODE}``, on the UTC day each campaign started
  (``flashsale.campaign_outcomes``). Every run replaces the whole days of the campaigns still open,
  or created or closed since the previous run's start less ``SETTLE``: a closed campaign's outcome
  is final.
- ``stock_on_hand``, ``stock_sold_28d`` and ``stock_outs``, in the scopes ``company`` and
  ``store:{CODE}``: today's (UTC) snapshot of ``inventory.stock_by_location``, replaced on each run.
  A past day's snapshot cannot be taken again, so a rebuild keeps them.

Both watermarks are ``Watermark`` rows (``last_id``: a date's ordinal for the product lines, epoch
seconds for the flash sales; 0 recounts everything). The caller holds the ledger watermark's lock
(``rollups.catch_up`` and ``rollups.rebuild``), so one run at a time writes these rows.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import UTC, date, datetime, time

from django.utils import timezone

from millet.catalog import services as catalog
from millet.flashsale import services as flashsale
from millet.insights.metrics import CAMPAIGN, COMPANY, MARKET, PRODUCT_LINE, STORE, scope_key
from millet.insights.models import Rollup, Watermark
from millet.insights.services.rollup_rows import SETTLE, Key, replace
from millet.inventory import services as inventory
from millet.sales import services as sales
from millet.stores import services as stores

LINES, FLASH = "product_lines", "flashsale"  # the watermarks' names
LINE_SERIES = ("line_revenue", "line_units")
FLASH_SERIES = ("flash_won", "flash_paid", "flash_sold_out", "flash_sellout_ms")
STOCK_SERIES = ("stock_on_hand", "stock_sold_28d", "stock_outs")
COVER_DAYS = 28  # the sales a stock cover is measured against (``metrics.stock_cover``'s scale)


def _watermark(name: str) -> Watermark:
    return Watermark.objects.get_or_create(name=name)[0]


def _move(watermark: Watermark, last_id: int) -> None:
    watermark.last_id = last_id
    watermark.save(update_fields=["last_id", "updated_at"])


def _recount_lines(started: datetime) -> bool:
    watermark = _watermark(LINES)
    since = date.fromordinal(watermark.last_id) if watermark.last_id else None
    if since is not None:  # daily takings recorded since then may be for earlier days
        late = sales.first_takings_day(datetime.combine(since, time.min, tzinfo=UTC))
        since = since if late is None else min(since, late)
    found = sales.sku_sales(since)
    lines = {sku_id: info.category for sku_id, info in catalog.skus_by_id({f.sku_id for f in found}).items()}
    wanted: dict[Key, int] = defaultdict(int)
    for f in found:
        for scope in (scope_key(COMPANY), scope_key(PRODUCT_LINE, lines[f.sku_id])):
            wanted[("line_revenue", scope, f.day, f.currency)] += f.minor
            wanted[("line_units", scope, f.day, "")] += f.units
    rows = Rollup.objects.filter(series__in=LINE_SERIES)
    changed = replace(rows if since is None else rows.filter(day__gte=since), wanted)
    _move(watermark, (started - SETTLE).date().toordinal())
    return changed


def _recount_flash_sales(started: datetime) -> bool:
    watermark = _watermark(FLASH)
    since = datetime.fromtimestamp(watermark.last_id, tz=UTC) if watermark.last_id else None
    outcomes = flashsale.campaign_outcomes(changed_since=since)
    wanted: dict[Key, int] = defaultdict(int)
    for o in outcomes:
        figures = {"flash_won": o.won, "flash_paid": o.paid}
        if o.sold_out_ms is not None:
            figures |= {"flash_sold_out": 1, "flash_sellout_ms": o.sold_out_ms}
        for scope in (scope_key(COMPANY), scope_key(MARKET, o.market), scope_key(CAMPAIGN, o.code)):
            for series, amount in figures.items():
                wanted[(series, scope, o.started_on, "")] += amount
    rows = Rollup.objects.filter(series__in=FLASH_SERIES)
    changed = replace(
        rows if since is None else rows.filter(day__in={o.started_on for o in outcomes}), wanted
    )
    _move(watermark, int((started - SETTLE).timestamp()))
    return changed


def snapshot_stock(day: date) -> bool:
    """Replace ``day``'s stock snapshot with the stock now: units on hand, units sold over the last
    ``COVER_DAYS`` days and stock-outs, for the company and each store's location."""
    store_of = {s.location_id: s.code for s in stores.store_openings()}
    wanted: dict[Key, int] = {(series, scope_key(COMPANY), day, ""): 0 for series in STOCK_SERIES}
    for place in inventory.stock_by_location(days=COVER_DAYS):
        scopes = [scope_key(COMPANY)]
        if place.location_id in store_of:
            scopes.append(scope_key(STORE, store_of[place.location_id]))
        for scope in scopes:
            for series, amount in zip(
                STOCK_SERIES, (place.on_hand, place.sold, place.stock_outs), strict=True
            ):
                wanted[(series, scope, day, "")] = wanted.get((series, scope, day, ""), 0) + amount
    return replace(Rollup.objects.filter(series__in=STOCK_SERIES, day=day), wanted)


def catch_up() -> bool:
    """The job's part: recount product lines and flash sales from their watermarks, and take
    today's stock snapshot (UTC). True if a figure changed."""
    started = timezone.now()
    return any([_recount_lines(started), _recount_flash_sales(started), snapshot_stock(started.date())])


def rebuild() -> None:
    """Recount product lines and flash sales from scratch (stock snapshots are kept)."""
    Watermark.objects.filter(name__in=(LINES, FLASH)).update(last_id=0)
    started = timezone.now()
    _recount_lines(started)
    _recount_flash_sales(started)
