"""Geometry for the dashboard's server-rendered bars.

Computed here and only drawn by the template, so the page needs no JavaScript or chart library and
works offline. Lengths are whole per-mille of the bar track (``web.bars``, shared with the credit
monitoring's chart), derived with Decimal arithmetic: money never becomes a float, not even on its
way to a pixel. The template draws each track as an SVG stretched to the row's width, so a ranking
reads as well at 360 px as on a desktop, with its labels as page text (translated, wrapped, found
by screen readers) rather than SVG text.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from django.utils.translation import gettext

from millet.stores.services import CLUB_THRESHOLDS, RankingRow
from millet.web.bars import scaled


@dataclass(frozen=True)
class Bar:
    rank: int
    label: str
    code: str | None
    revenue: Decimal | None  # None: the figure is hidden from this viewer, draw no bar
    currency: str
    width: int | None  # per-mille of the track; None when the figure is hidden
    highlight: bool
    in_club: bool


@dataclass(frozen=True)
class BarChart:
    market: str
    currency: str
    bars: list[Bar]
    club_x: int | None  # where the 100-million-club threshold falls (per-mille), when it is on the scale


def ranking_chart(market: str, rows: list[RankingRow]) -> BarChart:
    """One market's ranking as horizontal bars, scaled to the best figure the viewer may see.

    A store whose figures the viewer may not see keeps its rank and no name ("Store ranked #3")."""
    visible = [row.revenue for row in rows if row.revenue is not None]
    maximum = max(visible, default=Decimal(0))
    currency = rows[0].currency if rows else ""
    bars = [
        Bar(
            rank=row.rank,
            label=(
                gettext("Store ranked #%(rank)s") % {"rank": row.rank}
                if row.revenue is None
                else f"{row.store_name} ({row.store_code})"
            ),
            code=row.store_code,
            revenue=row.revenue,
            currency=row.currency,
            width=None if row.revenue is None else scaled(row.revenue, maximum),
            highlight=row.own,
            in_club=bool(row.in_100m_club),
        )
        for row in rows
    ]
    threshold = CLUB_THRESHOLDS.get(currency)
    club_x = None
    if threshold is not None and Decimal(0) < threshold <= maximum:
        club_x = scaled(threshold, maximum)
    return BarChart(market=market, currency=currency, bars=bars, club_x=club_x)


@dataclass(frozen=True)
class ProgressBar:
    opened_width: int
    planned_width: int
    target_x: int


def progress_bar(opened: int, planned: int, target: int) -> ProgressBar:
    """Opened and planned stores stacked against the target, in per-mille of the track; the scale
    stretches if they exceed it."""
    scale = Decimal(max(opened + planned, target, 1))
    return ProgressBar(
        opened_width=scaled(Decimal(opened), scale),
        planned_width=scaled(Decimal(planned), scale),
        target_x=scaled(Decimal(target), scale),
    )
