"""Issuing and checking API tokens.

Checking a token is on every API request's path, so when the cache is shared by every process
(Redis, i.e. ``REDIS_URL`` set) a token's owner is kept there, keyed by the token's hash. The cache
is only trusted because every change that could make an entry wrong replaces it with a tombstone
before it commits: revoking or deleting a token, and saving its user (deactivated, staff flag
changed); if Redis cannot be told, the change fails rather than leaving a valid entry behind. A per-process
cache could not be invalidated from another process, so without Redis every request asks the
database.
"""

from __future__ import annotations

import secrets
import time
from dataclasses import dataclass

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone

from millet.accounts.models import ApiToken, hash_token
from millet.core import redis_client, sql

# A safety net only (invalidation is explicit): bounds an entry left wrong by a change that bypassed
# the model signals, e.g. a raw ``QuerySet.update`` of a user's flags.
TOKEN_CACHE_SECONDS = 900
# last_used_at is for people reviewing tokens; a write per request would cost every API call.
TOUCH_EVERY_SECONDS = 60
# Longer than any request can take between reading a token row and caching it.
TOMBSTONE_SECONDS = 120
TOMBSTONE = b"-"


@dataclass(frozen=True)
class TokenOwner:
    """What authentication needs to know about a valid token: whose it is and what they may do."""

    token_id: int
    user_id: int
    is_staff: bool
    last_used: float  # epoch seconds of the last recorded use (0 when never)


def _shared_cache() -> bool:
    """Only a cache every process shares can be invalidated for every process at once."""
    return bool(settings.REDIS_URL)


def _redis() -> redis_client.Client:
    """The process's shared client (one Redis or a cluster). Not Django's cache: that builds a new
    client object per call, a noticeable share of a gate request."""
    return redis_client.shared()


def _cache_key(key_hash: str) -> str:
    return f"acct:tok:{key_hash}"


def _encode(owner: TokenOwner) -> str:
    return f"{owner.token_id}:{owner.user_id}:{int(owner.is_staff)}:{owner.last_used}"


def _decode(value: bytes | None) -> TokenOwner | None:
    if not value or value == TOMBSTONE:
        return None
    token_id, user_id, is_staff, last_used = value.split(b":")
    return TokenOwner(int(token_id), int(user_id), is_staff == b"1", float(last_used))


def cached_owner(raw: str) -> TokenOwner | None:
    """The owner held in the shared cache for a token, if any (for tests and diagnostics)."""
    return _decode(_redis().get(_cache_key(hash_token(raw)))) if _shared_cache() else None


def issue_token(user, name: str = "default") -> str:
    """Return a new raw token; only its hash is kept, so this is the one time it can be read."""
    raw = "mlt_" + secrets.token_urlsafe(32)
    ApiToken.objects.create(user=user, name=name, key_hash=hash_token(raw), prefix=raw[:8])
    return raw


# Every API request without a shared cache asks this: SQL rather than the ORM (see core.sql).
_OWNER = """
SELECT t.id, t.user_id, u.is_staff, t.last_used_at FROM accounts_apitoken t
JOIN auth_user u ON u.id = t.user_id
WHERE t.key_hash = %s AND u.is_active LIMIT 1
"""


def token_owner(raw: str) -> TokenOwner | None:
    """The owner of a valid token of an active user, or None: one read of the shared cache, or one
    indexed query."""
    key_hash = hash_token(raw)
    shared = _shared_cache() and not redis_client.seems_down()  # down: the row at once, no timeout
    owner = None
    if shared:
        try:
            owner = _decode(_redis().get(_cache_key(key_hash)))
        except redis_client.ERRORS as exc:
            redis_client.note_outage(exc)
            shared = False  # the database is the truth; authentication goes on without the cache
    if owner is None:
        found = sql.rows(_OWNER, [key_hash])
        if not found:
            return None
        token_id, user_id, is_staff, used_at = found[0]
        used = sql.aware(used_at).timestamp() if used_at else 0.0
        owner = TokenOwner(token_id, user_id, bool(is_staff), used)
        if shared:
            # add, never set: it must not overwrite the tombstone a concurrent revocation wrote.
            try:
                _redis().set(_cache_key(key_hash), _encode(owner), ex=TOKEN_CACHE_SECONDS, nx=True)
            except redis_client.ERRORS as exc:
                redis_client.note_outage(exc)
    _note_use(owner, key_hash, shared)
    return owner


