"""The flash-sale gate's request path: the lightest Django allows, for this one route only.

``POST /api/flashsale/campaigns/{code}/claims`` with a bearer token is the Singles-Day hot path. This
middleware sits right after the security middleware (forwarded headers, HTTPS, NUL refusal, the
security headers, all still applied) and answers it with one Redis call (``claim_with_token``: the
token check and the claim in one script), skipping sessions, locale, CSRF (a bearer token is not a
cookie, so there is nothing to forge), the user lookup, messages and routing. The answers are the
API route's own: 201 with the claim, or ``{"error", "detail"}`` with the refusal's status.

Whatever this path cannot answer (no Redis, no bearer token, the token's owner not in the shared
cache, a revoked token, a campaign the gate does not hold) goes down the full chain to the API route,
which authenticates against the database, fills the cache and decides, so both paths share one
implementation of every rule.
"""

from __future__ import annotations

import json
import re

from django.http import HttpRequest, HttpResponse
from django.urls import reverse
from django.utils import translation
from ninja.responses import NinjaJSONEncoder

from millet.core.client_address import client_address
from millet.core.errors import DomainError, ServiceUnavailable
from millet.core.outage import retry_later
from millet.flashsale import services
from millet.flashsale.schemas import CODE_PATTERN


class GateFastPathMiddleware:
    def __init__(self, get_response) -> None:
        self.get_response = get_response
        self._route: re.Pattern | None = None

    def route(self) -> re.Pattern:
        """The claim route's path, from the URL configuration (resolved once, on the first POST)."""
        if self._route is None:
            marker = "CODE"
            path = reverse("api:flashsale_claim", kwargs={"code": marker})
            before, after = path.split(marker)
            self._route = re.compile(f"{re.escape(before)}({CODE_PATTERN}){re.escape(after)}")
        return self._route

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.method == "POST":
            scheme, _, token = request.META.get("HTTP_AUTHORIZATION", "").partition(" ")
            if token and scheme.lower() == "bearer":
                found = self.route().fullmatch(request.path_info)
                if found:
                    response = claim(request, found[1], token)
                    if response is not None:
                        return response
        return self.get_response(request)


def claim(request: HttpRequest, code: str, token: str) -> HttpResponse | None:
    try:
        view = services.claim_with_token(token, code, ip=client_address(request))
    except ServiceUnavailable as exc:
        # This path answers before LocaleMiddleware: the outage's sentence in the language asked.
        with translation.override(translation.get_language_from_request(request)):
            return retry_later(_json({"error": exc.code, "detail": str(exc.detail)}, exc.status_code))
    except DomainError as exc:
        return _json({"error": exc.code, "detail": exc.detail}, exc.status_code)
    # vars, not asdict: the fields as they are; asdict deep-copies each, about 25 us of a 201.
    return None if view is None else _json(vars(view), 201)


def _json(data: dict, status: int) -> HttpResponse:
    body = json.dumps(data, cls=NinjaJSONEncoder)  # as the API renders it
    return HttpResponse(body, status=status, content_type="application/json; charset=utf-8")
