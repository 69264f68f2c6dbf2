"""Who sees which figures: executives (the ``executive`` group) and staff see the whole company; a
store manager sees the figures of the stores they manage; anyone else is refused (403)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from millet.accounts.actor import Actor
from millet.core.errors import Forbidden, Unprocessable
from millet.core.replicas import replica_reads
from millet.insights.metrics import STORE, parse_scope
from millet.insights.services.figures import BreakdownRow, breakdown, get_metric
from millet.insights.services.rates import RateBook
from millet.stores import services as stores


@dataclass(frozen=True)
class Viewer:
    everything: bool
    stores: frozenset[str]  # codes of the stores a manager may see (empty for executives)

    def sees(self, scope: str) -> bool:
        kind, value = parse_scope(scope)
        return self.everything or (kind == STORE and value in self.stores)


def viewer_for(actor: Actor) -> Viewer:
    """The actor's view of the figures; 403 ``forbidden`` for customers and cashiers."""
    if actor.is_executive:
        return Viewer(True, frozenset())
    managed = {store_id for store_id, role in actor.store_roles.items() if role == "manager"}
    if not managed:
        raise Forbidden("insights are for executives, staff and store managers")
    return Viewer(False, frozenset(s.code for s in stores.store_openings() if s.id in managed))


MAX_PERIOD_DAYS = 3660  # ten years: the longest drill-down a page or a CSV answers


def check_period(start: date, end: date) -> None:
    """422 ``invalid_period`` for an end before the start or a period over ten years."""
    if end < start or (end - start).days >= MAX_PERIOD_DAYS:
        raise Unprocessable("a period ends on or after its start, within ten years", code="invalid_period")


@replica_reads
def drill_down(
    *, actor: Actor, metric: str, by: str, start: date, end: date, rates: RateBook | None = None
) -> list[BreakdownRow]:
    """``breakdown`` for the actor: executives by any scope the metric has; a manager by store, their
    own stores only (403 for another breakdown). 422 for an unknown metric or period. ``rates``: a
    ``RateBook`` the caller shares with its other figures (one is made otherwise)."""
    viewer = viewer_for(actor)
    found = get_metric(metric)
    check_period(start, end)
    if not viewer.everything and by != STORE:
        raise Forbidden("store managers see their own stores' figures only")
    only = None if viewer.everything else set(viewer.stores)
    return breakdown(found, by, start, end, only=only, rates=rates)
