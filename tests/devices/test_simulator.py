"""A thousand simulated devices, dropped at once by a broker restart, all come back (jittered back-off)."""

from __future__ import annotations

import threading

import pytest

from millet.devices.mqtt.config import ADMIN_USER, service_credentials
from millet.devices.mqtt.mosquitto import PrivateMosquitto, preload_devices
from millet.devices.mqtt.simulator import Credentials, Simulator
from tests.devices.mqtt_fixtures import plugs_fixture, require_mosquitto, wait_until  # noqa: F401

pytestmark = pytest.mark.django_db(transaction=True)


def test_a_thousand_devices_reconnect_after_a_broker_restart(plugs, tmp_path, monkeypatch):
    require_mosquitto()
    monkeypatch.setenv("MILLET_MQTT_MODE", "embedded")  # provision without a live broker to sync...
    issued = plugs(1000)
    server = PrivateMosquitto(tmp_path / "mosquitto", admin_password=service_credentials()[ADMIN_USER])
    preload_devices(server.directory, [(p.device_id, p.secret) for p in issued])  # ...then load them offline
    server.start()
    sim = Simulator(
        [Credentials(p.device_id, p.secret) for p in issued],
        server.host,
        server.port,
        interval=3600,  # quiet: this test is about connections
        backoff_base=0.1,
        backoff_cap=2.0,
    )
    stop = threading.Event()
    thread = threading.Thread(target=sim.run, args=(stop,), daemon=True)
    thread.start()
    try:
        wait_until(lambda: sim.connected == 1000, timeout=60, what="1000 devices connected")
        server.restart()
        # Each device notices once; waiting to see none connected at one moment flaked in CI, as the
        # first to notice may be back before the last has noticed.
        wait_until(
            lambda: all(d.disconnects for d in sim.devices),
            timeout=30,
            what="every device to notice the restart",
        )
        wait_until(lambda: sim.connected == 1000, timeout=90, what="all 1000 devices back")
        assert sum(d.refused for d in sim.devices) == 0
        assert all(d.attempts == 0 for d in sim.devices)  # each came back and reset its back-off
    finally:
        stop.set()
        thread.join(30)
        server.stop()
