"""Issuing and checking API tokens."""

from __future__ import annotations

import secrets

from django.contrib.auth import get_user_model
from django.utils import timezone

from millet.accounts.models import ApiToken, hash_token


def issue_token(user, name: str = "default") -> str:
    """Return a new raw token; only its hash is kept, so this is the one time it can be read."""
    raw = "mlt_" + secrets.token_urlsafe(32)
    ApiToken.objects.create(user=user, name=name, key_hash=hash_token(raw), prefix=raw[:8])
    return raw


def user_for_token(raw: str):
    """The active user a token belongs to, or None."""
    token = ApiToken.objects.select_related("user").filter(key_hash=hash_token(raw)).first()
    if token is None or not token.user.is_active:
        return None
    # Touch last_used_at at most once a minute: a write per request would cost every API call.
    now = timezone.now()
    if token.last_used_at is None or (now - token.last_used_at).total_seconds() > 60:
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
    return token.user


def revoke_tokens(token_ids: list[int]) -> int:
    """Delete tokens; a revoked token fails authentication on the very next request."""
    revoked, _ = ApiToken.objects.filter(pk__in=token_ids).delete()
    return revoked


def create_customer(username: str, password: str | None = None, email: str = ""):
    return get_user_model().objects.create_user(username=username, password=password, email=email)
