"""REDIS_URL naming a Redis Cluster: the client, Django's cache and live news on a private cluster."""

from __future__ import annotations

import threading
import time

import pytest
import redis
from django.core.cache import cache

from millet.core import redis_client
from millet.devices.services import live
from tests.redis_cluster import PrivateCluster


@pytest.fixture(scope="module")
def private_cluster():
    cluster = PrivateCluster()
    try:
        cluster.start()
        yield cluster
    finally:
        cluster.stop()


@pytest.fixture
def on_cluster(private_cluster, settings):
    settings.REDIS_URL = private_cluster.url
    settings.CACHES = {
        "default": {"BACKEND": "millet.core.cluster_cache.ClusterCache", "LOCATION": private_cluster.url}
    }
    redis_client.reset()
    yield private_cluster
    redis_client.reset()


@pytest.mark.parametrize(
    ("url", "cluster"),
    [
        ("redis://127.0.0.1:6379/6", False),
        ("rediss://cache.example:6380/0", False),
        ("redis+cluster://10.0.0.1:7000,10.0.0.2:7000", True),
        ("REDISS+CLUSTER://:secret@10.0.0.1:7000/0", True),
        ("", False),
    ],
)
def test_the_scheme_says_whether_redis_url_names_a_cluster(url, cluster):
    assert redis_client.is_cluster(url) is cluster


@pytest.mark.parametrize(
    "url",
    [
        "redis+cluster://127.0.0.1:7000/3",
        "redis+cluster://127.0.0.1:7000/0?ssl_cert_reqs=none",
        "redis+cluster:///0",
    ],
)
def test_a_cluster_url_with_a_database_options_or_no_node_is_refused(url):
    with pytest.raises(ValueError, match="Redis Cluster URL"):
        redis_client.connect(url)


def test_one_node_of_the_url_is_enough_to_find_every_master(private_cluster):
    client = redis_client.connect(f"redis+cluster://127.0.0.1:{private_cluster.ports[-1]}")
    try:
        found = {node.port for node in client.get_primaries()}
        assert found == private_cluster.masters() and len(found) == 3
    finally:
        client.close()


def test_djangos_cache_spans_the_masters(on_cluster):
    """Throttles, sign-in counters and page caches use these calls; several keys at once would be
    refused by a cluster as CROSSSLOT had the backend sent them as one MGET or MSET."""
    values = {f"k{i}": i * 10 for i in range(12)} | {"page": ["a", 1]}
    slots = {redis_client.shared().keyslot(cache.make_key(k)) for k in values}
    assert len({on_cluster.master_of(cache.make_key(k)) for k in values}) == 3 and len(slots) > 3
    cache.set_many(values, 30)
    assert cache.get_many([*values, "absent"]) == values
    assert cache.incr("k1", 5) == 15
    assert cache.add("k1", 0) is False and cache.add("fresh", 1) is True
    cache.delete_many(["k2", "k3"])
    assert cache.get_many(["k2", "k3", "k4"]) == {"k4": 40}
    cache.set_many({"gone": 1}, 0)
    assert cache.get("gone") is None
    cache.clear()
    assert cache.get_many(list(values)) == {}


def test_live_news_published_on_one_master_reaches_a_listener_on_another(on_cluster):
    """Classic pub/sub is cluster-wide: the publisher and the listener may hold different masters."""
    listener = live._redis()
    here = listener.connection_pool.connection_kwargs["port"]
    publisher = on_cluster.node(next(port for port in on_cluster.masters() if port != here))
    pubsub = listener.pubsub(ignore_subscribe_messages=True)
    pubsub.psubscribe(live.channel_prefix() + "*")
    pubsub.get_message(timeout=2)
    publisher.publish(live.channel_prefix() + "dev-1", '{"device": "dev-1"}')
    deadline, got = time.monotonic() + 5, None
    while got is None and time.monotonic() < deadline:
        got = pubsub.get_message(timeout=0.5)
    pubsub.close()
    assert got is not None and got["data"] == b'{"device": "dev-1"}'


# Keeps a Redis server busy for ARGV[1] ms: the commands other clients send meanwhile wait, then run.
BUSY = """
local t = redis.call('TIME')
local start = t[1] * 1000 + t[2] / 1000
repeat t = redis.call('TIME') until t[1] * 1000 + t[2] / 1000 - start >= tonumber(ARGV[1])
"""


@pytest.mark.parametrize("call", ["add", "incr"])
def test_a_counter_whose_answer_is_late_is_counted_at_most_once(on_cluster, monkeypatch, call):
    """The cluster client resends a command whose answer is late, and the master runs both: a sign-in
    failure would count twice, and an add would answer "already there" to the caller who put it."""
    monkeypatch.setattr(redis_client, "SOCKET_TIMEOUT", 0.3)
    redis_client.reset()
    if call == "incr":
        cache.set("failures", 1, 60)
    assert cache.get("failures") in (None, 1)  # the connection to the key's master is open
    master = on_cluster.node(on_cluster.master_of(cache.make_key("failures")))
    busy = threading.Thread(target=master.eval, args=(BUSY, 0, 1200))
    busy.start()
    time.sleep(0.1)
    with pytest.raises(redis.TimeoutError):  # the caller is told, rather than resent
        getattr(cache, call)("failures", 1)
    busy.join()
    # At most once: the master runs the late command, or never reads it if the timed-out client
    # closed its connection first; a resend would make it 3.
    assert cache.get("failures") in ((1, 2) if call == "incr" else (None, 1))
    cache.delete("failures")
