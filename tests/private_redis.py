"""A private Redis for tests that stop it: /usr/bin/redis-server on a free port, its AOF fsynced on
every write as production runs it, so ``start()`` after ``stop()`` is a restart with what it held.

``redis_outage`` (tests/conftest.py) points everything that reads ``REDIS_URL`` at one (``redis_at``):
Django's cache, the sessions, sign-in counts, the API token cache and the flash-sale gate. A test
sets its world up with that Redis answering, then ``stop()``s it, a real outage: the port refuses
connections.
"""

from __future__ import annotations

import shutil
import signal
import subprocess
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import redis
from axes.handlers.proxy import AxesProxyHandler
from django.test import override_settings

from millet.core import redis_client
from millet.core.ports import free_port
from millet.flashsale.services import gate
from tests.redis_cluster import binaries


@contextmanager
def redis_at(url: str) -> Iterator[None]:
    """Everything that reads ``REDIS_URL`` pointed at ``url`` (one Redis or a cluster), as settings.py
    would set it up: Django's cache, cached sessions, sign-in counts, the token cache, the gate. One
    override, undone at once on the way out (the ``settings`` fixture would undo each setting
    separately at the very end, after other fixtures' teardowns that use the suite's Redis)."""
    backend = "millet.core.cluster_cache.ClusterCache" if redis_client.is_cluster(url) else None
    cache = {
        "BACKEND": backend or "django.core.cache.backends.redis.RedisCache",
        "LOCATION": url,
        "OPTIONS": {
            "socket_timeout": redis_client.SOCKET_TIMEOUT,
            "socket_connect_timeout": redis_client.CONNECT_TIMEOUT,
        },
    }
    try:
        with override_settings(
            REDIS_URL=url,
            CACHES={"default": cache},
            SESSION_ENGINE="millet.core.sessions",
            AXES_HANDLER="axes.handlers.cache.AxesCacheHandler",
        ):
            AxesProxyHandler.get_implementation(force=True)  # it keeps the cache it was built with
            gate.reset_client()
            yield
    finally:
        AxesProxyHandler.get_implementation(force=True)
        gate.reset_client()


class PrivateRedis:
    def __init__(self) -> None:
        self.server, _ = binaries()
        self.port = free_port()
        self.dir = Path(tempfile.mkdtemp(prefix="millet-redis-"))
        self.proc: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        self.proc = subprocess.Popen(
            [self.server, "--port", str(self.port), "--bind", "127.0.0.1", "--dir", str(self.dir),
             "--save", "", "--appendonly", "yes", "--appendfsync", "always"],
            stdout=subprocess.DEVNULL,
        )  # fmt: skip
        client = redis.Redis(port=self.port, socket_connect_timeout=1)
        deadline = time.monotonic() + 10
        while True:
            try:
                client.ping()
                break
            except redis.ConnectionError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.05)
        client.close()

    def stop(self) -> None:
        """Kill the server (only this one, by its process): from now on its port refuses."""
        if self.proc is not None:
            self.thaw()  # a frozen server dies only once it runs again
            self.proc.kill()
            self.proc.wait()
            self.proc = None

    def freeze(self) -> None:
        """SIGSTOP: a Redis that hangs rather than refuses (connections open, nothing answered)."""
        self.proc.send_signal(signal.SIGSTOP)

    def thaw(self) -> None:
        self.proc.send_signal(signal.SIGCONT)

    def close(self) -> None:
        self.stop()
        shutil.rmtree(self.dir, ignore_errors=True)
