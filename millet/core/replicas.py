"""Read replicas: read-only work reads from a PostgreSQL streaming replica, everything else from the primary.

``DATABASE_REPLICA_URLS`` (comma-separated) names the replicas; settings adds each as the database
alias ``replica<N>`` and installs :class:`PrimaryReplicaRouter` and :class:`PrimaryPinMiddleware`.
Without it every read goes to ``default``, as before.

Routing is opt-in by the kind of work, not by model (issue 15): a view or service that only reads
and can stand a replica's lag (catalog pages, reports, insights, telemetry history) runs under
:func:`replica_reads`. Everything else, and anything that must see its own write, stays on the
primary:

- inside a transaction on the primary (a service's ``atomic`` block) every read is the primary's;
- once a piece of work has written (the router is asked where to write), its later reads are too;
- a request that wrote pins the browser to the primary for ``MILLET_REPLICA_PIN_SECONDS`` (default
  5) with a cookie, so the page after a POST shows what the POST did however far the replica lags;
- sessions, accounts and sign-in throttling always read the primary (a sign-in must hold at once).

A replica that cannot be reached is left out for ``REPLICA_RETRY_SECONDS`` and its reads go to the
primary, which holds everything a replica does: read-only work under :func:`replica_reads` that
fails on a lost replica connection runs again on the primary, so a replica's death costs a
request some time, never an error page. (A primary's death is PostgreSQL's own failover to solve:
promoting a replica is an operator's or Patroni's decision, not the application's.)

This is the pattern of Django's multi-database guide ("primary/replica" router) with the write-pinning
of mozilla's django-multidb-router; that library is not used because it sends every read to a replica
by default, and Millet's services read inside their own transactions on purpose.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from contextvars import ContextVar
from dataclasses import dataclass
from functools import wraps
from typing import Any

from django.conf import settings
from django.db import DatabaseError, InterfaceError, OperationalError, connections
from django.db.backends.base.base import BaseDatabaseWrapper

PRIMARY = "default"
PIN_COOKIE = "millet_primary"
# Apps whose reads must never lag: sessions and sign-in (a person signed in a moment ago is signed in).
PRIMARY_ONLY_APPS = frozenset({"sessions", "auth", "accounts", "account", "axes", "contenttypes"})


REPLICA_RETRY_SECONDS = 5.0  # how long a replica that failed is left out before it is tried again
_down_until: dict[str, float] = {}  # alias -> monotonic time it may be tried again (this process)


@dataclass
class _Work:
    """One piece of work (a request, or a block under :func:`replica_reads`)."""

    replica_ok: bool = False
    wrote: bool = False
    replica: str | None = None  # the replica this work reads, once chosen (one snapshot source)


_work: ContextVar[_Work | None] = ContextVar("millet_replica_work", default=None)


def replica_aliases() -> list[str]:
    """The database aliases of the configured replicas, in settings order (empty: no replica)."""
    return [alias for alias in settings.DATABASES if alias.startswith("replica")]


@contextmanager
def _working(work: _Work) -> Iterator[_Work]:
    token = _work.set(work)
    try:
        yield work
    finally:
        _work.reset(token)


@contextmanager
def replica_reads_block() -> Iterator[_Work]:
    """Reads inside the block may go to a replica (unless the surrounding work already wrote)."""
    outer = _work.get()
    work = _Work(replica_ok=not (outer and outer.wrote), wrote=bool(outer and outer.wrote))
    try:
        with _working(work):
            yield work
    finally:
        if outer is not None and work.wrote:
            outer.wrote = True  # a write inside pins the rest of the request, too


@contextmanager
def primary_reads_block() -> Iterator[None]:
    """Reads inside the block go to the primary, even within read-only work: what is built there
    is kept for every process (``core.shared_cache``), so it must not lag behind a change."""
    outer = _work.get()
    work = _Work(replica_ok=False, wrote=bool(outer and outer.wrote))
    with _working(work):
        yield
    if outer is not None and work.wrote:
        outer.wrote = True


def replica_reads(function: Callable) -> Callable:
    """Decorator for a read-only view or service that can stand a replica's lag (seconds at most).

    If the replica it read fails (a lost connection: ``OperationalError`` or ``InterfaceError``)
    and the work wrote nothing, the replica is left out (:func:`mark_replica_down`) and the function
    runs again on the primary."""

    @wraps(function)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            with replica_reads_block() as work:
                return function(*args, **kwargs)
        except (OperationalError, InterfaceError):
            if work.replica is None or work.wrote:
                raise
            mark_replica_down(work.replica)
            with primary_reads_block():
                return function(*args, **kwargs)

    return wrapper


def mark_replica_down(alias: str) -> None:
    """Leave ``alias`` out of reads for ``REPLICA_RETRY_SECONDS`` and drop its broken connection."""
    _down_until[alias] = time.monotonic() + REPLICA_RETRY_SECONDS
    with suppress(DatabaseError):  # closing a connection to a dead server may fail; it is gone
        connections[alias].close()


def _reachable(alias: str) -> bool:
    """Whether ``alias`` may take reads now: not left out, and connected (or it connects)."""
    if _down_until.get(alias, 0.0) > time.monotonic():
        return False
    try:
        connections[alias].ensure_connection()
    except (OperationalError, InterfaceError):
        mark_replica_down(alias)
        return False
    _down_until.pop(alias, None)
    return True


def read_alias(app_label: str = "") -> str:
    """The database alias a read of ``app_label``'s data should use now (see the module docstring)."""
    work = _work.get()
    if work is None or not work.replica_ok or work.wrote:
        return PRIMARY
    if app_label in PRIMARY_ONLY_APPS or connections[PRIMARY].in_atomic_block:
        return PRIMARY
    if work.replica is None:
        candidates = replica_aliases()
        random.shuffle(candidates)
        work.replica = next((alias for alias in candidates if _reachable(alias)), None)
        if work.replica is None:
            work.replica_ok = False  # no replica answers: this work reads the primary throughout
            return PRIMARY
    return work.replica


