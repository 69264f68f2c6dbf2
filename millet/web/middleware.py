"""Every page knows its market, and speaks the market's first language until the visitor picks one."""

from __future__ import annotations

import re

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.utils import translation
from django.utils.cache import patch_vary_headers

from millet.web import markets

SHOP_PATH = re.compile(r"^/shop/([a-z]{2})/")
# Not pages: the API answers in the Accept-Language it is sent, the admin and static files need no market.
NOT_PAGES = ("/api/", "/admin/", "/static/")


def chosen_language(request: HttpRequest) -> str | None:
    """The language the visitor picked with the switcher (Django's language cookie), if valid."""
    value = request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME)
    if not value:
        return None
    try:
        return translation.get_supported_language_variant(value)
    except LookupError:
        return None


def market_language(market: markets.MarketInfo) -> str | None:
    """The market's first language that Millet speaks."""
    for language in market.languages:
        try:
            return translation.get_supported_language_variant(language)
        except LookupError:
            continue
    return None


class MarketMiddleware:
    """Sets ``request.market`` (a ``regions.MarketInfo``, or None before any market exists) and the
    current market for formatting. Goes after LocaleMiddleware: where the visitor has not chosen a
    language, the page is in its market's first language, not the browser's."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.path_info.startswith(NOT_PAGES):
            request.market = None
            return self.get_response(request)
        in_url = SHOP_PATH.match(request.path_info)
        market = (markets.market_info(in_url[1]) if in_url else None) or markets.visitor_market(request)
        request.market = market
        if market is not None and chosen_language(request) is None:
            language = market_language(market)
            if language:
                translation.activate(language)
                request.LANGUAGE_CODE = translation.get_language()
        token = markets.activate(market)
        try:
            response = self.get_response(request)
        finally:
            markets.deactivate(token)
        patch_vary_headers(response, ("Cookie", "Accept-Language"))
        if in_url and market and response.status_code == 200:
            if request.COOKIES.get(markets.MARKET_COOKIE) != market.code:
                response.set_cookie(
                    markets.MARKET_COOKIE,
                    market.code,
                    max_age=markets.MARKET_COOKIE_MAX_AGE,
                    samesite="Lax",
                    secure=settings.SESSION_COOKIE_SECURE,
                    httponly=True,
                )
        return response
