"""The links of the navigation, registered by the domain that owns each page.

A domain adds its pages in its ``AppConfig.ready`` (``nav.add(...)``), with the roles that may use
them, so a page and its link land together and no central list grows a conflict per page:

- ``STAFF``: the header's role slot and the staff landing page (``/staff/``), only for actors the
  link's ``allowed`` accepts (issue 11: each role sees only what it may use);
- ``ACCOUNT``: the signed-in shopper's own things (orders, loans, policies, devices) on /account/;
- ``DEVELOPER``: the footer's links for staff and developers, shown to everyone (each page checks
  its own access).

The cart link in the store's header comes from the domain that keeps carts (``nav.set_cart``).

Promotions are the store's offers of the moment in one market (a flash sale live or upcoming): a
domain registers a provider (``nav.add_promotions``) and the store's menu and home page show them.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from django.conf import settings
from django.urls import NoReverseMatch, get_script_prefix, get_urlconf, reverse
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from millet.accounts.actor import Actor

STAFF, ACCOUNT, DEVELOPER = "staff", "account", "developer"
AREAS = (STAFF, ACCOUNT, DEVELOPER)

Allowed = Callable[[Actor | None], bool]


def everyone(actor: Actor | None) -> bool:
    return True


def signed_in(actor: Actor | None) -> bool:
    return actor is not None


def staff_only(actor: Actor | None) -> bool:
    return actor is not None and actor.is_staff


def back_office(actor: Actor | None) -> bool:
    return actor is not None and actor.uses_back_office


@dataclass(frozen=True)
class Link:
    area: str
    key: str  # unique within its area; adding the same key again replaces the link
    label: str | Promise
    url_name: str  # a URL name (reversed without arguments) or a path starting with "/"
    allowed: Allowed = everyone
    description: str | Promise = ""
    order: int = 100

    @property
    def href(self) -> str:
        if self.url_name.startswith("/"):
            return self.url_name
        return _reversed(self.url_name, get_script_prefix(), get_urlconf() or settings.ROOT_URLCONF)


@functools.cache
def _reversed(url_name: str, prefix: str, urlconf: str) -> str:
    """A link's URL, reversed once per process for each script prefix and URL configuration it is
    asked under: the header's and footer's menus name some thirty links on every page."""
    return reverse(url_name, urlconf=urlconf)


_links: dict[tuple[str, str], Link] = {}


def add(link: Link) -> None:
    """Register a link (from the owning domain's ``AppConfig.ready``)."""
    if link.area not in AREAS:
        raise ValueError(f"unknown navigation area {link.area!r}; one of {AREAS}")
    _links[(link.area, link.key)] = link


def links(area: str, actor: Actor | None) -> list[Link]:
    """The links of ``area`` this actor may use, in order; a link whose URL does not resolve is left out."""
    found = []
    for link in sorted((lk for lk in _links.values() if lk.area == area), key=lambda lk: (lk.order, lk.key)):
        if not link.allowed(actor):
            continue
        try:
            link.href  # noqa: B018 (resolves the URL now, so a broken name never reaches a page)
        except NoReverseMatch:
            continue
        found.append(link)
    return found


def add_builtin_links() -> None:
    """The links that belong to no domain: the back office and the API documentation."""
    add(
        Link(
            STAFF,
            "admin",
            _("Back office"),
            "admin:index",
            back_office,
            _("Orders, stock, serial units, the ledger and the store network."),
            order=90,
        )
    )
    add(Link(DEVELOPER, "admin", _("Back office"), "admin:index", order=10))
    add(Link(DEVELOPER, "api-docs", _("API documentation"), "/api/docs", order=20))


@dataclass(frozen=True)
class Promotion:
    """An offer a market's pages announce: what kind it is (the menu's label, "Flash sale"), its
    title, a line on when it runs (translated by the provider), its page, and when it runs (``live``
    once it has started by the server's clock)."""

    kind: str | Promise
    title: str
    note: str
    href: str
    starts_at: datetime
    ends_at: datetime
    live: bool


Promotions = Callable[[str], list[Promotion]]
_promotions: dict[str, Promotions] = {}


def add_promotions(key: str, provider: Promotions) -> None:
    """Register ``provider(market_code)``, the market's current offers (from ``AppConfig.ready``)."""
    _promotions[key] = provider


def promotions(market: str) -> list[Promotion]:
    """Every provider's offers in ``market``, live ones first, then by start."""
    found = [promo for provider in _promotions.values() for promo in provider(market)]
    return sorted(found, key=lambda p: (not p.live, p.starts_at))


@dataclass(frozen=True)
class CartLink:
    """The header's cart link in one market: its page and how many units the cart holds."""

    href: str
    units: int


CartProvider = Callable[[Actor | None, str], CartLink]
_cart: list[CartProvider] = []


def set_cart(provider: CartProvider) -> None:
    """Register ``provider(actor, market_code)``, the cart link of the header (from ``AppConfig.ready``)."""
    _cart[:] = [provider]


def cart(actor: Actor | None, market: str) -> CartLink | None:
    """The cart link for this actor in ``market``; None while no domain keeps carts."""
    return _cart[0](actor, market) if _cart else None
