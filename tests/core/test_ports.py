"""Private servers' ports: never one the kernel may hand an outgoing connection meanwhile."""

from __future__ import annotations

import socket

from millet.core import ports


def test_ports_are_free_distinct_below_the_ephemeral_range_and_in_this_workers_band(monkeypatch):
    given = [ports.free_port() for _ in range(50)]
    assert len(set(given)) == 50
    assert all(ports.LOWEST <= port < ports._ephemeral_start() for port in given)
    for port in given[:5]:
        with socket.socket() as server:
            server.bind(("127.0.0.1", port))  # nothing held it
    monkeypatch.setenv("PYTEST_XDIST_WORKER", "gw0")
    first = ports._band()
    monkeypatch.setenv("PYTEST_XDIST_WORKER", "gw1")
    assert set(first).isdisjoint(ports._band())  # two workers never pick the same port


def test_a_taken_port_is_skipped(monkeypatch):
    band = ports._band()
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", band.start))
        monkeypatch.setattr(ports, "_band", lambda: range(band.start, band.start + 2))
        monkeypatch.setattr(ports, "_given", set())
        assert ports.free_port() == band.start + 1
