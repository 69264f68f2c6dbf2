"""Refuse text with NUL characters before it reaches the database.

PostgreSQL cannot store U+0000 in text and raises on it, which would surface as a 500; no name,
code or serial number legitimately contains one, so it is bad input: a 400, in the URL or the body
(the API's JSON through ``NulRejectingParser``, a page's form through ``RejectNulInFormMiddleware``).
"""

from __future__ import annotations

import json

from django.conf import settings
from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest, JsonResponse
from django.template.loader import render_to_string
from django.utils import translation
from ninja.parser import Parser

from millet.core.outage import API_PREFIX


def contains_nul(value: object) -> bool:
    if isinstance(value, str):
        return "\x00" in value
    if isinstance(value, dict):
        return any(contains_nul(k) or contains_nul(v) for k, v in value.items())
    if isinstance(value, list):
        return any(contains_nul(v) for v in value)
    return False


class NulRejectingParser(Parser):
    def parse_body(self, request: HttpRequest):
        data = json.loads(request.body)
        if contains_nul(data):  # django-ninja answers a body its parser refuses with a 400
            raise ValueError("text must not contain NUL characters")
        return data


class RejectNulInUrlMiddleware:
    def __init__(self, get_response) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest):
        if "\x00" in request.path or any(contains_nul([key, *values]) for key, values in request.GET.lists()):
            return refusal(request, "the URL must not contain NUL characters")
        return self.get_response(request)


class RejectNulInFormMiddleware:
    """A posted form (a page's, the broker's questions) with a NUL in a field's name or value is a
    400 before any view reads it: views that take ``request.POST`` as it comes (a home's name, a
    login to invite, an order number) would otherwise hand it to PostgreSQL and answer 500. Django's
    form fields refuse NUL themselves; this covers the views that read the fields directly.

    A URL-encoded form is read whole (Django bounds it by ``DATA_UPLOAD_MAX_MEMORY_SIZE``); a
    multipart one only when it declares no more than that: a bigger one carries an upload, which its
    view may refuse by the declared size before anything reads it (``vision.api``). JSON, and a
    camera's JPEG, are not forms."""

    def __init__(self, get_response) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest):
        if request.method == "POST" and _small_form(request):
            if any(contains_nul([key, *values]) for key, values in request.POST.lists()):
                return refusal(request, "the form must not contain NUL characters")
        return self.get_response(request)


def refusal(request: HttpRequest, detail: str) -> HttpResponse:
    """The 400: under /api/ the API's documented error shape (an upload's form is the API's), else
    the 400 page in the request's language (these middlewares run before the locale's)."""
    if request.path_info.startswith(API_PREFIX):
        return JsonResponse({"error": "invalid", "detail": detail}, status=400)
    with translation.override(translation.get_language_from_request(request)):
        return HttpResponseBadRequest(render_to_string("400.html"))


def _small_form(request: HttpRequest) -> bool:
    if request.content_type == "application/x-www-form-urlencoded":
        return True
    if request.content_type != "multipart/form-data":
        return False
    try:
        declared = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        return False
    return declared <= settings.DATA_UPLOAD_MAX_MEMORY_SIZE
