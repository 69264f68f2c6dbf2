"""Sections other domains add to the shopper's order page (e.g. device protection for its units).

The domains above sales may not be imported by it, so each registers a panel from its
``AppConfig.ready`` (``add_order_panel``); the order page renders every panel's HTML in order. A
panel sees the request, the signed-in actor, the order and what it was refused (``None`` but when
the page answers that panel's own refused form), and answers "" when it has nothing to say.

A panel's form posts to its own domain's view. When the service refuses it, that view answers with
the order page again (``sales.views.refused_on_order_page``: a 4xx, the refusal shown where it was asked and
nothing changed), never with a redirect; only a POST that went through redirects.
"""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest

from millet.accounts.actor import Actor

OrderPanel = Callable[[HttpRequest, Actor, object, object | None], str]
_panels: dict[str, OrderPanel] = {}


def add_order_panel(key: str, panel: OrderPanel) -> None:
    """Register ``panel(request, actor, order, refused)``; adding the same key again replaces it."""
    _panels[key] = panel


def order_panels(
    request: HttpRequest, actor: Actor, order, refused: tuple[str, object] | None = None
) -> list[str]:
    """The registered panels' HTML for this order, in the order they were registered, empty ones
    left out. ``refused`` is ``(key, state)``: the panel registered under ``key`` gets ``state``
    (its refused form, say) back, every other panel ``None``."""
    key, state = refused or ("", None)
    html = (panel(request, actor, order, state if name == key else None) for name, panel in _panels.items())
    return [part for part in html if part]
