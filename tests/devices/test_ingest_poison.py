"""Poison messages never stop the device cloud: real Mosquitto, the real ``millet ingest`` process.

Every device sends good telemetry mixed with one poison message of each kind the decoder refuses.
The worker must never exit, store every good message exactly once, count every poison message by its
reason and keep an example as a dead letter, and ack them all, so a restarted worker does not meet
them again. A packet over the size limit never gets past the broker.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

import paho.mqtt.client as mqtt
import pytest
from django.conf import settings
from django.db import connection

from millet.devices.mqtt import topics
from millet.devices.mqtt.config import INGEST_USER, MAX_PACKET_BYTES, service_credentials
from millet.devices.telemetry import services as telemetry
from millet.devices.telemetry.models import DeadLetter, TelemetryMessage
from tests.devices.mqtt_fixtures import Device, mosquitto_fixture, plugs_fixture, wait_until  # noqa: F401

pytestmark = pytest.mark.django_db(transaction=True)
ROOT = Path(__file__).resolve().parents[2]
GOOD = 12  # good telemetry messages per device


def database_url() -> str:
    db = connection.settings_dict
    if connection.vendor == "sqlite":
        return f"sqlite:///{db['NAME']}"
    auth = db["USER"] + (f":{db['PASSWORD']}" if db.get("PASSWORD") else "")
    return f"postgres://{auth}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"


class IngestProcess:
    """``millet ingest`` as production runs it, against the test database and the private broker: one
    process, or several (``--instance 1..n``) sharing the stream through a shared subscription."""

    def __init__(self, log: Path, workers: int = 1) -> None:
        self.log = log
        self.instances = [0] if workers == 1 else list(range(1, workers + 1))
        self.processes: list[subprocess.Popen] = []

    def start(self) -> IngestProcess:
        env = {**os.environ, "DATABASE_URL": database_url(), "MILLET_DATA_DIR": str(settings.DATA_DIR)}
        env.pop("REDIS_URL", None)
        with self.log.open("a") as out:
            self.processes = [
                subprocess.Popen(
                    [sys.executable, "-m", "millet.cli", "ingest", "--quiet", "--flush-ms", "20"]
                    + ["--instance", str(instance)],
                    env=env,
                    cwd=ROOT,
                    stdout=out,
                    stderr=subprocess.STDOUT,
                )
                for instance in self.instances
            ]
        return self

    def alive(self) -> bool:
        return bool(self.processes) and all(p.poll() is None for p in self.processes)

    def stop(self) -> int:
        """SIGTERM, as a supervisor stops it; the worker bounds its own shutdown well below the wait."""
        for process in self.processes:
            process.send_signal(signal.SIGTERM)
        try:
            return max(process.wait(timeout=60) for process in self.processes)
        except subprocess.TimeoutExpired:
            for process in self.processes:
                process.kill()
            tail = self.log.read_text(errors="replace")[-3000:]
            raise AssertionError(
                f"an ingest process outlived SIGTERM by 60 s; its log ends:\n{tail}"
            ) from None


def hold_worker_session(broker, instances: list[int]) -> None:
    """Open each worker's persistent session once, so the broker queues everything for it from now
    on (what a running deployment always has); several workers subscribe as one shared group."""
    for instance in instances:
        client_id = f"{INGEST_USER}-{instance}" if instance else INGEST_USER
        prefix = f"$share/{INGEST_USER}/" if instance else ""
        client = mqtt.Client(
            mqtt.CallbackAPIVersion.VERSION2, client_id=client_id, clean_session=False, protocol=mqtt.MQTTv311
        )
        client.username_pw_set(INGEST_USER, service_credentials()[INGEST_USER])
        client.connect(broker.host, broker.port)
        client.loop_start()
        result, mid = client.subscribe([(prefix + f, 1) for f in topics.INGEST_FILTERS])
        assert result == mqtt.MQTT_ERR_SUCCESS
        time.sleep(0.5)
        client.disconnect()
        client.loop_stop()


def poison(now_ms: int) -> list[tuple[str, bytes, str]]:
    """(channel, payload, reason): one of each kind, all within the broker's size limit."""

    def tele(body: str) -> bytes:
        return body.replace("NOW", str(now_ms)).encode()

    return [
        (
            "telemetry",
            tele('{"seq": 5000, "ts": 1000000000000000000, "props": {"on": true}}'),
            "ts_out_of_range",
        ),
        ("telemetry", b"[" * 60_000 + b"]" * 60_000, "too_deep"),
        ("telemetry", b"\xff not json", "malformed_json"),
        ("telemetry", tele('{"seq": 5001, "ts": NOW, "props": {"power": NaN}}'), "malformed_json"),
        ("telemetry", tele('{"seq": 0, "ts": NOW, "props": {"on": true}}'), "invalid_seq"),
        ("telemetry", tele('{"seq": 5002, "ts": "now", "props": {"on": true}}'), "invalid_ts"),
        ("telemetry", tele('{"seq": 5003, "ts": NOW, "props": {"power": "\\u0000"}}'), "invalid_value"),
        (
            "telemetry",
            tele('{"seq": 5004, "ts": NOW, "props": {"volume": 3}}'),
            "out_of_spec:unknown_property",
        ),
        (
            "telemetry",
            tele('{"seq": 5005, "ts": NOW, "props": {"power": 99999}}'),
            "out_of_spec:invalid_property_value",
        ),
        ("events", tele('{"seq": 1, "ts": NOW, "event": "x", "args": []}'), "invalid_args"),
        ("acks", b'{"command": 5, "status": "ok"}', "invalid_ack"),
        ("status", b"sleepy", "invalid_status"),
    ]


