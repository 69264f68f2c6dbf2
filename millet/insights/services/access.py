"""Who sees which figures: executives (the ``executive`` group) and staff see the whole company; a
store manager sees the figures of the stores they manage; anyone else is refused (403)."""

from __future__ import annotations

from dataclasses import dataclass

from millet.accounts.actor import Actor
from millet.core.errors import Forbidden
from millet.insights.metrics import STORE, parse_scope
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
