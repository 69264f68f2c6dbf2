"""The store network dashboard: ranking, expansion goals and the openings pipeline on one page."""

from __future__ import annotations

from itertools import groupby

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from millet.accounts.actor import request_actor
from millet.core.errors import Forbidden
from millet.core.replicas import replica_reads
from millet.stores.charts import progress_bar, ranking_chart
from millet.stores.models import PlannedOpening
from millet.stores.services import expansion_progress, planned_openings, ranking_for


@login_required
@replica_reads
def dashboard(request: HttpRequest) -> HttpResponse:
    """Back-office staff and executives see everything; managers see where their own stores rank,
    highlighted."""
    actor = request_actor(request)
    try:
        rows = ranking_for(actor)
    except Forbidden as exc:
        raise PermissionDenied(exc.detail) from None
    charts = [ranking_chart(market, list(group)) for market, group in groupby(rows, key=lambda r: r.market)]
    context = {"charts": charts, "is_staff": actor.is_executive}
    if actor.is_executive:
        context["goals"] = [
            (p, progress_bar(p.opened, p.planned, p.target)) for p in expansion_progress(actor=actor)
        ]
        openings = list(planned_openings(actor=actor))
        context["pipeline"] = [
            (label, [o for o in openings if o.stage == stage])
            for stage, label in PlannedOpening.Stage.choices
        ]
    return render(request, "stores/dashboard.html", context)
