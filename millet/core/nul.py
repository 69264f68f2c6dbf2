"""Refuse text with NUL characters before it reaches the database.

PostgreSQL cannot store U+0000 in text and raises on it, which would surface as a 500; no name,
code or serial number legitimately contains one, so it is bad input: a 400, in the URL or the body
(the API's JSON through ``NulRejectingParser``, a page's form through ``RejectNulInFormMiddleware``).
"""

from __future__ import annotations

import json

from django.http import HttpRequest, HttpResponseBadRequest, JsonResponse
from ninja.parser import Parser


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
            return JsonResponse(
                {"error": "invalid", "detail": "the URL must not contain NUL characters"}, status=400
            )
        return self.get_response(request)


FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")


class RejectNulInFormMiddleware:
    """A posted form (a page's, the broker's questions) with a NUL in a field's name or value is a
    400 before any view reads it: views that take ``request.POST`` as it comes (a home's name, a
    login to invite, an order number) would otherwise hand it to PostgreSQL and answer 500. Django's
    form fields refuse NUL themselves; this covers the views that read the fields directly. Other
    bodies (JSON, a camera's JPEG) are not read here."""

    def __init__(self, get_response) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest):
        if (
            request.method == "POST"
            and request.content_type in FORM_TYPES
            and any(contains_nul([key, *values]) for key, values in request.POST.lists())
        ):
            return HttpResponseBadRequest(
                "The form must not contain NUL characters.", content_type="text/plain; charset=utf-8"
            )
        return self.get_response(request)
