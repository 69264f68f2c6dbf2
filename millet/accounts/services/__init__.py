"""The accounts domain's service API: what routes, admin, commands and other domains may call."""

from millet.accounts.services.tokens import (
    TOKEN_CACHE_SECONDS,
    TOMBSTONE,
    TOMBSTONE_SECONDS,
    TOUCH_EVERY_SECONDS,
    TokenOwner,
    cached_owner,
    create_customer,
    forget_cached_tokens,
    forget_user_tokens,
    issue_token,
    revoke_tokens,
    token_owner,
    user_for_token,
)

__all__ = [
    "TOKEN_CACHE_SECONDS",
    "TOMBSTONE",
    "TOMBSTONE_SECONDS",
    "TOUCH_EVERY_SECONDS",
    "TokenOwner",
    "cached_owner",
    "create_customer",
    "forget_cached_tokens",
    "forget_user_tokens",
    "issue_token",
    "revoke_tokens",
    "token_owner",
    "user_for_token",
]
