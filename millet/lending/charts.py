"""Geometry for the monitoring page's score distribution, drawn by the template as SVG tracks.

One row per score bucket (the training deciles): the share of training scores and the share of
live applications in it, each a bar in per-mille of a track scaled to the largest share on the
chart (``web.bars``, the store dashboard's rule). Labels and figures are page text beside the
bars, so the chart reads at 360 px and to a screen reader; the page needs no JavaScript or chart
library.
"""

from __future__ import annotations

from dataclasses import dataclass

from millet.lending.services import MonitoringReport
from millet.web.bars import scaled


@dataclass(frozen=True)
class BucketRow:
    label: str  # the bucket's score range: "0.12–0.31", "< 0.12", "≥ 0.87"
    training_share: float
    live_share: float
    training_width: int
    live_width: int


def distribution_rows(report: MonitoringReport) -> list[BucketRow]:
    """The report's buckets as bars; an empty bucket draws nothing."""
    highest = max(
        [b.training_share for b in report.buckets] + [b.live_share for b in report.buckets] + [0.01]
    )
    rows = []
    for b in report.buckets:
        low = "" if b.lower is None else f"{b.lower:g}"
        high = "" if b.upper is None else f"{b.upper:g}"
        rows.append(
            BucketRow(
                label=f"{low}–{high}" if low and high else (f"< {high}" if high else f"≥ {low}"),
                training_share=b.training_share,
                live_share=b.live_share,
                training_width=scaled(b.training_share, highest),
                live_width=scaled(b.live_share, highest),
            )
        )
    return rows
