"""Geometry for the dashboard's server-rendered SVG charts.

Computed here and only drawn by the template, so the page needs no JavaScript or chart library and
works offline. Lengths are whole SVG units derived with Decimal arithmetic: money never becomes a
float, not even on its way to a pixel.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from millet.stores.services import CLUB_THRESHOLDS, RankingRow

CHART_WIDTH = 840
LABEL_WIDTH = 300
VALUE_WIDTH = 170
ROW_HEIGHT = 30
PLOT_WIDTH = CHART_WIDTH - LABEL_WIDTH - VALUE_WIDTH


@dataclass(frozen=True)
class Bar:
    rank: int
    label: str
    code: str | None
    value_label: str
    y: int
    width: int | None  # None: the figure is hidden from this viewer, draw no bar
    highlight: bool
    in_club: bool


@dataclass(frozen=True)
class BarChart:
    market: str
    currency: str
    bars: list[Bar]
    width: int
    height: int
    label_width: int
    value_x: int
    club_x: int | None  # where the 100-million-club threshold falls, when it is on the scale


def _scaled(value: Decimal, maximum: Decimal, length: int) -> int:
    if maximum <= 0:
        return 0
    return int((value * length / maximum).to_integral_value(rounding=ROUND_HALF_UP))


def ranking_chart(market: str, rows: list[RankingRow]) -> BarChart:
    """One market's ranking as horizontal bars, scaled to the best figure the viewer may see."""
    visible = [row.revenue for row in rows if row.revenue is not None]
    maximum = max(visible, default=Decimal(0))
    currency = rows[0].currency if rows else ""
    bars = []
    for index, row in enumerate(rows):
        hidden = row.revenue is None
        bars.append(
            Bar(
                rank=row.rank,
                label=f"Store ranked #{row.rank}" if hidden else f"{row.store_name} ({row.store_code})",
                code=row.store_code,
                value_label="" if hidden else f"{row.revenue:,} {row.currency}",
                y=index * ROW_HEIGHT,
                width=None if hidden else _scaled(row.revenue, maximum, PLOT_WIDTH),
                highlight=row.own,
                in_club=bool(row.in_100m_club),
            )
        )
    threshold = CLUB_THRESHOLDS.get(currency)
    club_x = None
    if threshold is not None and Decimal(0) < threshold <= maximum:
        club_x = LABEL_WIDTH + _scaled(threshold, maximum, PLOT_WIDTH)
    return BarChart(
        market=market,
        currency=currency,
        bars=bars,
        width=CHART_WIDTH,
        height=max(len(rows), 1) * ROW_HEIGHT,
        label_width=LABEL_WIDTH,
        value_x=LABEL_WIDTH + PLOT_WIDTH + 8,
        club_x=club_x,
    )


@dataclass(frozen=True)
class ProgressBar:
    opened_width: int
    planned_width: int
    target_x: int
    width: int


def progress_bar(opened: int, planned: int, target: int, *, width: int = 420) -> ProgressBar:
    """Opened and planned stores stacked against the target; the scale stretches if they exceed it."""
    scale = Decimal(max(opened + planned, target, 1))
    return ProgressBar(
        opened_width=_scaled(Decimal(opened), scale, width),
        planned_width=_scaled(Decimal(planned), scale, width),
        target_x=_scaled(Decimal(target), scale, width),
        width=width,
    )
