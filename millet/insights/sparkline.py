"""Geometry of a goal card's sparkline: the figure so far against the straight line to the target.

Drawn by the template as inline SVG, like the store dashboard's charts (``stores/charts.py``): two
paths and a dot need no charting library, and computing them here keeps the figures Decimal until
the last rounding to a tenth of an SVG unit. Each line is one compact path (``M x y L x y x y ...``),
the shortest markup for it: at most ``MAX_POINTS`` points, so a card's SVG stays small whatever the
goal's length. (pygal would draw the same from floats, with its own stylesheet and no text
alternative we control; the card's text says the figures anyway.)
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_UP, Decimal

WIDTH, HEIGHT, PAD = 240, 56, 3
MAX_POINTS = 120
TENTH = Decimal("0.1")


@dataclass(frozen=True)
class Sparkline:
    width: int
    height: int
    path: str  # the actual figure's path data, "M x y L x y x y ...", oldest first ("" for none)
    pace: str  # the straight line from start to target, "M x y L x y"
    last: tuple[str, str] | None  # where the latest figure is, for a dot


def _path(points: list[tuple[str, str]]) -> str:
    if not points:
        return ""
    (x, y), rest = points[0], points[1:]
    return f"M{x} {y}" + ("L" + " ".join(f"{x} {y}" for x, y in rest) if rest else "")


def _at(value: Decimal, scale: Decimal, length: int) -> Decimal:
    return (value * length / scale).quantize(TENTH, rounding=ROUND_HALF_UP) if scale else Decimal(0)


def sparkline(
    series: list[tuple[date, Decimal]], *, baseline: Decimal, target: Decimal, starts_on: date, due_on: date
) -> Sparkline:
    """``series``: (day, figure) inside the goal's period, oldest first; at most ``MAX_POINTS`` are
    drawn (the last of each run of days), so a three-year goal stays a small SVG."""
    if len(series) > MAX_POINTS:
        step = -(-len(series) // MAX_POINTS)
        series = series[step - 1 :: step] + ([series[-1]] if (len(series) % step) else [])
    days = Decimal((due_on - starts_on).days or 1)
    low = min([Decimal(0), baseline, *(v for _d, v in series)])
    top = max([target, baseline, *(v for _d, v in series)]) - low
    plot_w, plot_h = WIDTH - 2 * PAD, HEIGHT - 2 * PAD

    def xy(day: date, value: Decimal) -> tuple[str, str]:
        x = PAD + _at(Decimal((day - starts_on).days), days, plot_w)
        y = HEIGHT - PAD - _at(value - low, top, plot_h)
        return str(x), str(y)

    points = [xy(day, value) for day, value in series]
    return Sparkline(
        WIDTH,
        HEIGHT,
        _path(points),
        _path([xy(starts_on, baseline), xy(due_on, target)]),
        points[-1] if points else None,
    )
