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
- ``devices_connected`` is a snapshot (``devices.connected_now``) the job takes for today; a past
  day's snapshot cannot be taken again, so a rebuild keeps the snapshots.
- Product lines, flash sales and stock are the job's too (``retail_series``).

**Idempotent from a watermark.** Catch-ups take the watermark row's lock, so one runs at a time (a
live one that finds it taken leaves the work to the running one and the job). Every revenue posting
with an id up to ``last_id`` is applied; above it, the ids already applied are kept in ``taken``.
``last_id`` only moves up to the newest transfer older than ``SETTLE`` (60 s), because a transfer
with a lower id may still be committing when a higher one is visible: the settling window is read
again each time and the ids in ``taken`` skipped, so every posting is applied exactly once as long
as a ledger write commits within 60 s of its rows' timestamp (the ledger's write path takes
milliseconds). ``rebuild`` empties the ledger series and applies everything from id 0 the same way,
so a rebuild equals the live rollups.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable
from datetime import date, timedelta

from django.db import transaction
from django.utils import timezone

from millet.accounts.actor import SYSTEM
from millet.devices import services as devices
from millet.finance import services as finance
from millet.insights.metrics import CHANNEL, COMPANY, MARKET, STORE, scope_key
from millet.insights.models import Rollup, Watermark
from millet.insights.services import retail_series
from millet.stores import services as stores

LEDGER = "ledger"
LEDGER_SERIES = ("revenue", "orders", "returns")
ACTIVATION_DAYS = 366  # the most ``devices.activations_per_day`` answers
SETTLE = timedelta(seconds=60)
CHUNK = 5_000

Key = tuple[str, str, date, str]  # series, scope, day, currency
Progress = Callable[[int, int], None]  # (last transfer id read, newest transfer id)


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


def _add(deltas: dict[Key, int]) -> None:
    """Add each delta to its rollup row, creating the rows that are missing (under the watermark lock)."""
    if not deltas:
        return
    keys = set(deltas)
    existing = {
        (r.series, r.scope, r.day, r.currency): r
        for r in Rollup.objects.filter(
            series__in={k[0] for k in keys}, scope__in={k[1] for k in keys}, day__in={k[2] for k in keys}
        )
        if (r.series, r.scope, r.day, r.currency) in keys
    }
    changed = []
    for key, delta in deltas.items():
        if key in existing:
            existing[key].amount += delta
            changed.append(existing[key])
    Rollup.objects.bulk_update(changed, ["amount"], batch_size=1000)
    Rollup.objects.bulk_create(
        [
            Rollup(series=k[0], scope=k[1], day=k[2], currency=k[3], amount=d)
            for k, d in deltas.items()
            if k not in existing
        ],
        batch_size=1000,
    )


def _locked_watermark(*, wait: bool) -> Watermark | None:
    Watermark.objects.get_or_create(name=LEDGER)
    query = Watermark.objects.select_for_update(skip_locked=not wait).filter(name=LEDGER)
    return query.first()


def _apply_ledger(watermark: Watermark, progress: Progress | None, *, live: bool = False) -> int:
    markets = _store_markets()
    taken = set(watermark.taken)
    newest = finance.last_transfer_id()
    after, applied = watermark.last_id, 0
    if live and taken:
        after = max(taken)  # only what is newer than anything applied; the job rereads the window
    while True:
        postings = finance.revenue_postings(after, limit=CHUNK)
        fresh = [p for p in postings if p.transfer_id not in taken]
        _add(_deltas(fresh, markets))
        taken.update(p.transfer_id for p in fresh)
        applied += len(fresh)
        if postings:
            after = postings[-1].transfer_id
        if progress is not None:
            progress(after if len(postings) == CHUNK else newest, newest)
        if len(postings) < CHUNK:
            break
    settled = finance.last_transfer_id(before=timezone.now() - SETTLE)
    watermark.last_id = max(watermark.last_id, settled)
    watermark.taken = sorted(i for i in taken if i > watermark.last_id)
    watermark.save(update_fields=["last_id", "taken", "updated_at"])
    return applied


def _recount_store_openings() -> None:
    wanted: dict[Key, int] = defaultdict(int)
    for store in stores.store_openings():
        if store.is_active and store.opened_on is not None:  # a store with no opening day counts nowhere
            for scope in (scope_key(COMPANY), scope_key(MARKET, store.market)):
                wanted[("stores_opened", scope, store.opened_on, "")] += 1
    _recount("stores_opened", wanted)


def _recount(series: str, wanted: dict[Key, int], *, since: date | None = None) -> None:
    """Make ``series``' rows (from ``since`` on, when given) equal ``wanted``: missing rows added,
    changed ones corrected, rows no longer wanted deleted."""
    rows = Rollup.objects.filter(series=series)
    if since is not None:
        rows = rows.filter(day__gte=since)
    have = {(r.series, r.scope, r.day, r.currency): r for r in rows}
    Rollup.objects.filter(pk__in=[r.pk for k, r in have.items() if k not in wanted]).delete()
    _add(
        {
            k: n - (have[k].amount if k in have else 0)
            for k, n in wanted.items()
            if k not in have or have[k].amount != n
        }
    )


def _recount_activations() -> None:
    since = timezone.now().date() - timedelta(days=ACTIVATION_DAYS)
    wanted: dict[Key, int] = {
        ("devices_activated", scope_key(COMPANY), day, ""): count
        for day, count in devices.activations_per_day(SYSTEM, days=ACTIVATION_DAYS)
        if day >= since
    }
    _recount("devices_activated", wanted, since=since)


@transaction.atomic
def catch_up(*, live: bool = False, progress: Progress | None = None) -> int | None:
    """Apply the revenue postings not yet rolled up and recount store openings and device
    activations; returns how many postings were applied.

    ``live`` (the event path, in a request) reads only postings newer than the newest applied, and
    returns None at once when another catch-up holds the watermark; the job (``live`` False) waits
    for the lock and rereads the whole settling window, so it also takes a posting that committed
    after a newer one was applied."""
    watermark = _locked_watermark(wait=not live)
    if watermark is None:
        return None
    applied = _apply_ledger(watermark, progress, live=live)
    if not live:
        _recount_store_openings()
        _recount_activations()
        retail_series.catch_up()
    return applied


def catch_up_after_commit(**_event) -> None:
    """Receiver of sales' ``order_fulfilled`` and ``units_returned`` (sent on commit): roll the new
    postings up now, unless a catch-up is already running (it or the job will take them)."""
    catch_up(live=True)


@transaction.atomic
def snapshot_devices(day: date | None = None) -> int:
    """Record how many devices are online now as ``day``'s snapshot (today, UTC); returns the count."""
    day = day or timezone.now().date()
    online = devices.connected_now(SYSTEM)["online"]
    Rollup.objects.update_or_create(
        series="devices_connected",
        scope=scope_key(COMPANY),
        day=day,
        currency="",
        defaults={"amount": online},
    )
    return online


@transaction.atomic
def rebuild(progress: Progress | None = None) -> int:
    """Empty the ledger series and roll the whole ledger up again from id 0 (store openings are
    recounted; device snapshots are kept). Returns the postings applied."""
    watermark = _locked_watermark(wait=True)
    Rollup.objects.filter(series__in=LEDGER_SERIES).delete()
    watermark.last_id, watermark.taken = 0, []
    applied = _apply_ledger(watermark, progress)
    _recount_store_openings()
    _recount_activations()
    retail_series.rebuild()
    return applied
