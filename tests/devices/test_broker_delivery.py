"""What a broker delivers on its own (retained messages, wills, queued messages) passes the topic ACL,
and both brokers refuse packets over the same size limit.

Real paho clients against both broker modes. The ingestion login subscribes to every device's
``status`` (as the worker does), so retained status messages exist in the broker; a device must still
receive nothing but its own commands, however it connects.
"""

from __future__ import annotations

import time

import pytest

from millet.devices.mqtt import topics
from millet.devices.mqtt.config import MAX_PACKET_BYTES
from tests.devices.mqtt_fixtures import Device, Service, broker_fixture, plugs_fixture, wait_until  # noqa: F401

pytestmark = pytest.mark.django_db(transaction=True)
NOT_AUTHORISED = 135  # CONNACK 5 of MQTT 3.1.1, as paho 2 reports it (the MQTT 5 reason code)


def only_own_commands(device: Device, device_id: str) -> list:
    """Messages a device received that are not on its own command topic (must stay empty)."""
    return [m for m in device.messages if m[0] != topics.topic(device_id, "commands")]


def test_no_retained_will_or_queued_message_of_another_device_reaches_a_device(broker, plugs):
    a, b, c = plugs(3)
    observer = Service(broker)
    assert observer.connect() == 0
    assert observer.subscribe(f"{topics.PREFIX}/+/status") == [1]

    # Device B announces itself as firmware does: retained "online", with a retained "offline" will.
    b_status = topics.topic(b.device_id, "status")
    other = Device(broker, b.device_id, b.secret, clean_session=False, will=(b_status, b"offline"))
    assert other.connect() == 0
    other.publish(b_status, "online", retain=True)
    wait_until(lambda: (b_status, b"online") in observer.messages, what="B's retained status")

    # Device A has a persistent session holding only its own command subscription, then goes offline.
    a_commands = topics.topic(a.device_id, "commands")
    device = Device(broker, a.device_id, a.secret, clean_session=False)
    assert device.connect() == 0
    assert device.subscribe(a_commands) == [1]
    device.close()

    # While A is away: B reports, gets a command, and loses power (its will fires, retained); the
    # platform queues one command for A.
    other.publish(topics.topic(b.device_id, "telemetry"), b'{"seq": 1, "ts": 1, "props": {}}')
    other.publish(topics.topic(b.device_id, "events"), b'{"seq": 1, "ts": 1, "event": "x"}')
    observer.publish(topics.topic(b.device_id, "commands"), b'{"id": "for-b"}')
    other.drop()
    wait_until(lambda: (b_status, b"offline") in observer.messages, what="B's will")
    observer.publish(a_commands, b'{"id": "for-a"}')

    # A comes back to its session: its own queued command arrives, and nothing of B's.
    back = Device(broker, a.device_id, a.secret, clean_session=False)
    assert back.connect() == 0
    wait_until(lambda: back.messages, what="A's queued command")
    # A device that subscribes to nothing at all, on a fresh session.
    bare = Device(broker, c.device_id, c.secret)
    assert bare.connect() == 0
    # And a fresh subscription to its own commands must not bring another device's retained message.
    assert bare.subscribe(topics.topic(c.device_id, "commands")) == [1]
    time.sleep(1.0)  # retained and queued deliveries follow CONNACK/SUBACK at once; give them time
    assert back.messages == [(a_commands, b'{"id": "for-a"}')]
    assert only_own_commands(back, a.device_id) == []
    assert bare.messages == []
    for client in (back, bare, observer):
        client.close()


def test_both_brokers_refuse_a_packet_over_the_same_size_limit(broker, plugs):
    """A PUBLISH of exactly ``MAX_PACKET_BYTES`` (Mosquitto's reckoning: type byte plus remaining
    length) goes through; one byte more disconnects its sender, and no subscriber ever sees it."""
    a, b = plugs(2)
    observer = Service(broker)
    assert observer.connect() == 0
    assert observer.subscribe(f"{topics.PREFIX}/+/telemetry") == [1]
    for unit, extra in ((a, 0), (b, 1)):
        name = topics.topic(unit.device_id, "telemetry")
        # A QoS 1 PUBLISH: type byte, [length bytes, not counted], topic length (2), topic, packet id (2).
        payload = b"x" * (MAX_PACKET_BYTES - 5 - len(name) + extra)
        device = Device(broker, unit.device_id, unit.secret)
        assert device.connect() == 0
        device.client.publish(name, payload, qos=1)
        if extra:
            assert device.disconnected.wait(10), "the broker kept a client that sent an oversized packet"
        else:
            wait_until(lambda n=name: any(t == n for t, _ in observer.messages), what="the largest packet")
        device.close()
    time.sleep(0.5)
    largest = topics.topic(a.device_id, "telemetry")
    assert [(t, len(p)) for t, p in observer.messages] == [(largest, MAX_PACKET_BYTES - 5 - len(largest))]
    observer.close()


def test_a_refused_login_leaves_the_session_of_its_client_id_alone(broker, plugs):
    """A CONNECT naming a device's client id with a wrong password is refused before it touches that
    device's session, on both brokers: the connected device is not taken over, its will is not
    replaced, and its persistent session keeps what is queued for it (amqtt 0.12 did all three
    before it checked the password; Mosquitto checks first)."""
    [plug] = plugs(1)
    observer = Service(broker)
    assert observer.connect() == 0
    assert observer.subscribe(f"{topics.PREFIX}/+/status") == [1]
    status, commands = topics.topic(plug.device_id, "status"), topics.topic(plug.device_id, "commands")
    device = Device(broker, plug.device_id, plug.secret, clean_session=False, will=(status, b"offline"))
    assert device.connect() == 0
    assert device.subscribe(commands) == [1]

    for clean_session in (False, True):
        intruder = Device(
            broker, plug.device_id, "not-the-secret", clean_session=clean_session, will=(status, b"forged")
        )
        assert intruder.connect() == NOT_AUTHORISED
        intruder.close()
    observer.publish(commands, b'{"id": "still-yours"}')
    wait_until(lambda: (commands, b'{"id": "still-yours"}') in device.messages, what="the device's command")
    assert not device.disconnected.is_set()

    device.close()  # a clean DISCONNECT: no will; the persistent session waits for the device
    intruder = Device(broker, plug.device_id, "not-the-secret", clean_session=True)
    assert intruder.connect() == NOT_AUTHORISED
    intruder.close()
    observer.publish(commands, b'{"id": "queued"}')
    back = Device(broker, plug.device_id, plug.secret, clean_session=False, will=(status, b"offline"))
    assert back.connect() == 0
    wait_until(lambda: back.messages, what="the command queued for the device")
    assert back.messages == [(commands, b'{"id": "queued"}')]

    back.drop()  # power cut: the will the device gave fires, not the intruder's
    wait_until(lambda: (status, b"offline") in observer.messages, what="the device's will")
    assert (status, b"forged") not in observer.messages
    observer.close()
