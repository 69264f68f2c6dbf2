"""Sections other domains add to the shopper's order page (e.g. device protection for its units).

The domains above sales may not be imported by it, so each registers a panel from its
``AppConfig.ready`` (``add_order_panel``); the order page renders every panel's HTML in order. A
panel sees the request, the signed-in actor and the order, and answers "" when it has nothing to say.
"""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest

from millet.accounts.actor import Actor

OrderPanel = Callable[[HttpRequest, Actor, object], str]
_panels: dict[str, OrderPanel] = {}


def add_order_panel(key: str, panel: OrderPanel) -> None:
    """Register ``panel(request, actor, order)``; adding the same key again replaces it."""
    _panels[key] = panel


def order_panels(request: HttpRequest, actor: Actor, order) -> list[str]:
    """The registered panels' HTML for this order, in the order they were registered, empty ones left out."""
    return [html for html in (panel(request, actor, order) for panel in _panels.values()) if html]
