"""Pace: where a goal stands against a straight line from its start to its due date.

The line runs from the figure at the start (0 for a flow such as revenue; the level reached before
the start for a running total or a snapshot, e.g. the 54 stores open when "1,000 in three years"
was set) to the target on the due date, counting whole days with both ends included. A goal is
*on track* within a band of 5% of the distance to cover on either side of the line, *ahead* above
it and *behind* below it; the band keeps a day's noise from flipping the badge. Pure arithmetic on
Decimals: no tables, no actor.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

AHEAD, ON_TRACK, BEHIND = "ahead", "on_track", "behind"
BAND = Decimal("0.05")


@dataclass(frozen=True)
class Pace:
    status: str  # AHEAD, ON_TRACK or BEHIND
    expected: Decimal  # where the straight line is on the as-of day
    gap: Decimal  # actual - expected (negative: behind the line)
    remaining: Decimal  # target - actual, never below 0
    days_left: int  # days after the as-of day up to and including the due date
    needed_per_day: Decimal | None  # remaining / days_left; None when no day is left
    reached: bool
    elapsed: Decimal  # share of the period gone, 0 to 1


def pace(
    *, actual: Decimal, target: Decimal, baseline: Decimal, starts_on: date, due_on: date, as_of: date
) -> Pace:
    """The pace of a goal on ``as_of``; ``due_on`` must be after ``starts_on``."""
    total = (due_on - starts_on).days + 1
    gone = min(max((as_of - starts_on).days + 1, 0), total)
    elapsed = Decimal(gone) / Decimal(total)
    expected = baseline + (target - baseline) * elapsed
    gap = actual - expected
    band = abs(target - baseline) * BAND
    status = AHEAD if gap > band else BEHIND if gap < -band else ON_TRACK
    remaining = max(target - actual, Decimal(0))
    days_left = total - gone
    per_day = remaining / days_left if days_left and remaining else None
    return Pace(status, expected, gap, remaining, days_left, per_day, actual >= target, elapsed)