@pytest.mark.parametrize("workers", [1, 2])
def test_poison_from_many_devices_never_stops_ingestion(mosquitto, plugs, tmp_path, workers):
    """With two workers sharing the stream, each message is still stored once: none lost, none twice
    (a duplicate would be counted as one in the stats), and the shadow keeps the newest report
    whichever worker took it."""
    issued = plugs(8)
    worker = IngestProcess(tmp_path / "ingest.log", workers)
    hold_worker_session(mosquitto, worker.instances)
    worker.start()
    try:
        run_poisoned_stream(mosquitto, issued, worker)
    finally:
        if worker.alive():
            worker.stop()


def run_poisoned_stream(broker, issued, worker: IngestProcess) -> None:
    now = datetime.now(UTC).replace(microsecond=0)
    now_ms = int(now.timestamp() * 1000)
    expected_reasons: dict[str, int] = {}
    devices = []
    for n, unit in enumerate(issued):
        device = Device(broker, unit.device_id, unit.secret)
        assert device.connect() == 0
        devices.append(device)
        bad = poison(now_ms)
        for seq in range(1, GOOD + 1):
            body = {"seq": seq, "ts": now_ms - (GOOD - seq) * 1000, "props": {"power": float(n * 100 + seq)}}
            device.publish(topics.topic(unit.device_id, "telemetry"), json.dumps(body))
            if bad:  # poison mixed into the good stream
                channel, payload, reason = bad.pop()
                device.publish(topics.topic(unit.device_id, channel), payload)
                expected_reasons[reason] = expected_reasons.get(reason, 0) + 1
        assert not bad
    # The shadow case over the wire: the newer report first, then an older backlog one.
    first = devices[0]
    tele = topics.topic(issued[0].device_id, "telemetry")
    first.publish(tele, json.dumps({"seq": GOOD + 2, "ts": now_ms, "props": {"power": 80.0}}))
    first.publish(tele, json.dumps({"seq": GOOD + 1, "ts": now_ms - 60_000, "props": {"power": 20.0}}))
    stored_total = len(issued) * GOOD + 2

    wait_until(lambda: telemetry.ingest_stats().get("stored", 0) >= stored_total, 60, "every good message")
    wait_until(
        lambda: sum(telemetry.ingest_stats().values()) >= stored_total + sum(expected_reasons.values()),
        30,
        "every poison message counted",
    )
    assert worker.alive(), "the ingestion worker exited"
    assert telemetry.ingest_stats() == {"stored": stored_total, **expected_reasons}
    stored = sorted(TelemetryMessage.objects.values_list("device_id", "seq"))
    assert len(stored) == len(set(stored)) == stored_total  # each good message once, no poison
    for unit in issued[1:]:
        assert [s for d, s in stored if d == unit.device_id] == list(range(1, GOOD + 1))
    letters = DeadLetter.objects.filter(source="ingest")
    assert set(letters.values_list("reason", flat=True)) == set(expected_reasons)
    assert (
        letters.get(reason="too_deep", key__startswith=topics.topic(issued[0].device_id, "")).size == 120_000
    )

    from millet.devices.services import shadow_of

    def power_is_80() -> bool:
        shadow = shadow_of(issued[0].device_id)
        return shadow.reported.get("power") == 80.0 and shadow.reported_at == now

    wait_until(power_is_80, 10, "the newest report in the shadow")
    time.sleep(1.5)  # several shadow rounds: the older report must not have rolled it back
    assert power_is_80()

    # A packet over the broker's limit (20 MB) disconnects its sender; nothing reaches ingestion.
    sender = devices[1]
    huge = (
        b'{"seq": 99, "ts": %d, "props": {"power": 1.0}, "pad": "' % now_ms
        + b"x" * (20 * 1024 * 1024)
        + b'"}'
    )
    assert len(huge) > MAX_PACKET_BYTES
    sender.client.publish(topics.topic(issued[1].device_id, "telemetry"), huge, qos=1)
    assert sender.disconnected.wait(15), "the broker kept a client that sent 20 MB"

    # Everything was acknowledged: a restarted worker meets no poison again and goes on storing.
    assert worker.stop() == 0
    worker.start()
    later = {"seq": GOOD + 3, "ts": now_ms + 1000, "props": {"power": 81.0}}
    first.publish(tele, json.dumps(later))
    # The restarted processes boot Django first: on a loaded machine (the suite's other worker) that
    # alone can take half a minute, so the wait allows for it; it returns as soon as the row is stored.
    wait_until(lambda: telemetry.ingest_stats()["stored"] == stored_total + 1, 90, "the next message")
    time.sleep(0.5)
    assert telemetry.ingest_stats() == {"stored": stored_total + 1, **expected_reasons}
    assert not TelemetryMessage.objects.filter(seq=99).exists()
    assert worker.alive()
    for device in devices:
        device.close()
