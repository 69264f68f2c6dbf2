"""Authentication and topic ACLs, for real, against both brokers (private Mosquitto and embedded amqtt)."""

from __future__ import annotations

import asyncio
import socket
import struct
import time

import pytest

from millet.accounts.actor import SYSTEM
from millet.devices.mqtt import topics
from millet.devices.mqtt.config import INGEST_USER, service_credentials
from tests.devices.mqtt_fixtures import (  # noqa: F401
    Device,
    Service,
    broker_fixture,
    embedded_fixture,
    plugs_fixture,
    wait_until,
)

pytestmark = pytest.mark.django_db(transaction=True)


def test_a_device_reaches_only_its_own_topics(broker, plugs):
    a, b = plugs(2)
    observer = Service(broker)
    assert observer.connect() == 0
    assert observer.subscribe(f"{topics.PREFIX}/+/telemetry") == [1]

    device = Device(broker, a.device_id, a.secret)
    assert device.connect() == 0
    assert device.subscribe(topics.topic(a.device_id, "commands")) == [1]
    assert device.subscribe(topics.topic(b.device_id, "commands")) == [0x80]
    assert device.subscribe(f"{topics.PREFIX}/+/commands") == [0x80]
    assert device.subscribe(topics.topic(b.device_id, "telemetry")) == [0x80]

    device.publish(topics.topic(b.device_id, "telemetry"), b'{"seq": 1, "ts": 1, "props": {"on": true}}')
    device.publish(topics.topic(a.device_id, "commands"), b"{}")  # downlink: the cloud's, not the device's
    device.publish(topics.topic(a.device_id, "telemetry"), b"mine")
    wait_until(lambda: observer.messages, what="the device's own telemetry")
    assert observer.messages == [(topics.topic(a.device_id, "telemetry"), b"mine")]

    # The service login cannot impersonate a device's uplink either... but it may command devices.
    observer.publish(topics.topic(a.device_id, "commands"), b'{"id": "c1"}')
    wait_until(lambda: device.messages, what="a command delivered to the device")
    assert device.messages == [(topics.topic(a.device_id, "commands"), b'{"id": "c1"}')]
    device.close()
    observer.close()


def test_wrong_secret_unknown_device_and_borrowed_client_id_are_refused(broker, plugs):
    a, b = plugs(2)
    assert Device(broker, a.device_id, "not-the-secret").connect() != 0
    assert Device(broker, "dunknown0000000000000", a.secret).connect() != 0
    assert Device(broker, a.device_id, a.secret, client_id=b.device_id).connect() != 0
    ok = Device(broker, a.device_id, a.secret)
    assert ok.connect() == 0
    ok.close()


def test_revocation_disconnects_at_once_and_refuses_reconnects(broker, plugs):
    from millet.devices.services import revoke_device

    (a,) = plugs(1)
    device = Device(broker, a.device_id, a.secret)
    assert device.connect() == 0
    revoke_device(SYSTEM, a.device_id)  # commits; the signal syncs the broker under test
    assert device.disconnected.wait(10), "the revoked device is still connected"
    device.close()
    assert Device(broker, a.device_id, a.secret).connect() != 0


def test_a_rotated_secret_replaces_the_old_one(broker, plugs):
    from millet.devices.mqtt.broker import wait_for_sync
    from millet.devices.services import rotate_secret

    (a,) = plugs(1)
    rotated = rotate_secret(SYSTEM, a.device_id)
    assert wait_for_sync()
    assert Device(broker, a.device_id, a.secret).connect() != 0
    device = Device(broker, a.device_id, rotated.secret)
    assert device.connect() == 0
    device.close()


