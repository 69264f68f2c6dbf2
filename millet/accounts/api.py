"""Signing in from an app or script: trade a username and password for a bearer token."""

from __future__ import annotations

from typing import Annotated

from ninja import Field, Router, Schema, Status

from millet.accounts.services import issue_token
from millet.accounts.signin import AddressRateThrottle, sign_in
from millet.core.openapi import ErrorOut

router = Router(tags=["accounts"])


class TokenIn(Schema):
    username: Annotated[str, Field(min_length=1, max_length=150)]
    password: Annotated[str, Field(min_length=1, max_length=128)]
    name: Annotated[str, Field(min_length=1, max_length=64)] = "api"


class TokenOut(Schema):
    token: str


# Any client gets 10 tries a minute per address, kept in Django's cache (Redis when REDIS_URL is set,
# so the limit holds across workers); failures are also limited per account (see sign_in).
@router.post(
    "/tokens",
    response={201: TokenOut, 401: ErrorOut},
    auth=None,
    throttle=[AddressRateThrottle("10/m")],
)
def create_token(request, body: TokenIn):
    """The token is shown once; send it as `Authorization: Bearer <token>`. 401 for a wrong password
    or an unknown user alike; 429 after 10 failures for one account or from one address (15 minutes)."""
    user = sign_in(request, body.username, body.password)
    return Status(201, TokenOut(token=issue_token(user, name=body.name)))
