"""Signing in from an app or script: trade a username and password for a bearer token."""

from __future__ import annotations

from typing import Annotated

from django.contrib.auth import authenticate
from ninja import Field, Router, Schema, Status
from ninja.throttling import AnonRateThrottle

from millet.accounts.services import issue_token
from millet.core.errors import DomainError

router = Router(tags=["accounts"])


class TokenIn(Schema):
    username: Annotated[str, Field(min_length=1, max_length=150)]
    password: Annotated[str, Field(min_length=1, max_length=128)]
    name: Annotated[str, Field(min_length=1, max_length=64)] = "api"


class TokenOut(Schema):
    token: str


class BadCredentials(DomainError):
    status_code = 401
    code = "bad_credentials"


# A guessing client gets 10 tries a minute per address; django-ninja's throttle keeps the count in
# Django's cache (Redis when REDIS_URL is set, so the limit holds across workers).
@router.post("/tokens", response={201: TokenOut}, auth=None, throttle=[AnonRateThrottle("10/m")])
def create_token(request, body: TokenIn):
    """The token is shown once; send it as `Authorization: Bearer <token>`."""
    user = authenticate(request, username=body.username, password=body.password)
    if user is None:
        raise BadCredentials("unknown user or wrong password")
    return Status(201, TokenOut(token=issue_token(user, name=body.name)))
