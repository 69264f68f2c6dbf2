"""The simulator's command handler is firmware's: a command it cannot use is ignored and counted.

Malformed commands of every kind, sent over a real broker to a simulated device, never stop the
simulated fleet; the next good command is applied and acknowledged as usual.
"""

from __future__ import annotations

import json
import time
from collections import Counter

import pytest

from millet.devices.mqtt import topics
from millet.devices.mqtt.simulator import Credentials, Simulator
from tests.devices.mqtt_fixtures import Running, Service, broker_fixture, plugs_fixture, wait_until  # noqa: F401

pytestmark = pytest.mark.django_db(transaction=True)

BAD_COMMANDS = [
    (b"\xff\xfe", "malformed_json"),
    (b"[" * 60_000 + b"]" * 60_000, "too_deep"),
    (b'{"id": "c0", "kind": "set", "params": {"props": {"on": NaN}}}', "malformed_json"),
    (b"[1, 2]", "malformed_command"),
    (b'{"id": 5, "kind": "set"}', "malformed_command"),
    (b'{"id": "c1", "kind": "reboot"}', "malformed_command"),
    (b'{"id": "c2", "kind": "set", "params": []}', "invalid_params"),
    (b'{"id": "c3", "kind": "set", "params": {"props": []}}', "invalid_params"),
    (b'{"id": "c4", "kind": "set", "params": {"props": {"power": 5.0}}}', "invalid_property"),  # read-only
    (b'{"id": "c5", "kind": "set", "params": {"props": {"on": "yes"}}}', "invalid_property"),
    (b'{"id": "c6", "kind": "set", "params": {"props": {"volume": 3}}}', "invalid_property"),
    (b'{"id": "c7", "kind": "ota", "params": {"version": 7}}', "invalid_params"),
    (b'{"id": "c8", "kind": "action", "params": {}, "expires": 1}', "expired"),
]


def test_malformed_commands_are_ignored_and_counted_and_the_device_goes_on(broker, plugs):
    (unit,) = plugs(1)
    observer = Service(broker)
    assert observer.connect() == 0
    assert observer.subscribe(f"{topics.PREFIX}/+/acks") == [1]
    assert observer.subscribe(f"{topics.PREFIX}/+/status") == [1]
    sim = Simulator([Credentials(unit.device_id, unit.secret)], broker.host, broker.port, interval=3600)
    running = Running(lambda: sim).start()
    # "online" follows the device's SUBSCRIBE on the same connection: its command topic is live.
    wait_until(lambda: (topics.topic(unit.device_id, "status"), b"online") in observer.messages)
    commands = topics.topic(unit.device_id, "commands")
    for payload, _ in BAD_COMMANDS:
        observer.publish(commands, payload)
    expires = int(time.time() * 1000) + 60_000
    good = {"id": "ok1", "kind": "set", "params": {"props": {"on": True}, "version": 1}, "expires": expires}
    observer.publish(commands, json.dumps(good))
    acks = topics.topic(unit.device_id, "acks")
    wait_until(lambda: any(t == acks for t, _ in observer.messages), what="the good command's ack")
    assert running._thread.is_alive(), "the simulator stopped"
    assert sim.ignored == Counter(reason for _, reason in BAD_COMMANDS)
    assert [json.loads(p) for t, p in observer.messages if t == acks] == [
        {"command": "ok1", "status": "ok", "result": {}}
    ]
    assert sim.devices[0].commands == 1 and sim.devices[0].props["on"].value is True
    running.stop()
    observer.close()
