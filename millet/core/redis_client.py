"""The one place a Redis client is built from ``REDIS_URL``: one Redis, or a Redis Cluster.

``REDIS_URL`` names one server the usual way (``redis://host:6379/0``, ``rediss://`` for TLS), or a
Redis Cluster by the scheme ``redis+cluster://`` (``rediss+cluster://`` for TLS) followed by one or
more of its nodes, comma-separated: ``redis+cluster://:password@10.0.0.1:6379,10.0.0.2:6379``. The
client asks those nodes for the cluster's layout and follows it (new masters after a failover,
moved slots), so the list need not name every node; naming more than one lets it start while one is
down. A cluster has no database numbers, so the path may only be empty or ``/0``.

Everything that talks to Redis goes through here: the flash-sale gate and its writers, the API token
cache, Django's cache (throttles, sign-in counters; ``millet.core.cluster_cache`` on a cluster) and
live device news (pub/sub).

Commands are sent again. ``shared()`` (and ``own_connection()``, the same client on a connection
of its own) resends a command that timed out or lost its connection, up to
``RETRIES`` more times on one Redis (``retry_policy()``) and as redis-py's cluster client does on a
cluster (it asks for the layout and resends, riding through a failover). A timed-out command may
have run already, its answer lost on the way, so every write through here must be harmless to run
twice, or be made so:

- the gate's claim script carries a request id drawn once per claim and keeps its answer a minute:
  run again, it answers that claim and takes nothing (``millet.flashsale.services.gate``);
- the gate's return script keeps each returned claim's answer: run again, it answers the same;
- loading a campaign sets settings and ``HSETNX``es counters, and creating its group meets
  ``BUSYGROUP``; ``XACK``, ``XAUTOCLAIM`` and ``DEL`` are idempotent; an ``XREADGROUP`` whose answer
  was lost leaves its entries pending to the same writer, which reads them back first;
- token cache entries and tombstones are ``SET`` (the same value again), or ``SET NX`` whose answer
  is not relied on: a resent ``acct:used`` mark only skips one ``last_used_at`` write;
- on a cluster, Django's cache counters (sign-in failures, throttles) are sent once
  (``millet.core.cluster_cache``); on one Redis Django's cache keeps its own client, which redis-py
  builds without retries;
- live device news is published on a client of its own (``connect()``), which does not resend.
"""

from __future__ import annotations

import os
import threading
import time
from urllib.parse import unquote, urlsplit

import redis
from django.conf import settings
from redis.backoff import ExponentialWithJitterBackoff
from redis.cluster import ClusterNode, RedisCluster
from redis.exceptions import (
    ClusterDownError,
    ClusterError,
    RedisClusterException,
    SlotNotCoveredError,
    TryAgainError,
)
from redis.retry import Retry

CLUSTER_SCHEMES = {"redis+cluster": False, "rediss+cluster": True}  # scheme -> TLS

# A request path waits at most this long for Redis; connecting gives up sooner.
SOCKET_TIMEOUT = 5
CONNECT_TIMEOUT = 2

Client = redis.Redis | RedisCluster

# Redis, or the cluster's master for a key, cannot answer now (down, restarting, failing over): what
# was asked may be retried. ClusterDownError and TryAgainError come during a failover or a slot move.
UNAVAILABLE = (
    redis.ConnectionError,
    redis.TimeoutError,
    ClusterDownError,
    TryAgainError,
    SlotNotCoveredError,
)
# Redis is down for the request at hand, after the resends above: UNAVAILABLE, or a cluster whose
# commands kept being redirected until the client gave up (ClusterError, "TTL exhausted").
OUTAGE = (*UNAVAILABLE, ClusterError)
# Anything a Redis call may raise (the cluster client's own errors are not all RedisErrors).
ERRORS = (redis.RedisError, RedisClusterException)

# How many more times ``shared()`` sends a command that timed out or lost its connection on one Redis
# (the module docstring says why each write is safe to send again). One resend recovers an answer lost
# on a dropped connection; a request waits at most (1 + RETRIES) * SOCKET_TIMEOUT for a stuck Redis.
RETRIES = 1


def retry_policy() -> Retry:
    """A new ``Retry``: ``RETRIES`` more sends after an error in ``UNAVAILABLE`` (or a socket timeout),
    10 ms apart at first, doubling up to 250 ms, with jitter. The shared one-Redis client's, and the
    flash-sale gate's on a cluster master (``gate._on_master``)."""
    return Retry(
        ExponentialWithJitterBackoff(base=0.01, cap=0.25),
        RETRIES,
        supported_errors=(*UNAVAILABLE, TimeoutError),
    )


def is_outage(exc: BaseException) -> bool:
    """Whether ``exc`` says Redis could not answer (``OUTAGE``), itself or through the errors it was
    raised from: the cluster client raises "cannot be connected" (a ``RedisClusterException``) from
    the last node's ``ConnectionError``, the flash-sale gate its ``GateUnavailable`` from the same.
    Only an explicit cause counts (``raise ... from``), never an error that merely happened while
    handling one, which may be a bug of its own."""
    seen: BaseException | None = exc
    while seen is not None:
        if isinstance(seen, OUTAGE):
            return True
        seen = seen.__cause__
    return False


