"""A dependency that is down answers 503 Service Unavailable with ``Retry-After``, never a 500.

Redis (``REDIS_URL``) going away is not a bug in the request: the caller should come back in a
moment. Where Redis is only an optimisation, its users go on without it and never get here: the
shared cache of small facts (``core.shared_cache``), cached sessions (``core.sessions``), the API
token cache, live device news. Where it holds the truth, the request is refused before anything is
written, and lands here: the flash-sale gate's stock and its click attempts, sign-in failure counts
(a guesser must not get unlimited tries while they cannot be counted), API throttles, and signing
out or revoking a token (a copied cookie or token must not come back to life with Redis).

One answer for all of them, whichever layer raised:

- ``OutageMiddleware.process_exception``: a view, a template, a service (a page's or an API
  route's: django-ninja re-raises what it has no handler for);
- ``server_error`` (``handler500``): a middleware (a session saved on the way out, say);
- ``ServiceUnavailable`` (``core.errors``), a domain error, where a service refuses on its own or an
  API's error handler answers: ``retry_later`` adds the header.

Pages get ``503.html``, standalone like ``500.html`` (the base layout's header reads the market,
the cart and the menu, which is what may be failing); ``/api/`` gets Millet's error body.
"""

from __future__ import annotations

import logging
import sys

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.template.loader import render_to_string
from django.utils.translation import gettext as _
from django.views.defaults import server_error as django_server_error

from millet.core.errors import ServiceUnavailable
from millet.core.redis_client import is_outage

log = logging.getLogger(__name__)

# What ``Retry-After`` says: a restarted Redis answers within seconds, a failed-over cluster master
# within a few; asking sooner than this only adds load to a recovering system.
RETRY_AFTER_SECONDS = 10

API_PREFIX = "/api/"


def unavailable_detail() -> str:
    """The API's sentence for an outage, in the request's language."""
    return _("a service Millet depends on is not answering; try again in a moment")


def retry_later(response: HttpResponse) -> HttpResponse:
    """``response`` with ``Retry-After`` (a 503's; RFC 9110 15.6.4)."""
    response["Retry-After"] = str(RETRY_AFTER_SECONDS)
    return response


def unavailable_response(request: HttpRequest, exc: BaseException) -> HttpResponse:
    """503 for ``request``: the API's error body under /api/ (a ``ServiceUnavailable``'s own code
    and detail), else the 503 page in the request's language."""
    log.warning("%s %s: a dependency is unavailable: %r", request.method, request.path, exc)
    if request.path_info.startswith(API_PREFIX):
        if isinstance(exc, ServiceUnavailable):
            body = {"error": exc.code, "detail": exc.detail}
        else:
            body = {"error": ServiceUnavailable.code, "detail": unavailable_detail()}
        return retry_later(JsonResponse(body, status=503))
    return retry_later(HttpResponse(render_to_string("503.html"), status=503))


def is_unavailable(exc: BaseException) -> bool:
    """An outage of Redis, or a service's own refusal because of one."""
    return isinstance(exc, ServiceUnavailable) or is_outage(exc)


class OutageMiddleware:
    """Turns an outage raised by a view (or a template it renders) into the 503 answer."""

    def __init__(self, get_response) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_exception(self, request: HttpRequest, exc: Exception) -> HttpResponse | None:
        return unavailable_response(request, exc) if is_unavailable(exc) else None


def server_error(request: HttpRequest) -> HttpResponse:
    """``handler500``: what a middleware raised reaches Django's last resort, still being handled
    (``sys.exc_info``); an outage answers 503, anything else Django's 500 page."""
    exc = sys.exc_info()[1]
    if exc is not None and is_unavailable(exc):
        return unavailable_response(request, exc)
    return django_server_error(request)