def test_the_embedded_brokers_subscriptions_may_change_while_amqtt_loops_over_them():
    """amqtt loops over the subscriptions across awaits (a broadcast's ``items()``, a reconnect's
    retained messages per held filter): a device subscribing or leaving meanwhile must not end the
    loop with "dictionary changed size during iteration"."""
    from millet.devices.mqtt.embedded import MilletBroker, SnapshotDict, broker_config

    subscriptions = SnapshotDict({"a/#": [], "b/#": []})
    for topic in subscriptions:
        subscriptions.pop("b/#", None)
        subscriptions[f"{topic}/new"] = []
    for topic, _ in subscriptions.items():
        subscriptions[f"{topic}/more"] = []
    # each loop saw the keys as they were when it began, and every change took effect
    assert set(subscriptions) == {"a/#", "a/#/new", "b/#/new", "a/#/more", "a/#/new/more", "b/#/new/more"}

    async def made() -> object:  # amqtt's broker is made inside a running loop
        return MilletBroker(broker_config("127.0.0.1", 1))._subscriptions

    assert isinstance(asyncio.run(made()), SnapshotDict)


class Subscriber(Device):
    """The ingestion login on a persistent session (client id ``millet-ingest``, clean_session=False),
    as the ingest worker holds it; ``manual_ack`` keeps received messages unacknowledged."""

    def __init__(self, broker, *, manual_ack: bool = False) -> None:
        super().__init__(
            broker,
            INGEST_USER,
            service_credentials()[INGEST_USER],
            client_id=INGEST_USER,
            clean_session=False,
        )
        self.client.manual_ack_set(manual_ack)

    def received(self) -> list[bytes]:
        return [payload for _, payload in self.messages]


def test_a_persistent_subscriber_gets_again_what_it_had_not_acknowledged_when_its_connection_dropped(
    broker, plugs
):
    """QoS 1 at least once: messages in flight to a subscriber (sent, no PUBACK yet) when its connection
    drops are sent again when its session reconnects. amqtt 0.12 forgot them (the ingest worker lost
    every message between its broker sending it and the worker's commit)."""
    (a,) = plugs(1)
    first = Subscriber(broker, manual_ack=True)
    assert first.connect() == 0
    assert first.subscribe(f"{topics.PREFIX}/+/telemetry") == [1]
    device = Device(broker, a.device_id, a.secret)
    assert device.connect() == 0
    sent = [f"m{i}".encode() for i in range(3)]
    for payload in sent:
        device.publish(topics.topic(a.device_id, "telemetry"), payload)
    wait_until(lambda: len(first.messages) == 3, what="the messages in flight to the subscriber")
    first.drop()  # no PUBACK was sent: the broker still owes all three

    second = Subscriber(broker)
    assert second.connect() == 0  # same session, no new SUBSCRIBE
    wait_until(lambda: set(sent) <= set(second.received()), what="the unacknowledged messages again")
    device.publish(topics.topic(a.device_id, "telemetry"), b"after")
    wait_until(lambda: b"after" in second.received(), what="a message published after the reconnect")
    device.close()
    second.close()


def test_a_session_taken_over_by_a_new_connection_delivers_to_the_new_connection(broker, plugs):
    """A worker that reconnects before the broker noticed its old connection was gone takes its own
    session over. amqtt 0.12 ended the old connection and then marked the session disconnected, with
    the new connection live: every later message was queued for a reconnect that never came."""
    (a,) = plugs(1)
    old = Subscriber(broker)
    assert old.connect() == 0
    assert old.subscribe(f"{topics.PREFIX}/+/telemetry") == [1]
    old.client.loop_stop()  # its socket stays open, as a dead peer's does until the broker sees it

    new = Subscriber(broker)
    assert new.connect() == 0
    device = Device(broker, a.device_id, a.secret)
    assert device.connect() == 0
    for i in range(3):
        device.publish(topics.topic(a.device_id, "telemetry"), f"m{i}".encode())
    wait_until(lambda: len(set(new.received())) == 3, what="the messages on the new connection")
    device.close()
    new.close()
    old.drop()


