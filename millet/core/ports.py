"""A free TCP port for a private server (a test's Redis cluster, Mosquitto, a bench's gunicorn).

``bind(("127.0.0.1", 0))`` hands out a port from the kernel's ephemeral range, and closing the probe
gives it back at once: before the server binds it, any outgoing connection on the machine (a
database client, another test's) may take that very port as its own local end, and the server then
fails to start (seen in CI: "timed out waiting for node 37369 to start"). So the port is chosen
below the ephemeral range (Linux's ``ip_local_port_range``, 32768-60999 by default), where the kernel
never picks a connection's local port, at random within a band of its own for each pytest-xdist
worker (``PYTEST_XDIST_WORKER``: gw0, gw1, ...), so two workers do not pick the same one, and never
twice in one process.
"""

from __future__ import annotations

import os
import random
import re
import socket
import threading
from pathlib import Path

LOWEST = 20000  # above the usual fixed service ports (PostgreSQL, Redis, RabbitMQ's 15672, ...)
_BANDS = 8
_given: set[int] = set()
_lock = threading.Lock()


def _ephemeral_start() -> int:
    try:
        return int(Path("/proc/sys/net/ipv4/ip_local_port_range").read_text().split()[0])
    except (OSError, ValueError, IndexError):
        return 32768


def _band() -> range:
    """This process's share of the ports between LOWEST and the ephemeral range."""
    top = max(_ephemeral_start(), LOWEST + _BANDS * 100)
    size = (top - LOWEST) // _BANDS
    found = re.fullmatch(r"gw(\d+)", os.environ.get("PYTEST_XDIST_WORKER", ""))
    slot = (int(found[1]) + 1) % _BANDS if found else 0
    return range(LOWEST + slot * size, LOWEST + (slot + 1) * size)


def free_port(host: str = "127.0.0.1") -> int:
    """A port nothing listens on now, outside the ephemeral range and not given out before by this
    process. Raises ``OSError`` when the whole band is taken."""
    band = _band()
    with _lock:
        for port in random.sample(band, len(band)):
            if port in _given:
                continue
            with socket.socket() as probe:
                try:
                    probe.bind((host, port))
                except OSError:
                    continue
            _given.add(port)
            return port
    raise OSError(f"no free port in {band.start}-{band.stop - 1}")
