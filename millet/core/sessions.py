"""Sessions read from the shared cache (Redis) and written through to the database, which stays the
record: Django's ``cached_db``, going on without the cache while Redis is down.

Django's store already writes the database first and the cache only after (a failed cache write is
logged). What it does not survive is a read: a miss, or an unreachable cache, reads the row and then
writes the cache unguarded, and ``exists`` asks the cache first, so every signed-in page and every
new session failed with Redis. Here a read that cannot reach the cache reads the row, and the cache
is filled later, by a request that can reach it.

Deleting a session is the one write that cannot go without the cache: a signed-out session's entry
left behind would sign the cookie in again once Redis is back. So a delete tells the cache first and,
when it cannot, refuses (``ServiceUnavailable``, 503) before the row is touched: signing out then
fails and can be retried. The exception is the key that signing in retires (``cycle_key``) while it
is still anonymous: its entry signs nobody in.
"""

from __future__ import annotations

import logging

from django.contrib.auth import SESSION_KEY
from django.contrib.sessions.backends import cached_db
from django.contrib.sessions.backends.db import SessionStore as DBStore
from django.utils.translation import gettext as _

from millet.core import redis_client
from millet.core.errors import ServiceUnavailable

log = logging.getLogger(__name__)


class SessionStore(cached_db.SessionStore):
    _retiring_anonymous = False  # cycle_key is deleting the key a sign-in replaces, before any user

    def load(self) -> dict:
        if redis_client.seems_down():
            return self._from_db(keep=False)
        try:
            data = self._cache.get(self.cache_key)
        except redis_client.ERRORS as exc:
            redis_client.tolerate(exc)
            return self._from_db(keep=False)
        return self._from_db(keep=True) if data is None else data

    def _from_db(self, *, keep: bool) -> dict:
        """The row's data ({} for none, the key then dropped as Django's store does), kept in the
        cache when ``keep`` and the cache answers."""
        row = self._get_session_from_db()
        if row is None:
            return {}
        data = self.decode(row.session_data)
        if keep:
            try:
                self._cache.set(self.cache_key, data, self.get_expiry_age(expiry=row.expire_date))
            except redis_client.ERRORS as exc:
                redis_client.tolerate(exc)  # the next request that reaches the cache keeps it
        return data

    def exists(self, session_key: str | None) -> bool:
        if not redis_client.seems_down():
            try:
                return super().exists(session_key)
            except redis_client.ERRORS as exc:
                redis_client.tolerate(exc)
        return DBStore.exists(self, session_key)

    def save(self, must_create: bool = False) -> None:
        """The row, then the cache (as Django's store: a failed cache write leaves the entry as it
        was, the row is the record), not tried while Redis seems down."""
        DBStore.save(self, must_create)
        if redis_client.seems_down():
            return
        try:
            self._cache.set(self.cache_key, self._session, self.get_expiry_age())
        except redis_client.ERRORS as exc:
            redis_client.tolerate(exc)
            log.warning("session cache unavailable: session saved to the database only")

    def delete(self, session_key: str | None = None) -> None:
        key = session_key or self.session_key
        if key is None:
            return
        if not self._uncache(key):
            if not self._retiring_anonymous:
                raise ServiceUnavailable(_("signing out needs a service that is not answering; try again"))
            log.warning("session cache unavailable: a retired anonymous session's entry is left to expire")
        DBStore.delete(self, key)

    def _uncache(self, key: str) -> bool:
        """Whether the cache dropped ``key``'s entry (not while Redis is down)."""
        if redis_client.seems_down():
            return False
        try:
            self._cache.delete(self.cache_key_prefix + key)
        except redis_client.ERRORS as exc:
            redis_client.tolerate(exc)
            return False
        return True

    def cycle_key(self) -> None:
        self._retiring_anonymous = SESSION_KEY not in self._session
        try:
            super().cycle_key()
        finally:
            self._retiring_anonymous = False