def token_cache_key(raw: str) -> str | None:
    """The shared-cache key of a token's owner, or None without a shared cache. For a caller that
    reads the entry inside its own Redis call (the flash-sale gate's script), then hands the value
    to ``owner_from_cache``."""
    return _cache_key(hash_token(raw)) if _shared_cache() else None


def owner_from_cache(raw: str, value: bytes | None) -> TokenOwner | None:
    """The owner a cache entry read by the caller names (None for a miss or a revoked token's
    tombstone: the caller then asks ``token_owner``), with the use recorded as ``token_owner`` does."""
    owner = _decode(value)
    if owner is not None:
        _note_use(owner, hash_token(raw), True)
    return owner


def owner_in_cache(raw: str) -> TokenOwner | None:
    """The owner the shared cache holds for a token, with the use recorded as ``token_owner`` does;
    None without a shared cache, on a miss, or for a revoked token's tombstone (the caller then asks
    ``token_owner``). For a caller that cannot read the entry inside its own Redis call: on a Redis
    Cluster the entry lives on whichever master holds its slot. Raises redis errors as they come."""
    if not _shared_cache():
        return None
    return owner_from_cache(raw, _redis().get(_cache_key(hash_token(raw))))


def _note_use(owner: TokenOwner, key_hash: str, shared: bool) -> None:
    now = time.time()
    if now - owner.last_used > TOUCH_EVERY_SECONDS:
        _touch(owner, key_hash, now, shared)


_touched: dict[str, float] = {}  # token hash -> when this process last recorded a use (shared cache)


def _touch(owner: TokenOwner, key_hash: str, now: float, shared: bool) -> None:
    """Record a use at most about once a minute per token across all processes. A cached owner keeps
    the time it was read (rewriting it could undo a revocation), so uses are remembered beside it."""
    if shared:
        if now - _touched.get(key_hash, 0.0) <= TOUCH_EVERY_SECONDS:
            return
        if len(_touched) > 100_000:
            _touched.clear()
        _touched[key_hash] = now
        try:
            if not _redis().set(f"acct:used:{key_hash}", 1, ex=TOUCH_EVERY_SECONDS, nx=True):
                return  # another process recorded it within the minute
        except redis_client.ERRORS as exc:
            # The marker's node is down (a failover moves the slot of this key, not only the
            # entry's): the request goes on, and the database, the truth, records the use.
            redis_client.note_outage(exc)
    ApiToken.objects.filter(pk=owner.token_id).update(last_used_at=timezone.now())


def user_for_token(raw: str):
    """The active user a token belongs to, or None (the full user row; the API uses token_owner)."""
    owner = token_owner(raw)
    return get_user_model().objects.filter(pk=owner.user_id).first() if owner else None


def forget_cached_tokens(key_hashes: list[str]) -> None:
    """Replace cached owners with a short tombstone, now and again when the surrounding transaction
    commits. A request that read the old row just before could otherwise cache it again after the
    delete; the tombstone outlives any such request, and fills only ``add``."""
    if not key_hashes or not _shared_cache():
        return
    keys = [_cache_key(h) for h in key_hashes]

    def bury() -> None:
        pipe = _redis().pipeline(transaction=False)
        for key in keys:
            pipe.set(key, TOMBSTONE, ex=TOMBSTONE_SECONDS)
        pipe.execute()

    bury()
    transaction.on_commit(bury)


def forget_user_tokens(user_id: int) -> None:
    """A user's flags changed: their tokens are read from the database again."""
    forget_cached_tokens(list(ApiToken.objects.filter(user_id=user_id).values_list("key_hash", flat=True)))


def revoke_tokens(token_ids: list[int]) -> int:
    """Delete tokens; a revoked token fails authentication on the very next request, in every
    process (the delete signal, wired in apps.py, tombstones the cached owners)."""
    revoked, _ = ApiToken.objects.filter(pk__in=token_ids).delete()
    return revoked
