"""Keep cached token owners true: any change to a token or to its user's flags drops the entries."""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.db.models.signals import post_delete, post_save

from millet.accounts.models import ApiToken
from millet.accounts.services import forget_cached_tokens, forget_user_tokens

# What a cached owner carries about its user (is_active decides whether it is cached at all).
CACHED_USER_FIELDS = frozenset({"is_active", "is_staff"})


def _token_deleted(sender, instance: ApiToken, **kwargs) -> None:
    forget_cached_tokens([instance.key_hash])


def _user_saved(sender, instance, created: bool, update_fields=None, **kwargs) -> None:
    # Signing in saves last_login on every login; that changes nothing a cached owner holds.
    if created or (update_fields is not None and not CACHED_USER_FIELDS & set(update_fields)):
        return
    forget_user_tokens(instance.pk)


def connect() -> None:
    post_delete.connect(_token_deleted, sender=ApiToken, dispatch_uid="accounts.token_deleted")
    post_save.connect(_user_saved, sender=get_user_model(), dispatch_uid="accounts.user_saved")
