"""How rollup rows are written, for every module that keeps a series (``rollups``,
``finance_series``): add deltas, recount a series, take a feed's watermark, and apply a feed of
ledger postings from its watermark exactly once.

**A feed from a watermark** (``apply_feed``). Every posting with a transfer id up to ``last_id`` is
applied; above it, the ids already applied are kept in ``taken``. ``last_id`` only moves up to the
newest transfer older than ``SETTLE`` (60 s), because a transfer with a lower id may still be
committing when a higher one is visible: the settling window is read again each time and the ids in
``taken`` skipped, so every posting is applied exactly once as long as a ledger write commits within
60 s of its rows' timestamp (the ledger's write path takes milliseconds). Callers hold the
watermark's row lock (``locked_watermark``), so one catch-up of a feed runs at a time.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import date, timedelta

from django.db.models import QuerySet
from django.utils import timezone

from millet.finance import services as finance
from millet.insights.models import Rollup, Watermark

SETTLE = timedelta(seconds=60)
CHUNK = 5_000

Key = tuple[str, str, date, str]  # series, scope, day, currency
Progress = Callable[[int, int], None]  # (last transfer id read, newest transfer id)


def add(deltas: dict[Key, int]) -> None:
    """Add each delta to its rollup row, creating the rows that are missing (under a watermark lock)."""
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


def replace(rows: QuerySet[Rollup], wanted: dict[Key, int]) -> bool:
    """Make ``rows`` (the slice of rollups being recounted) equal ``wanted``: rows no longer wanted
    deleted, changed amounts corrected, missing rows created (a zero is a row: a snapshot of none).
    True if any row changed."""
    have = {(r.series, r.scope, r.day, r.currency): r for r in rows}
    deleted, _by_model = Rollup.objects.filter(
        pk__in=[r.pk for k, r in have.items() if k not in wanted]
    ).delete()
    changes = {
        k: n - (have[k].amount if k in have else 0)
        for k, n in wanted.items()
        if k not in have or have[k].amount != n
    }
    add(changes)
    return bool(deleted or changes)


def recount(
    series: str, wanted: dict[Key, int], *, since: date | None = None, on: date | None = None
) -> bool:
    """Make ``series``' rows (from ``since`` on, or of the day ``on``, when given) equal ``wanted``
    (see ``replace``)."""
    rows = Rollup.objects.filter(series=series)
    if since is not None:
        rows = rows.filter(day__gte=since)
    if on is not None:
        rows = rows.filter(day=on)
    return replace(rows, wanted)


def locked_watermark(name: str, *, wait: bool) -> Watermark | None:
    """The watermark ``name``, locked (made on first use); None when ``wait`` is False and another
    catch-up holds it."""
    Watermark.objects.get_or_create(name=name)
    query = Watermark.objects.select_for_update(skip_locked=not wait).filter(name=name)
    return query.first()


def apply_feed(
    watermark: Watermark,
    read: Callable[..., Sequence],
    fold: Callable[[list], dict[Key, int]],
    progress: Progress | None,
    *,
    live: bool = False,
) -> int:
    """Apply the postings ``read(after_id, limit=CHUNK)`` answers past the watermark (each with a
    ``transfer_id``, both postings of a transfer in one answer), folded into rollup deltas by
    ``fold``; returns how many were applied. ``live`` reads only what is newer than anything applied
    (the job, not live, rereads the settling window)."""
    taken = set(watermark.taken)
    newest = finance.last_transfer_id()
    after, applied = watermark.last_id, 0
    if live and taken:
        after = max(taken)
    while True:
        postings = read(after, limit=CHUNK)
        fresh = [p for p in postings if p.transfer_id not in taken]
        add(fold(fresh))
        taken.update(p.transfer_id for p in fresh)
        applied += len(fresh)
        if postings:
            after = postings[-1].transfer_id
        if progress is not None:
            progress(after if len(postings) >= CHUNK else newest, newest)
        if len(postings) < CHUNK:
            break
    settled = finance.last_transfer_id(before=timezone.now() - SETTLE)
    watermark.last_id = max(watermark.last_id, settled)
    watermark.taken = sorted(i for i in taken if i > watermark.last_id)
    watermark.save(update_fields=["last_id", "taken", "updated_at"])
    return applied
