"""Daily rollups: each series per scope and UTC day, kept up to date from the other domains.

- ``revenue`` and ``orders`` follow the ledger's revenue postings (``finance.revenue_postings``)
  from a watermark. ``catch_up`` runs on commit of every sale fulfilled and every return (sales'
  events, wired in ``InsightsConfig.ready``) and in ``millet insights_catch_up`` (the job that
  picks up what no event announced: refunds without serials, daily takings posted in batches).
  Each posting lands in the scopes ``company``, ``market:{M}``, ``channel:{store|web}`` and, for a
  store, ``store:{CODE}``.
- ``returns`` counts the refunds among those postings (a debit of a revenue account).
- ``devices_activated`` is recounted from ``devices.activations_per_day`` for the last
  ``ACTIVATION_DAYS`` days on each job run (older days keep their counts: activations do not change).
- ``stores_opened`` is recounted from the store list (``stores.store_openings``) on each catch-up.
- ``devices_connected`` is a snapshot the job takes for today, for the company and per model and
  firmware (``device_series.connected_snapshot``); a past day's snapshot cannot be taken again, so
  a rebuild keeps the snapshots.
- ``batch_units_sold`` and ``batch_units_failed`` are recounted whole on each job run and rebuild
  (``device_series.batch_rows``).

- The finance series (interest, fees, premiums, the credit book, charge-offs, credit decisions,
  30+ days past due) are kept by ``finance_series``, called from ``catch_up`` and ``rebuild``.
- Product lines, flash sales and stock are the job's too (``retail_series``).

**Idempotent from a watermark.** Catch-ups take the watermark row's lock, so one runs at a time (a
live one that finds it taken leaves the work to the running one and the job); the revenue postings
are applied from it as ``rollup_rows.apply_feed`` says. ``rebuild`` empties the ledger series and
applies everything from id 0 the same way, so a rebuild equals the live rollups.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import date, timedelta

from django.db import transaction
from django.utils import timezone

from millet.accounts.actor import SYSTEM, Actor
from millet.core.errors import Unprocessable
from millet.devices import services as devices
from millet.finance import services as finance
from millet.insights.metrics import CHANNEL, COMPANY, MARKET, STORE, scope_key
from millet.insights.models import Rollup, Watermark
from millet.insights.services import device_series, finance_series, retail_series
from millet.insights.services.rollup_rows import Key, Progress, apply_feed, locked_watermark, recount
from millet.insights.services.versions import bump_figures_version
from millet.stores import services as stores

LEDGER = "ledger"
LEDGER_SERIES = ("revenue", "orders", "returns")
ACTIVATION_DAYS = 366  # the most ``devices.activations_per_day`` answers


def _store_markets() -> dict[str, str]:
    return {s.code: s.market for s in stores.store_openings()}


def _scopes(account: str, markets: dict[str, str]) -> list[str] | None:
    """The scopes a revenue account's postings count in; None for an account of no known shape."""
    parts = account.split(":")
    if len(parts) != 4:
        return None
    _revenue, channel, who, _currency = parts
    if channel == "store":
        market = markets.get(who)
        if market is None:
            return None
        return [
            scope_key(COMPANY),
            scope_key(MARKET, market),
            scope_key(CHANNEL, "store"),
            scope_key(STORE, who),
        ]
    if channel == "web":
        return [scope_key(COMPANY), scope_key(MARKET, who), scope_key(CHANNEL, "web")]
    return None


def _deltas(postings: Iterable[finance.RevenuePosting], markets: dict[str, str]) -> dict[Key, int]:
    deltas: dict[Key, int] = defaultdict(int)
    for posting in postings:
        for scope in _scopes(posting.account, markets) or ():
            deltas[("revenue", scope, posting.day, posting.currency)] += posting.minor
            deltas[("orders" if posting.minor > 0 else "returns", scope, posting.day, "")] += 1
    return deltas


def _apply_ledger(watermark: Watermark, progress: Progress | None, *, live: bool = False) -> int:
    markets = _store_markets()
    return apply_feed(
        watermark, finance.revenue_postings, lambda postings: _deltas(postings, markets), progress, live=live
    )


def _recount_store_openings() -> bool:
    wanted: dict[Key, int] = defaultdict(int)
    for store in stores.store_openings():
        if store.is_active and store.opened_on is not None:  # a store with no opening day counts nowhere
            for scope in (scope_key(COMPANY), scope_key(MARKET, store.market)):
                wanted[("stores_opened", scope, store.opened_on, "")] += 1
    return recount("stores_opened", wanted)


