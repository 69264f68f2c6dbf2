"""Small facts every page reads (the header's cart count, the store's flash-sale banner) kept in the
cache that every process shares, and dropped the moment a change to them commits.

Only a shared cache (Redis, i.e. ``REDIS_URL`` set) can be told of a change made by another process,
so without one every read asks the database, as before. A fact is kept under its namespace's and its
scope's versions: a reader takes both versions and the kept value in one round trip, and uses the
value only when it was built under the current ones; a change moves its scope's version once it
commits (``forget``), an emptied database the namespace's (``forget_all``). A reader that built its
value before a change committed keeps it under the old version, so no later reader takes it; and a
value is built from the primary, never a replica that may not have the change yet. A reader inside a
transaction neither takes nor keeps a value: it may see its own uncommitted change, which a rollback
would leave behind in the cache (and a test's transaction always rolls back).

Redis is only an optimisation here: while it cannot answer, a reader builds the value from the
database and keeps nothing, and a change commits as ever. The version a change could not move is
remembered by its process and moved by the first of its reads that reaches Redis again, before
that read trusts anything kept; a process that dies first leaves the old values in use for at most
``KEEP_SECONDS``.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from typing import TypeVar

from django.conf import settings
from django.core.cache import cache
from django.db import connection, transaction

from millet.core import redis_client
from millet.core.replicas import primary_reads_block

log = logging.getLogger(__name__)

T = TypeVar("T")

KEEP_SECONDS = 900  # bounds memory only: a change is seen at once through the versions

# Version keys whose move (a committed change) could not reach Redis: moved before the next read.
_unmoved: set[str] = set()
_unmoved_lock = threading.Lock()


def shared() -> bool:
    """Whether Django's cache is shared by every process (Redis), so a change can reach them all."""
    return bool(settings.REDIS_URL)


class SharedFacts:
    """Values kept per ``(scope, part)`` in the shared cache under ``namespace``; ``forget(scope)``
    drops every part of one scope (a user's cart count in each market, say)."""

    def __init__(self, namespace: str) -> None:
        self.namespace = f"facts:{namespace}"

    def _version_key(self, scope: str | None) -> str:
        return f"{self.namespace}:v" if scope is None else f"{self.namespace}:{scope}:v"

    def get(self, scope: str, part: str, build: Callable[[], T]) -> T:
        """The kept value of ``part`` in ``scope``, or ``build()`` (then kept under the versions it
        was built under)."""
        if not shared() or connection.in_atomic_block or redis_client.seems_down():
            return build()
        try:
            return self._kept(scope, part, build)
        except redis_client.ERRORS as exc:
            redis_client.tolerate(exc)
            log.warning("shared cache unavailable, %s built from the database: %r", self.namespace, exc)
            return build()

    def _kept(self, scope: str, part: str, build: Callable[[], T]) -> T:
        _move_unmoved()
        names = (self._version_key(None), self._version_key(scope))
        key = f"{self.namespace}:{scope}:{part}"
        found = cache.get_many([*names, key])
        versions = tuple(found.get(name) or self._start(name) for name in names)
        kept = found.get(key)
        if kept is not None and kept[0] == versions:
            return kept[1]
        with primary_reads_block():  # a replica's lag would be kept under the current version
            value = build()
        try:
            cache.set(key, (versions, value), KEEP_SECONDS)
        except redis_client.ERRORS as exc:
            redis_client.tolerate(exc)  # built, not kept: the next reader builds it again
        return value

    def forget(self, scope: str) -> None:
        """Every part of ``scope`` is built again once the current transaction commits (at once
        outside one)."""
        if shared():
            transaction.on_commit(lambda: self._bump(self._version_key(scope)))

    def forget_all(self, **_signal) -> None:
        """Every value of the namespace is built again (also a receiver of ``post_migrate``: a
        ``flush`` empties the database without a save or a delete signal)."""
        if shared():
            self._bump(self._version_key(None))

    @staticmethod
    def _start(name: str) -> int:
        """A version for a first reader (or after an eviction): a number no value was kept under."""
        cache.add(name, time.time_ns(), None)
        return cache.get(name)

    @staticmethod
    def _bump(name: str) -> None:
        if not redis_client.seems_down():
            try:
                _move(name)
                return
            except redis_client.ERRORS as exc:
                redis_client.tolerate(exc)
        log.warning("shared cache unavailable: %s moves once it answers again", name)
        with _unmoved_lock:
            _unmoved.add(name)


def _move(name: str) -> None:
    """Move a version: nothing kept under the old one is used again."""
    try:
        cache.incr(name)
    except ValueError:  # no version yet: nothing was kept under one either
        SharedFacts._start(name)


def _move_unmoved() -> None:
    """The versions this process could not move while Redis was down, moved now (raises while it is
    still down; a name stays remembered until its move succeeds)."""
    if not _unmoved:
        return
    with _unmoved_lock:
        for name in sorted(_unmoved):
            _move(name)
            _unmoved.discard(name)
