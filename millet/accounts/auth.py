"""django-ninja authentication: bearer tokens for API clients, the session for people in a browser."""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.utils.functional import SimpleLazyObject
from ninja.security import HttpBearer, SessionAuth

from millet.accounts.actor import Actor, actor_for, actor_for_user
from millet.accounts.services import TokenOwner, token_owner


def _lazy_user(user_id: int):
    """request.user for a token request, read only if a route uses it (most need only the actor)."""
    return SimpleLazyObject(lambda: get_user_model().objects.get(pk=user_id))


class TokenAuth(HttpBearer):
    """Bearer tokens; ``request.auth`` is the TokenOwner, ``request.actor`` the full actor."""

    def authenticate(self, request, token: str) -> TokenOwner | None:
        owner = token_owner(token)
        if owner is None:
            return None
        request.user = _lazy_user(owner.user_id)
        request.actor = self.actor(owner)
        return owner

    def actor(self, owner: TokenOwner) -> Actor:
        return actor_for(owner.user_id, is_staff=owner.is_staff, lazy_jobs=True)


class SessionActorAuth(SessionAuth):
    """The browser's session. CSRF guards what a cookie authenticates, so a request without the
    session cookie (a script whose bearer token was refused) is a plain 401, never a 403 for a CSRF
    token it had no reason to send."""

    def _get_key(self, request):
        if self.param_name not in request.COOKIES:
            return None
        return super()._get_key(request)

    def authenticate(self, request, key):
        user = super().authenticate(request, key)
        if user:
            request.actor = actor_for_user(user)
        return user


api_auth = [TokenAuth(), SessionActorAuth()]
