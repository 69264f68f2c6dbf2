"""A counter of changes to what the goal cards show, so a page may keep its rendered cards until the
next one: a rollup written (``catch_up``, ``snapshot_devices``, ``rebuild``), a goal or an exchange
rate saved or deleted (signals wired in ``InsightsConfig.ready``, so the back office counts too).

The counter is the ``last_id`` of the ``Watermark`` row named ``figures``: in the database, so
every worker and every replica reader sees the number that goes with the figures it reads, and
bumped in the transaction that changes them. A number is never handed out twice, even when the
database goes back in time (a restore from backup, a rolled-back test) while the cache keeps its
parts: each change moves the counter to at least the current time in microseconds.
"""

from __future__ import annotations

import time

from django.db.models import F, Value
from django.db.models.functions import Greatest

from millet.insights.models import Watermark

FIGURES = "figures"


def figures_version() -> int:
    """The version of the figures (0 before the first change, which nothing may cache); one query."""
    return Watermark.objects.filter(name=FIGURES).values_list("last_id", flat=True).first() or 0


def bump_figures_version(**_signal) -> None:
    """Count one change (also a receiver of ``post_save`` and ``post_delete``)."""
    now = time.time_ns() // 1000
    counter = Watermark.objects.filter(name=FIGURES)
    if not counter.update(last_id=Greatest(F("last_id") + 1, Value(now))):
        _row, created = Watermark.objects.get_or_create(name=FIGURES, defaults={"last_id": now})
        if not created:  # made by a concurrent first change: count this one too
            counter.update(last_id=Greatest(F("last_id") + 1, Value(now)))
