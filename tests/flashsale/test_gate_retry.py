"""A claim the client sends again (its first answer was late) takes effect once and answers the first
claim: redis-py retries a command that timed out, after Redis may already have run it.

A small TCP proxy on a private port sits between the app and the suite's Redis and holds back the
answer to an EVALSHA for longer than the client's socket timeout."""

from __future__ import annotations

import socket
import threading
import time
from urllib.parse import urlsplit, urlunsplit

import pytest
import redis

from millet.core import redis_client
from millet.flashsale.services import gate

SOCKET_TIMEOUT = 0.3  # seconds the app waits for Redis in these tests
HOLD = 1.0  # seconds the proxy keeps a held answer back: longer than SOCKET_TIMEOUT


class SlowAnswers:
    """A TCP proxy to Redis that forwards everything at once, except that once armed it holds back the
    answer to the next ``hold_count`` EVALSHAs by ``HOLD`` seconds; counts the EVALSHAs it forwards."""

    def __init__(self, target: tuple[str, int]) -> None:
        self.target = target
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        self.evalshas = 0
        self.to_hold = 0
        self.lock = threading.Lock()
        self.sockets: list[socket.socket] = [self.listener]
        threading.Thread(target=self._accept, daemon=True).start()

    def arm(self, hold_count: int) -> None:
        with self.lock:
            self.evalshas, self.to_hold = 0, hold_count

    def close(self) -> None:
        for sock in self.sockets:
            sock.close()

    def _accept(self) -> None:
        while True:
            try:
                app, _ = self.listener.accept()
            except OSError:  # closed
                return
            server = socket.create_connection(self.target)
            self.sockets += [app, server]
            held = threading.Event()  # the next answer on this connection is held back
            threading.Thread(target=self._requests, args=(app, server, held), daemon=True).start()
            threading.Thread(target=self._answers, args=(server, app, held), daemon=True).start()

    def _requests(self, app: socket.socket, server: socket.socket, held: threading.Event) -> None:
        with app, server:
            while data := _recv(app):
                if b"EVALSHA" in data:
                    with self.lock:
                        self.evalshas += 1
                        if self.to_hold:
                            self.to_hold -= 1
                            held.set()
                server.sendall(data)

    def _answers(self, server: socket.socket, app: socket.socket, held: threading.Event) -> None:
        while data := _recv(server):
            if held.is_set():
                held.clear()
                time.sleep(HOLD)
            try:
                app.sendall(data)
            except OSError:  # the app gave up on this connection
                return


def _recv(sock: socket.socket) -> bytes:
    try:
        return sock.recv(65536)
    except OSError:
        return b""


@pytest.fixture
def slow_redis(require_redis, settings, monkeypatch):
    """REDIS_URL through the proxy, with a short socket timeout; the suite's Redis read directly."""
    direct = settings.REDIS_URL
    parts = urlsplit(direct)
    proxy = SlowAnswers((parts.hostname or "127.0.0.1", parts.port or 6379))
    monkeypatch.setattr(redis_client, "SOCKET_TIMEOUT", SOCKET_TIMEOUT)
    settings.REDIS_URL = urlunsplit(parts._replace(netloc=f"127.0.0.1:{proxy.port}"))
    gate.reset_client()
    yield proxy, redis.Redis.from_url(direct)
    gate.reset_client()
    proxy.close()


@pytest.mark.postgres
@pytest.mark.parametrize("gate_mode", ["redis"], indirect=True)
def test_a_claim_retried_after_a_late_answer_takes_one_unit_and_answers_the_first_claim(
    world, make_campaign, slow_redis
):
    proxy, direct = slow_redis
    campaign = make_campaign(5, limit=3)  # the limit leaves room for a second claim: it must not be made
    path = f"/flashsale/campaigns/{campaign.code}/claims"
    alice, bob = world.client("alice"), world.client("bob")
    assert alice.post(path).status_code == 201  # the campaign and the scripts are in Redis
    assert bob.get(path).status_code == 200  # bob's token owner is in the shared cache
    stream = gate.keys(campaign.code)["stream"]
    assert direct.xlen(stream) == 1 and gate.pool(campaign.code) == 4

    proxy.arm(hold_count=1)
    answer = bob.post(path)

    assert proxy.evalshas == 2  # the client did time out and send the claim again
    assert answer.status_code == 201, answer.content
    entries = direct.xrange(stream)
    bob_id = world.users["bob"].pk
    bobs = [entry_id.decode() for entry_id, fields in entries if int(fields[b"c"]) == bob_id]
    assert bobs == [answer.json()["id"]]  # one claim, and the buyer was told that one
    assert gate.pool(campaign.code) == 3
    assert int(direct.hget(gate.keys(campaign.code)["taken"], str(bob_id))) == 1


@pytest.mark.postgres
@pytest.mark.parametrize("gate_mode", ["redis"], indirect=True)
def test_a_claim_whose_every_answer_is_late_is_a_503_and_took_at_most_one_unit(
    world, make_campaign, slow_redis
):
    proxy, direct = slow_redis
    campaign = make_campaign(5, limit=3)
    path = f"/flashsale/campaigns/{campaign.code}/claims"
    alice, bob = world.client("alice"), world.client("bob")
    assert alice.post(path).status_code == 201
    assert bob.get(path).status_code == 200

    proxy.arm(hold_count=1 + redis_client.RETRIES)
    answer = bob.post(path)

    assert proxy.evalshas == 1 + redis_client.RETRIES
    assert answer.status_code == 503 and answer.json()["error"] == "gate_unavailable"
    assert direct.xlen(gate.keys(campaign.code)["stream"]) == 2  # alice's, and bob's first run only
    assert gate.pool(campaign.code) == 3
