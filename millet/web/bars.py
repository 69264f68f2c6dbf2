"""The one length rule of the pages' server-rendered bar charts (the store dashboard's ranking and
openings, the credit monitoring's score distribution).

A bar is drawn by its template as an SVG track stretched to the row's width, so a length is a whole
per-mille of the track (``SCALE``), never pixels. It is worked out in Decimal and rounded half up,
so money never becomes a float on its way to a bar, and a share (a float) is taken at the decimal
it prints as, so the same figure always draws the same length.
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

SCALE = 1000  # a bar's full length, in per-mille of its track


def scaled(value: Decimal | float, maximum: Decimal | float, length: int = SCALE) -> int:
    """``value``'s length on a track of ``length`` where ``maximum`` fills it; 0 when ``maximum``
    is not positive (an empty chart draws no bars)."""
    value, maximum = Decimal(str(value)), Decimal(str(maximum))
    if maximum <= 0:
        return 0
    return int((value * length / maximum).to_integral_value(rounding=ROUND_HALF_UP))
