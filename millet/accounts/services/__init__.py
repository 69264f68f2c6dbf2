"""The accounts domain's service API: API tokens (issued, checked through a shared cache, revoked)
and people (users, their names and groups). The Actor itself lives in ``millet.accounts.actor``."""

from millet.accounts.services.tokens import (
    TOKEN_CACHE_SECONDS,
    TOMBSTONE,
    TOMBSTONE_SECONDS,
    TOUCH_EVERY_SECONDS,
    TokenOwner,
    cached_owner,
    forget_cached_tokens,
    forget_user_tokens,
    issue_token,
    revoke_tokens,
    token_owner,
    user_for_token,
)
from millet.accounts.services.users import (
    add_to_group,
    anyone_registered,
    create_customer,
    create_user,
    create_users,
    customer_named,
    is_active_user,
    user_id_for,
    usernames,
)

__all__ = [
    "TOKEN_CACHE_SECONDS",
    "TOMBSTONE",
    "TOMBSTONE_SECONDS",
    "TOUCH_EVERY_SECONDS",
    "TokenOwner",
    "add_to_group",
    "anyone_registered",
    "cached_owner",
    "create_customer",
    "create_user",
    "create_users",
    "customer_named",
    "forget_cached_tokens",
    "forget_user_tokens",
    "is_active_user",
    "issue_token",
    "revoke_tokens",
    "token_owner",
    "user_for_token",
    "user_id_for",
    "usernames",
]
