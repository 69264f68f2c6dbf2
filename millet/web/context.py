"""What the base layout needs on every page: the market, the switchers and the navigation.

Everything costly is lazy (computed only when a template reads it), so a fragment rendered for htmx
that never shows the header pays nothing for it.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

from django.conf import settings
from django.http import HttpRequest
from django.urls import reverse
from django.utils.functional import SimpleLazyObject

from millet.accounts.actor import Actor, request_actor
from millet.regions.money import currency_symbol
from millet.regions.services import list_markets
from millet.web import nav
from millet.web.formats import market_name


@dataclass(frozen=True)
class MarketChoice:
    code: str
    name: str
    currency: str
    symbol: str
    url: str
    current: bool


class Navigation:
    """The links the signed-in actor (or an anonymous visitor) may use, by area (see ``web.nav``)."""

    def __init__(self, request: HttpRequest) -> None:
        self.request = request

    @cached_property
    def actor(self) -> Actor | None:
        """The view's actor (``request_actor``: the roles are read once per request), None for a visitor."""
        user = getattr(self.request, "user", None)
        return request_actor(self.request) if user is not None and user.is_authenticated else None

    @cached_property
    def is_employee(self) -> bool:
        return self.actor is not None and self.actor.is_employee

    @cached_property
    def staff(self) -> list[nav.Link]:
        return nav.links(nav.STAFF, self.actor) if self.actor is not None else []

    @cached_property
    def account(self) -> list[nav.Link]:
        return nav.links(nav.ACCOUNT, self.actor)

    @cached_property
    def developer(self) -> list[nav.Link]:
        return nav.links(nav.DEVELOPER, self.actor)

    @cached_property
    def cart(self) -> nav.CartLink | None:
        """The header's cart link (``nav.set_cart``); none outside a market's pages."""
        market = getattr(self.request, "market", None)
        return nav.cart(self.actor, market.code) if market is not None else None

    @cached_property
    def promotions(self) -> list[nav.Promotion]:
        """The market's offers of the moment (``nav.add_promotions``); none outside a market's pages."""
        market = getattr(self.request, "market", None)
        return nav.promotions(market.code) if market is not None else []


def market_home(code: str) -> str:
    return reverse("catalog:home", kwargs={"market": code})


def _market_choices(request: HttpRequest) -> list[MarketChoice]:
    current = getattr(request, "market", None)
    return [
        MarketChoice(
            code=m.code,
            name=market_name(m.code, m.name),
            currency=m.currency,
            symbol=currency_symbol(m.currency),
            url=market_home(m.code),
            current=current is not None and current.code == m.code,
        )
        for m in list_markets()
    ]


def web(request: HttpRequest) -> dict:
    """The base layout's context (``TEMPLATES`` context processor)."""
    market = getattr(request, "market", None)
    return {
        "market": market,
        "market_name": market_name(market.code, market.name) if market is not None else "",
        "market_home_url": market_home(market.code) if market is not None else "/",
        "markets": SimpleLazyObject(lambda: _market_choices(request)),
        "nav": Navigation(request),
        "site_languages": settings.LANGUAGES,
    }
