"""The clustered broker mode for real: a private 3-node RabbitMQ cluster asking Millet over HTTP.

One cluster for the module (it takes tens of seconds to form); Millet's auth endpoints are served by
pytest-django's live server, which the nodes' ``rabbitmq_auth_backend_http`` calls. The ACL probes
are Mosquitto's (test_mqtt_broker), except that RabbitMQ closes the connection of a device that
publishes or subscribes where it may not, where Mosquitto drops the message or answers 0x80.
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import time

import pytest

from millet.accounts.actor import SYSTEM
from millet.devices.mqtt import topics
from millet.devices.mqtt.amqp_ingest import AmqpIngestWorker
from millet.devices.mqtt.config import INGEST_USER, service_credentials
from millet.devices.mqtt.rabbitmq import AUTH_CACHE_MS, RABBITMQ_BIN, PrivateRabbitCluster, mqtt_connack
from millet.devices.mqtt.simulator import Credentials, Simulator
from millet.devices.services import broker_auth
from tests.devices.mqtt_fixtures import (  # noqa: F401
    Broker,
    Device,
    Running,
    Service,
    plugs_fixture,
    wait_subscribed,
    wait_until,
    worker_for,
)
from tests.devices.test_ingest import assert_exactly_once, stored_seqs

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(scope="module")
def cluster(live_server, tmp_path_factory):
    """Three private nodes; under CI a missing rabbitmq-server fails (scripts/services.sh installs it)."""
    if not (RABBITMQ_BIN / "rabbitmq-server").exists() or not shutil.which("erl"):
        if os.environ.get("CI"):
            pytest.fail("rabbitmq-server is required under CI (scripts/services.sh installs it)")
        pytest.skip("rabbitmq-server is not installed")
    base = live_server.url.replace("localhost", "127.0.0.1")
    auth_url = f"{base}/api/broker/{broker_auth.broker_auth_token()}/rabbitmq"
    server = PrivateRabbitCluster(tmp_path_factory.mktemp("rabbitmq"), auth_url=auth_url).start()
    server.await_mqtt(INGEST_USER, service_credentials()[INGEST_USER])
    print(f"\nRabbitMQ cluster of {len(server.nodes)} formed in {server.started_in:.1f}s")
    yield server
    server.stop()


@pytest.fixture
def nodes(cluster, monkeypatch):
    """Each node as a broker address; Millet's own services use node 1 unless a test says otherwise."""
    brokers = [Broker("rabbitmq", cluster.host, n.mqtt_port, cluster) for n in cluster.nodes]
    monkeypatch.setenv("MILLET_MQTT_MODE", "rabbitmq")
    monkeypatch.setenv("MILLET_MQTT_HOST", cluster.host)
    monkeypatch.setenv("MILLET_MQTT_PORT", str(brokers[0].port))
    return brokers


def refused(device: Device, timeout: float = 5.0) -> bool:
    """The broker closed the connection after a forbidden action."""
    return device.disconnected.wait(timeout)


def test_a_device_reaches_only_its_own_topics_across_nodes(nodes, plugs):
    a, b = plugs(2)
    observer = Service(nodes[2])
    assert observer.connect() == 0
    assert observer.subscribe(f"{topics.PREFIX}/+/telemetry") == [1]

    # Each probe on a connection of its own (a refused action ends it), under the device's client id.
    for forbidden in (
        topics.topic(b.device_id, "commands"),
        f"{topics.PREFIX}/+/commands",
        topics.topic(b.device_id, "telemetry"),
        "#",
    ):
        probe = Device(nodes[0], a.device_id, a.secret)
        assert probe.connect() == 0
        probe.client.subscribe(forbidden, qos=1)
        assert refused(probe) or probe.suback == [0x80], f"subscribing to {forbidden} was allowed"
        probe.close()
    for forbidden in (topics.topic(b.device_id, "telemetry"), topics.topic(a.device_id, "commands")):
        probe = Device(nodes[0], a.device_id, a.secret)
        assert probe.connect() == 0
        probe.client.publish(forbidden, b'{"seq": 1, "ts": 1, "props": {"on": true}}', qos=1)
        assert refused(probe), f"publishing on {forbidden} did not close the connection"
        probe.close()

    device = Device(nodes[0], a.device_id, a.secret)
    assert device.connect() == 0
    assert device.subscribe(topics.topic(a.device_id, "commands")) == [1]
    device.publish(topics.topic(a.device_id, "telemetry"), b"mine")
    wait_until(lambda: observer.messages, what="the device's own telemetry on another node")
    assert observer.messages == [(topics.topic(a.device_id, "telemetry"), b"mine")]

    # The service login cannot impersonate a device's uplink... but it may command devices.
    observer.publish(topics.topic(a.device_id, "commands"), b'{"id": "c1"}')
    wait_until(lambda: device.messages, what="a command delivered to the device")
    assert device.messages == [(topics.topic(a.device_id, "commands"), b'{"id": "c1"}')]
    device.close()
    observer.close()


def test_wrong_secret_unknown_device_and_borrowed_client_id_are_refused(nodes, plugs):
    a, b = plugs(2)
    assert Device(nodes[0], a.device_id, "not-the-secret").connect() != 0
    assert Device(nodes[1], "dunknown0000000000000", a.secret).connect() != 0
    assert Device(nodes[2], a.device_id, a.secret, client_id=b.device_id).connect() != 0
    ok = Device(nodes[1], a.device_id, a.secret)
    assert ok.connect() == 0
    ok.close()