def read_connection(app_label: str = "") -> BaseDatabaseWrapper:
    """The connection for a raw-SQL read (``with read_connection().cursor() as cursor``)."""
    return connections[read_alias(app_label)]


class PrimaryReplicaRouter:
    """Django database router: see the module docstring for which reads go where."""

    def db_for_read(self, model: type, **hints: Any) -> str:
        return read_alias(model._meta.app_label)

    def db_for_write(self, model: type, **hints: Any) -> str:
        work = _work.get()
        if work is not None:
            work.wrote = True
        return PRIMARY

    def allow_relation(self, obj1: Any, obj2: Any, **hints: Any) -> bool:
        return True  # the replicas hold the primary's rows: one database as far as relations go

    def allow_migrate(self, db: str, app_label: str, **hints: Any) -> bool:
        return db == PRIMARY  # a replica follows the primary's WAL; nothing migrates it


class PrimaryPinMiddleware:
    """Each request is one piece of work; a request that wrote (or any unsafe method) pins the
    browser to the primary for a few seconds, so the next page sees the write."""

    def __init__(self, get_response: Callable) -> None:
        self.get_response = get_response
        self.pin_seconds = int(getattr(settings, "MILLET_REPLICA_PIN_SECONDS", 5))

    def __call__(self, request: Any) -> Any:
        pinned = _pinned_until(request.COOKIES.get(PIN_COOKIE)) > time.time()
        with _working(_Work(wrote=pinned)) as work:
            response = self.get_response(request)
        if (work.wrote and not pinned) or request.method not in ("GET", "HEAD", "OPTIONS"):
            until = int(time.time()) + self.pin_seconds
            response.set_cookie(
                PIN_COOKIE,
                str(until),
                max_age=self.pin_seconds,
                httponly=True,
                samesite="Lax",
                secure=settings.SESSION_COOKIE_SECURE,
            )
        return response


def _pinned_until(cookie: str | None) -> float:
    try:
        return float(cookie) if cookie else 0.0
    except ValueError:
        return 0.0