def _recount_activations() -> bool:
    since = timezone.now().date() - timedelta(days=ACTIVATION_DAYS)
    wanted: dict[Key, int] = {
        ("devices_activated", scope_key(COMPANY), day, ""): count
        for day, count in devices.activations_per_day(SYSTEM, days=ACTIVATION_DAYS)
        if day >= since
    }
    return recount("devices_activated", wanted, since=since)


def _recount_batches() -> bool:
    changed = [recount(series, wanted) for series, wanted in device_series.batch_rows().items()]
    return any(changed)


@transaction.atomic
def catch_up(*, live: bool = False, progress: Progress | None = None) -> int | None:
    """Apply the revenue postings not yet rolled up and recount store openings and device
    activations; returns how many postings were applied.

    ``live`` (the event path, in a request) reads only postings newer than the newest applied, and
    returns None at once when another catch-up holds the watermark; the job (``live`` False) waits
    for the lock and rereads the whole settling window, so it also takes a posting that committed
    after a newer one was applied."""
    watermark = locked_watermark(LEDGER, wait=not live)
    if watermark is None:
        return None
    applied = _apply_ledger(watermark, progress, live=live)
    finances = finance_series.catch_up(live=live, progress=progress)
    recounted = not live and any(
        [_recount_store_openings(), _recount_activations(), _recount_batches(), retail_series.catch_up()]
    )
    if applied or finances or recounted:
        bump_figures_version()
    return applied


_deferred: ContextVar[bool] = ContextVar("insights_catch_up_deferred", default=False)


def catch_up_after_commit(**_event) -> None:
    """Receiver of sales' ``order_fulfilled`` and ``units_returned`` (sent on commit): roll the new
    postings up now, unless a catch-up is already running (it or the job will take them), or the
    caller deferred it (``catch_up_deferred``)."""
    if not _deferred.get():
        catch_up(live=True)


@contextmanager
def catch_up_deferred() -> Iterator[None]:
    """Within the block, this thread's sales events roll nothing up; one catch-up at its end takes
    every posting. For bulk work that places orders one by one (the demo's 2,000 checkouts), where
    a catch-up after each order was a quarter of the time. Other threads and processes, and the
    job, are not affected."""
    token = _deferred.set(True)
    try:
        yield
    finally:
        _deferred.reset(token)
    catch_up()


@transaction.atomic
def snapshot_devices(day: date | None = None) -> int:
    """Record how many devices are online now, in total, per model and per firmware, as ``day``'s
    snapshot (today, UTC; taken again, it replaces that day's); returns the total."""
    day = day or timezone.now().date()
    wanted = device_series.connected_snapshot(day)
    if recount(device_series.CONNECTED, wanted, on=day):
        bump_figures_version()
    return wanted[(device_series.CONNECTED, scope_key(COMPANY), day, "")]


@transaction.atomic
def record_devices_connected(*, actor: Actor, day: date, total: int) -> None:
    """Record the company's connected devices on a past ``day`` from a record kept before Millet took
    its own snapshots (the letter's "over 50 million devices connected" at the end of 2016): the
    ``devices_connected`` snapshot of that day, replaced if there was one. Staff only (403). 422
    ``invalid_snapshot`` for a count that is not a whole number from 0 to 10^12, or a day that is
    not in the past (today's is ``snapshot_devices``', from the devices themselves)."""
    actor.require_staff()
    if isinstance(total, bool) or not isinstance(total, int) or not 0 <= total <= 10**12:
        raise Unprocessable("a count of devices is a whole number from 0 to 10^12", code="invalid_snapshot")
    if day >= timezone.now().date():
        raise Unprocessable("only a past day's count can be recorded", code="invalid_snapshot")
    series = device_series.CONNECTED
    if recount(series, {(series, scope_key(COMPANY), day, ""): total}, on=day):
        bump_figures_version()


@transaction.atomic
def rebuild(progress: Progress | None = None) -> int:
    """Empty the ledger series and roll the whole ledger up again from id 0 (store openings and
    batches are recounted; device snapshots are kept). Returns the postings applied."""
    watermark = locked_watermark(LEDGER, wait=True)
    Rollup.objects.filter(series__in=LEDGER_SERIES).delete()
    watermark.last_id, watermark.taken = 0, []
    applied = _apply_ledger(watermark, progress)
    finance_series.rebuild(progress)
    _recount_store_openings()
    _recount_activations()
    _recount_batches()
    retail_series.rebuild()
    bump_figures_version()
    return applied