def test_revocation_refuses_the_device_within_the_cache_time(nodes, plugs):
    from millet.devices.services import revoke_device

    (a,) = plugs(1)
    device = Device(nodes[0], a.device_id, a.secret)
    assert device.connect() == 0  # its allow is now cached on node 1
    device.close()
    revoke_device(SYSTEM, a.device_id)
    revoked_at = time.monotonic()

    def refused_now() -> bool:
        probe = Device(nodes[0], a.device_id, a.secret)
        code = probe.connect()
        probe.close()
        return code != 0

    wait_until(refused_now, timeout=AUTH_CACHE_MS / 1000 + 3, what="the revoked device to be refused")
    assert time.monotonic() - revoked_at <= AUTH_CACHE_MS / 1000 + 3


def test_a_device_on_node_1_is_ingested_by_an_mqtt_worker_on_node_3(nodes, plugs):
    (a,) = plugs(1)
    worker = worker_for(nodes[2]).start()
    wait_subscribed(worker, "the worker's subscriptions on node 3")
    device = Device(nodes[0], a.device_id, a.secret)
    assert device.connect() == 0
    now = int(time.time() * 1000)
    for seq in (1, 2, 3):
        payload = json.dumps({"seq": seq, "ts": now + seq, "props": {"power": 10.0 + seq}})
        device.publish(topics.topic(a.device_id, "telemetry"), payload)
    wait_until(lambda: len(stored_seqs().get(a.device_id, [])) == 3, what="three readings stored")
    assert sorted(stored_seqs()[a.device_id]) == [1, 2, 3]
    device.close()
    worker.stop()


def amqp_worker(cluster, *order: int) -> Running:
    addresses = [(cluster.host, cluster.nodes[i].amqp_port) for i in order]
    return Running(lambda: AmqpIngestWorker(addresses, flush_seconds=0.02))


def test_amqp_workers_on_two_nodes_split_a_device_on_node_1(cluster, nodes, plugs):
    (a,) = plugs(1)
    workers = [amqp_worker(cluster, 2, 1).start(), amqp_worker(cluster, 1, 2).start()]
    for worker in workers:
        wait_until(lambda w=worker: w.thing.subscribed.is_set(), what="the workers' consumers")
    device = Device(nodes[0], a.device_id, a.secret)
    assert device.connect() == 0
    now = int(time.time() * 1000)
    for seq in range(1, 41):
        payload = json.dumps({"seq": seq, "ts": now + seq, "props": {"power": float(seq)}})
        device.publish(topics.topic(a.device_id, "telemetry"), payload)
    wait_until(lambda: len(stored_seqs().get(a.device_id, [])) == 40, what="forty readings stored")
    assert sorted(stored_seqs()[a.device_id]) == list(range(1, 41))
    assert all(w.thing.totals.stored > 0 for w in workers), "one worker took the whole stream"
    device.close()
    for worker in workers:
        worker.stop()


def test_a_node_killed_mid_stream_loses_no_acknowledged_message(cluster, nodes, plugs):
    """Devices on node 2, workers on nodes 1 and 3, the shared queue declared on node 1: node 1 is
    killed mid-stream. Every message a device had PUBACKed is stored, none twice. (Last in the
    module: the cluster runs on two nodes after it.)"""
    issued = plugs(10)
    workers = [amqp_worker(cluster, 0, 2).start()]
    wait_until(lambda: workers[0].thing.subscribed.is_set(), what="the queue declared on node 1")
    workers.append(amqp_worker(cluster, 2, 1).start())
    sim = Simulator(
        [Credentials(p.device_id, p.secret) for p in issued],
        cluster.host,
        nodes[1].port,
        interval=0.02,
        messages_per_device=60,
        backoff_base=0.05,
        backoff_cap=0.5,
    )
    devices = Running(lambda: sim).start()
    wait_until(lambda: sim.acked >= 100, what="the stream to get going")
    at_kill = sim.acked
    cluster.kill(0)
    assert mqtt_connack(cluster.host, nodes[0].port, "nobody", "nothing", timeout=2) == -1, "node 1 still up"
    assert at_kill < 600, "the stream had ended before the node was killed"
    wait_until(sim.done, timeout=90, what="every message acknowledged by the broker")
    # The queue's new leader and the workers' reconnection take their time on a loaded machine.
    wait_until(lambda: sum(map(len, stored_seqs().values())) >= 600, timeout=180, what="all 600 stored")
    devices.stop()
    for worker in workers:
        worker.stop()
    assert_exactly_once(sim)
    assert sum(map(len, stored_seqs().values())) == 600


def test_a_node_whose_port_was_taken_starts_again_on_new_ports(tmp_path):
    """CI once lost all six cluster tests to one node's ``eaddrinuse``: a port found free was taken
    by another process before the node bound it. The cluster starts again on new ports."""
    if not (RABBITMQ_BIN / "rabbitmq-server").exists() or not shutil.which("erl"):
        pytest.fail("rabbitmq-server is required (scripts/services.sh installs it)")
    server = PrivateRabbitCluster(tmp_path, auth_url="http://127.0.0.1:9/unused", size=2)
    with socket.socket() as squatter:
        squatter.bind((server.host, server.nodes[1].mqtt_port))
        squatter.listen()
        taken = server.nodes[1].mqtt_port
        try:
            server.start()
            assert server.nodes[1].mqtt_port != taken
            assert (server.nodes[1].directory / "server.out.port-taken").exists()
            assert server.nodes[1].alive and server.nodes[0].alive
        finally:
            server.stop()
