"""Signing in with a password, limited per account and per address, for every sign-in form.

Failed sign-ins are counted by django-axes (chosen over own code: it is the well-kept Django library
for exactly this, hooks into ``django.contrib.auth.authenticate`` so the admin login, the token
endpoint and the web store's django-allauth login are all covered by the one backend, and has a
Redis/cache and a database store). Two counts run side by side: one per account name and one per
client address (``AXES_LOCKOUT_PARAMETERS``), so neither a guesser on one address nor one spread
over many addresses gets past ``AXES_FAILURE_LIMIT`` failures in ``AXES_COOLOFF_TIME``.

An account name is counted whether or not such an account exists, and the answers are the same
(401, then 429 with the same body); Django's ModelBackend hashes the password for an unknown name
too, so the time taken is the same as well. The address is ``millet.core.client_address``'s, the
one every per-address limit uses.

A new sign-in flow (the web store's, django-allauth) only has to call ``authenticate(request, ...)``
with the request (allauth does) to be limited; ``sign_in`` is the service for flows of our own.
allauth's own rate limits (sign-up, password reset) find the address through its account adapter:
override ``get_client_ip`` there to return ``client_address(request)``, so they follow the same rule.
"""

from __future__ import annotations

import unicodedata
from datetime import timedelta

from django.conf import settings
from django.contrib.auth import authenticate
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.utils.translation import gettext, gettext_noop
from ninja.throttling import AnonRateThrottle

from millet.core.client_address import client_address
from millet.core.errors import DomainError

# What a sign-in flow passes to authenticate() as the account name, by flow: our forms and the
# admin send "username"; django-allauth sends "email" or "username" depending on its login method.
ACCOUNT_NAME_FIELDS = ("username", "email", "login")
ACCOUNT_PREFIX = "account:"


class BadCredentials(DomainError):
    status_code = 401
    code = "bad_credentials"


class SignInThrottled(DomainError):
    """Too many failed sign-ins for this account name or from this address: wait for the cool-off."""

    status_code = 429
    code = "too_many_attempts"


def cool_off() -> timedelta:
    return settings.AXES_COOLOFF_TIME


# Why a sign-in is refused while locked out: English in the API's answer (its ``detail``, beside the
# code), in the person's language on the page. The API said it, and a wrong password, translated
# (the request's language was active), where every other API refusal is English with a code.
LOCKED = gettext_noop("too many failed sign-ins; try again later")


def throttled() -> SignInThrottled:
    """One answer for every throttled sign-in, whichever count tripped and whether the account exists."""
    return SignInThrottled(LOCKED)


def sign_in(request: HttpRequest, username: str, password: str):
    """The user for a username and password, or raises.

    Raises ``SignInThrottled`` (429) while the account name or the client address is locked out,
    including for the right password, and ``BadCredentials`` (401) for a wrong password or an
    unknown name (the same answer). Every failure is counted by the axes backend.
    """
    user = authenticate(request, username=username, password=password)
    if getattr(request, "axes_locked_out", False):
        raise throttled()
    if user is None:
        raise BadCredentials("unknown user or wrong password")
    return user


def attempted_account(request: HttpRequest, credentials: dict | None) -> str | None:
    """``AXES_USERNAME_CALLABLE``: the account name a sign-in tried, folded so that spellings that
    may reach the same account (case, Unicode compatibility forms, spaces around it) share one count.
    Counting too broadly is safe; counting ``Alice`` and ``alice`` apart would double a guesser's
    tries wherever the login is case-insensitive (allauth's e-mail login is).

    The name is prefixed with ``account:`` because axes's cache handler keys a count by the bare
    value: an account named ``203.0.113.7`` would otherwise share (and could exhaust) that address's
    count.
    """
    source = credentials or request.POST
    for field in ACCOUNT_NAME_FIELDS:
        value = source.get(field) if source else None
        if isinstance(value, str) and value.strip():
            return ACCOUNT_PREFIX + unicodedata.normalize("NFKC", value).strip().casefold()[:150]
    return None


def axes_client_address(request: HttpRequest) -> str | None:
    """``AXES_CLIENT_IP_CALLABLE``: the shared resolver's address (None, not "", when unknown: axes
    stores it in an IP column)."""
    return client_address(request) or None


def lockout_response(request: HttpRequest, original_response=None, credentials=None) -> HttpResponse:
    """``AXES_LOCKOUT_CALLABLE``: 429 with ``Retry-After``; the API's error body under /api/, a
    page for people at a login form."""
    error = throttled()
    if request.path.startswith("/api/"):
        response = JsonResponse({"error": error.code, "detail": error.detail}, status=429)
    else:
        response = render(request, "accounts/signin_locked.html", {"detail": gettext(LOCKED)}, status=429)
    response["Retry-After"] = str(int(cool_off().total_seconds()))
    return response


class AddressRateThrottle(AnonRateThrottle):
    """django-ninja's anonymous throttle counted by the shared client address. Its own
    ``get_ident`` uses the whole ``X-Forwarded-For`` header as the key when ``NUM_PROXIES`` is unset,
    so each forged header got a fresh count (issue 8, fault 4)."""

    def get_ident(self, request: HttpRequest) -> str:
        return client_address(request)
