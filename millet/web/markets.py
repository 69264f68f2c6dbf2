"""Which market a page is in: the /shop/<market>/ URL, then the visitor's market cookie, then the
visitor's languages, then ``MILLET_DEFAULT_MARKET``.

The current market is kept in a context variable for the request (as Django keeps the active
language), so formatting (``web.formats``) needs no request.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

from django.conf import settings
from django.http import Http404, HttpRequest
from django.utils.translation.trans_real import parse_accept_lang_header

from millet.regions.services import MarketInfo, list_markets

MARKET_COOKIE = "millet_market"
MARKET_COOKIE_MAX_AGE = 365 * 24 * 3600

_current: ContextVar[MarketInfo | None] = ContextVar("millet_market", default=None)


class MarketConverter:
    """``<market:market>`` in a URL: a market code in lower case (cn, in, de), given to views in
    upper case (CN). Whether the market exists is the view's question (``market_or_404``)."""

    regex = "[a-z]{2}"

    def to_python(self, value: str) -> str:
        return value.upper()

    def to_url(self, value: str) -> str:
        return value.lower()


def market_info(code: str | None) -> MarketInfo | None:
    """The market with this code (any case), or None when there is no such market. Read from the
    cached ``list_markets``: an unknown code (a stale cookie, a default market not set up yet) costs
    no query either, as it did on every request through ``get_market``."""
    if not code or not isinstance(code, str) or len(code) != 2:
        return None
    return next((m for m in list_markets() if m.code == code.upper()), None)


def market_or_404(code: str) -> MarketInfo:
    """The market a /shop/<market>/ page is about; an unknown one is a 404 like any unknown page."""
    market = market_info(code)
    if market is None:
        raise Http404("unknown market")
    return market


def current_market() -> MarketInfo | None:
    """The market of the page being rendered (None outside a request, or before markets exist)."""
    return _current.get()


@contextmanager
def market_override(market: MarketInfo | None) -> Iterator[None]:
    """Render or format as in ``market`` (emails, tests), like ``translation.override``."""
    token = _current.set(market)
    try:
        yield
    finally:
        _current.reset(token)


def activate(market: MarketInfo | None):
    """Set the current market for this request; returns the token ``deactivate`` takes."""
    return _current.set(market)


def deactivate(token) -> None:
    _current.reset(token)


def market_for_languages(accept_language: str) -> str | None:
    """The market a browser's languages point to: a region subtag naming a market (en-IN -> IN),
    else a language that is some market's first (hi -> IN, de -> DE, zh -> CN); None if neither."""
    markets = list_markets()
    codes = {m.code for m in markets}
    first_languages = {m.languages[0].split("-")[0]: m.code for m in markets if m.languages}
    for tag, _quality in parse_accept_lang_header(accept_language or ""):
        parts = tag.replace("_", "-").split("-")
        regions = [p.upper() for p in parts[1:] if len(p) == 2]
        for region in regions:
            if region in codes:
                return region
        if parts[0] in first_languages:
            return first_languages[parts[0]]
    return None


def visitor_market(request: HttpRequest) -> MarketInfo | None:
    """A page's market when its URL names none: the cookie, the browser's languages, the default."""
    return (
        market_info(request.COOKIES.get(MARKET_COOKIE))
        or market_info(market_for_languages(request.headers.get("Accept-Language", "")))
        or market_info(settings.MILLET_DEFAULT_MARKET)
    )
