"""django-ninja authentication: bearer tokens for API clients, the session for people in a browser."""

from __future__ import annotations

from ninja.security import HttpBearer, SessionAuth

from millet.accounts.actor import actor_for_user
from millet.accounts.services import user_for_token


class TokenAuth(HttpBearer):
    def authenticate(self, request, token: str):
        user = user_for_token(token)
        if user is None:
            return None
        request.user = user
        request.actor = actor_for_user(user)
        return user


class SessionActorAuth(SessionAuth):
    def authenticate(self, request, key):
        user = super().authenticate(request, key)
        if user:
            request.actor = actor_for_user(user)
        return user


api_auth = [TokenAuth(), SessionActorAuth()]