# After an outage, how long this process's optional uses of Redis (cached sessions, the shared
# cache, the token cache) go straight to the database instead of each waiting out a timeout: a Redis
# that hangs rather than refuses costs a request SOCKET_TIMEOUT per call (a signed-in store page
# made three: 15 s). Those uses read the record either way; what holds the truth still asks Redis.
QUIET_SECONDS = 5
_quiet_until: dict[str, float] = {}  # REDIS_URL -> until when it is left alone


def note_outage(exc: BaseException) -> None:
    """Called where an optional use of Redis failed: an outage quiets them all for ``QUIET_SECONDS``."""
    if is_outage(exc):
        _quiet_until[settings.REDIS_URL] = time.monotonic() + QUIET_SECONDS


def tolerate(exc: BaseException) -> None:
    """For an optional use's ``except ERRORS``: an outage is noted (``note_outage``) and the caller
    goes on without Redis; any other error is raised again (a bug, not an outage). Catching
    ``OUTAGE`` alone would miss the cluster client's "cannot be connected", which is a
    ``RedisClusterException`` raised from the connection error."""
    if not is_outage(exc):
        raise exc
    note_outage(exc)


def seems_down() -> bool:
    """Whether an optional use of Redis should go without it for now (``note_outage``)."""
    return time.monotonic() < _quiet_until.get(settings.REDIS_URL, 0.0)


def is_cluster(url: str | None = None) -> bool:
    """Whether ``url`` (default ``settings.REDIS_URL``) names a Redis Cluster."""
    url = settings.REDIS_URL if url is None else url
    return url.split("://", 1)[0].lower() in CLUSTER_SCHEMES


def connect(url: str | None = None, **options) -> Client:
    """A new client for ``url`` (default ``settings.REDIS_URL``); ``options`` go to every connection
    (``socket_timeout`` and so on). The caller owns it; most code wants ``shared()`` instead.

    Raises ValueError for a cluster URL without a node, with a database other than 0, or with a
    query string (no option is read from it)."""
    url = settings.REDIS_URL if url is None else url
    if not is_cluster(url):
        return redis.Redis.from_url(url, **options)
    parts = urlsplit(url)
    userinfo, _, hosts = parts.netloc.rpartition("@")
    if parts.path.strip("/") not in ("", "0") or parts.query:
        raise ValueError(f"a Redis Cluster URL has no database and no options: {url!r}")
    nodes = []
    for host in filter(None, hosts.split(",")):
        name, _, port = host.rpartition(":") if ":" in host else (host, "", "6379")
        nodes.append(ClusterNode(name.strip("[]"), int(port)))
    if not nodes:
        raise ValueError(f"a Redis Cluster URL names at least one node: {url!r}")
    username, _, password = userinfo.partition(":")
    return RedisCluster(
        startup_nodes=nodes,
        username=unquote(username) or None,
        password=unquote(password) or None,
        ssl=CLUSTER_SCHEMES[parts.scheme.lower()],
        **options,
    )


_shared: dict[str, Client] = {}


def _request_path_options() -> dict:
    """How long a request waits for Redis, and how often an idle connection is checked first."""
    return {
        "socket_timeout": SOCKET_TIMEOUT,
        "socket_connect_timeout": CONNECT_TIMEOUT,
        "health_check_interval": 30,
    }


def shared() -> Client:
    """This process's client for ``settings.REDIS_URL``, with request-path timeouts and resends (the
    module docstring): one connection pool per URL (per node on a cluster), rebuilt by redis-py after
    a fork."""
    url = settings.REDIS_URL
    if url not in _shared:
        # The cluster client resends by its own rules (a node's connection never does), so a Retry
        # is only given to one Redis's connections.
        resends = {} if is_cluster(url) else {"retry": retry_policy()}
        try:
            _shared[url] = connect(url, **_request_path_options(), **resends)
        except RedisClusterException as exc:  # no node named in the URL answered
            raise redis.ConnectionError(str(exc)) from exc
    return _shared[url]


_own = threading.local()
_generation = 0  # bumped by reset(): a thread's own client from before is not used again


def own_connection() -> redis.Redis:
    """This thread's client holding one connection of its own to the one Redis (not a cluster), with
    ``shared()``'s timeouts and resends. For a call every request of a hot path makes (the flash-sale
    gate's claim): a command through the shared pool checks a connection out, probes it for stray
    data (a syscall) and records pool metrics, about 15 us of CPU per call, a sixth of the claim's
    whole Redis call. Built in the process and thread that use it, so a fork never shares its socket
    and threads never wait on each other; a thread's client closes with the thread. It connects when
    built, once, without a resend: a Redis that refuses then answers as an outage at once."""
    url = settings.REDIS_URL
    key = (url, os.getpid(), _generation)
    if getattr(_own, "key", None) != key:
        _own.client = redis.Redis.from_url(
            url, single_connection_client=True, retry=retry_policy(), **_request_path_options()
        )
        _own.key = key
    return _own.client


def reset() -> None:
    """Forget the shared clients and any outage (tests point ``REDIS_URL`` at a private server)."""
    global _generation
    for client in _shared.values():
        client.close()
    _shared.clear()
    _quiet_until.clear()
    _generation += 1
