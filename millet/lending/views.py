"""The risk officers' monitoring page: live scores against training, PSI, and cohorts.

The chart is inline SVG whose geometry is computed here, as the store dashboard does, so the page
needs no JavaScript or chart library and works offline.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from millet.accounts.actor import actor_for_user
from millet.core.errors import Conflict, Forbidden
from millet.lending.services.monitoring import MonitoringReport, monitoring_report

PLOT_HEIGHT = 220
GROUP_WIDTH = 76
BAR_WIDTH = 30
TOP = 10


@dataclass(frozen=True)
class BucketBars:
    x: int
    label: str
    training_y: int
    training_height: int
    live_y: int
    live_height: int
    training_pct: str
    live_pct: str


def _bars(report: MonitoringReport) -> tuple[list[BucketBars], int]:
    highest = max(
        [b.training_share for b in report.buckets] + [b.live_share for b in report.buckets] + [0.01]
    )
    bars = []
    for i, b in enumerate(report.buckets):
        t = round(PLOT_HEIGHT * b.training_share / highest)
        lv = round(PLOT_HEIGHT * b.live_share / highest)
        low = "" if b.lower is None else f"{b.lower:g}"
        high = "" if b.upper is None else f"{b.upper:g}"
        bars.append(
            BucketBars(
                x=i * GROUP_WIDTH,
                label=f"{low}–{high}" if low and high else (f"< {high}" if high else f"≥ {low}"),
                training_y=TOP + PLOT_HEIGHT - t,
                training_height=t,
                live_y=TOP + PLOT_HEIGHT - lv,
                live_height=lv,
                training_pct=f"{b.training_share:.0%}",
                live_pct=f"{b.live_share:.0%}",
            )
        )
    return bars, len(bars) * GROUP_WIDTH


@login_required
def monitoring(request: HttpRequest) -> HttpResponse:
    try:
        report = monitoring_report(actor_for_user(request.user))
    except Forbidden as exc:
        raise PermissionDenied(exc.detail) from None
    except Conflict as exc:  # no approved model yet
        return render(request, "lending/monitoring.html", {"problem": exc.detail}, status=409)
    bars, width = _bars(report)
    context = {
        "report": report,
        "bars": bars,
        "width": width,
        "height": TOP + PLOT_HEIGHT + 40,
        "baseline": TOP + PLOT_HEIGHT,
        "label_y": TOP + PLOT_HEIGHT + 18,
        "bar_width": BAR_WIDTH,
    }
    return render(request, "lending/monitoring.html", context)