def test_a_device_that_takes_its_session_over_does_not_get_its_last_will_sent(broker, plugs):
    """A device (persistent session, retained "offline" will, as the firmware and the simulator do)
    reconnecting while its old connection still looks alive: the broker ends the old connection and
    sends no will for it (Mosquitto). amqtt 0.12 sent it once the old connection's end was handled,
    a retained "offline" for a device that is online."""
    (a,) = plugs(1)
    status = topics.topic(a.device_id, "status")
    observer = Service(broker)
    assert observer.connect() == 0
    assert observer.subscribe(f"{topics.PREFIX}/+/status") == [1]

    def firmware() -> Device:
        return Device(broker, a.device_id, a.secret, clean_session=False, will=(status, b"offline"))

    old = firmware()
    assert old.connect() == 0
    old.client.loop_stop()  # its socket stays open, as a dead peer's does until the broker sees it
    new = firmware()
    assert new.connect() == 0
    sock = old.client.socket()
    sock.settimeout(10)
    assert sock.recv(1) == b"", "the broker did not end the taken-over connection"
    time.sleep(0.5)  # the broker's handling of the old connection's end (amqtt: the same task, next)
    new.publish(status, "online", retain=True)
    wait_until(lambda: (status, b"online") in observer.messages, what="the device's new status")
    assert (status, b"offline") not in observer.messages
    new.close()
    observer.close()
    sock.close()


def _connect_packet(client_id: str, username: str, password: str) -> bytes:
    """An MQTT 3.1.1 CONNECT (clean session, keep-alive 30 s) with a username and password."""

    def field(text: str) -> bytes:
        data = text.encode()
        return len(data).to_bytes(2, "big") + data

    body = field("MQTT") + bytes([4, 0xC2]) + (30).to_bytes(2, "big")
    body += field(client_id) + field(username) + field(password)
    assert len(body) < 128  # a one-byte remaining length
    return bytes([0x10, len(body)]) + body


def _send_and_reset(broker, packet: bytes) -> None:
    """Send ``packet``, then end the connection with a reset (no FIN), before any answer."""
    with socket.create_connection((broker.host, broker.port), timeout=5) as sock:
        sock.sendall(packet)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))


def test_refused_logins_give_their_connection_back(plugs, monkeypatch):
    """Under a listener's connection limit, a refused login frees its place even when its client reset
    the connection before the CONNACK, or the login check itself failed: a few bad-password
    connections must not lock every device out (embedded broker; Mosquitto has no such path)."""
    from millet.devices.mqtt import embedded
    from tests.devices.mqtt_fixtures import Broker, EmbeddedBroker

    unlimited = embedded.broker_config

    def limited(host: str, port: int) -> dict:
        config = unlimited(host, port)
        config["listeners"]["default"]["max_connections"] = 2
        return config

    monkeypatch.setattr(embedded, "broker_config", limited)
    server = EmbeddedBroker().start()
    broker = Broker("embedded", server.host, server.port, server)
    for name, value in (("MODE", "embedded"), ("HOST", server.host), ("PORT", str(server.port))):
        monkeypatch.setenv(f"MILLET_MQTT_{name}", value)
    try:
        [plug] = plugs(1)
        for _ in range(3):
            _send_and_reset(broker, _connect_packet(plug.device_id, plug.device_id, "not-the-secret"))
        real_check = embedded._may_log_in

        def failing(*args):
            raise ConnectionError("the devices database is down")

        monkeypatch.setattr(embedded, "_may_log_in", failing)
        for _ in range(2):
            assert Device(broker, plug.device_id, plug.secret).connect() != 0  # fails closed
        monkeypatch.setattr(embedded, "_may_log_in", real_check)
        time.sleep(0.5)  # the refusals' connections end
        device = Device(broker, plug.device_id, plug.secret)
        assert device.connect() == 0
        device.close()
    finally:
        server.stop()


def test_an_accepted_login_is_looked_up_once(embedded, plugs, monkeypatch):
    """The embedded broker checks a CONNECT's login before amqtt reads it, and amqtt's own check of
    the same login then trusts that: one credential lookup per connection, not two."""
    from millet.devices.mqtt import embedded as module

    [plug] = plugs(1)
    lookups = []
    real_check = module._may_log_in

    def counted(*args):
        lookups.append(args[0])
        return real_check(*args)

    monkeypatch.setattr(module, "_may_log_in", counted)
    for _ in range(2):  # a first connection, then one to the session it left
        device = Device(embedded, plug.device_id, plug.secret, clean_session=False)
        assert device.connect() == 0
        device.close()
    assert Device(embedded, plug.device_id, "not-the-secret").connect() != 0
    assert lookups == [plug.device_id] * 3
