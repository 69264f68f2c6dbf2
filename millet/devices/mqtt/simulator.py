"""Simulated devices over real MQTT: standard paho clients, multiplexed on one thread with selectors.

Each device logs in as firmware would (client id = username = device id, its own secret), announces
``online`` (retained) with an ``offline`` last will, publishes QoS 1 telemetry with a strictly
increasing ``seq`` and values that wander inside its model's spec, and answers commands: ``set``
changes its state and reports it back, ``action`` is acknowledged, ``ota`` reports progress and then
the new version. A lost connection is retried with jittered exponential back-off ("full jitter": a
random delay up to min(cap, base * 2**attempt)), so a thousand devices dropped by a broker restart do
not all knock at the same instant. paho resends unacknowledged QoS 1 messages after a reconnect.

The command handler is firmware's: a command it cannot use (not JSON, too deep, no id, an unknown
kind, parameters of the wrong shape, a property that is not writable, an expired command) is ignored
and counted by reason in ``Simulator.ignored``; it never stops the simulated fleet. The cloud
retries an unanswered command and lets it expire.

A simulated camera (a model with the ``take-snapshot`` action) also uploads a picture on its own
``snapshot`` topic every ``snapshot_interval`` seconds and whenever the action is asked for. The
pictures come from whoever answers ``devices.events.camera_frame_wanted`` (the vision domain composites
real faces onto backgrounds), so the cloud's detector finds real faces in them.

One thread drives every client through paho's external-loop hooks (``loop_read``/``loop_write``/
``loop_misc``): thousands of devices cost one thread, not thousands.
"""

from __future__ import annotations

import csv
import json
import logging
import random
import selectors
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import paho.mqtt.client as mqtt

from millet.devices import events
from millet.devices.mqtt import topics
from millet.devices.mqtt.config import MAX_PACKET_BYTES, MAX_SNAPSHOT_BYTES
from millet.devices.mqtt.decoder import Refused, parse_json

log = logging.getLogger("millet.mqtt.simulator")
KINDS = ("set", "action", "ota")


@dataclass(frozen=True)
class Credentials:
    device_id: str
    secret: str
    model_urn: str = ""


def read_manifest(path: Path) -> list[Credentials]:
    """The factory manifest CSV: device_id, serial, model_urn, secret (header row)."""
    with open(path, newline="") as fh:
        return [
            Credentials(row["device_id"], row["secret"], row.get("model_urn", ""))
            for row in csv.DictReader(fh)
        ]


class PropertyModel:
    """Realistic values for one property: a bounded random walk on its range, grid and list."""

    def __init__(self, spec) -> None:
        self.spec = spec
        fmt = spec.format
        self.is_int = fmt not in ("float", "bool", "string")
        if spec.value_list:
            self.value = spec.value_list[0].value
        elif fmt == "bool":
            self.value = False
        elif fmt == "string":
            self.value = "ok"
        elif spec.value_range:
            low, high, step = spec.value_range
            self.value = low + ((high - low) // 2 // step) * step if self.is_int else (low + high) / 2
        else:
            self.value = 0 if self.is_int else 20.0

    def accepts(self, value: object) -> bool:
        """A value a ``set`` may give this property: writable, and of its format's JSON type."""
        fmt = self.spec.format
        if "write" not in self.spec.access:
            return False
        if fmt == "bool":
            return isinstance(value, bool)
        if fmt == "string":
            return isinstance(value, str)
        if isinstance(value, bool) or not isinstance(value, int | float):
            return False
        return fmt == "float" or isinstance(value, int)

    def off_value(self) -> object:
        """The reading of a switched-off appliance: the bottom of the property's range."""
        self.value = self.spec.value_range[0] if self.spec.value_range else 0
        return self.value

    def step(self, rng: random.Random) -> object:
        spec = self.spec
        if "write" in spec.access:  # the owner's setting (on/off, brightness): only commands change it
            return self.value
        if spec.value_list:
            if rng.random() < 0.1:
                self.value = rng.choice(spec.value_list).value
        elif spec.format == "bool":
            if rng.random() < 0.05:
                self.value = not self.value
        elif spec.format == "string":
            pass
        elif spec.value_range:
            low, high, step = spec.value_range
            if self.is_int:
                self.value = min(high, max(low, self.value + rng.choice((-step, 0, 0, step))))
            else:
                self.value = round(min(high, max(low, self.value + rng.gauss(0, (high - low) / 100))), 2)
        else:
            self.value = (
                max(0, self.value + rng.choice((-1, 0, 1)))
                if self.is_int
                else round(self.value + rng.gauss(0, 0.2), 2)
            )
        return self.value


@dataclass
class SimDevice:
    creds: Credentials
    props: dict[str, PropertyModel]
    client: mqtt.Client | None = None
    seq: int = 0
    connected: bool = False
    ever_connected: bool = False
    refused: int = 0
    disconnects: int = 0  # connections lost (a broker restart: each device once)
    attempts: int = 0
    reconnect_at: float = 0.0
    next_publish: float = 0.0
    firmware: str = "1.0.0"
    pending: dict[int, int] = field(default_factory=dict)  # mid -> seq awaiting PUBACK
    acked: set[int] = field(default_factory=set)  # seqs the broker acknowledged
    commands: int = 0
    published: int = 0
    camera: bool = False
    frames: int = 0  # pictures uploaded
    next_snapshot: float = 0.0


class Simulator:
    """Run ``run(stop)`` in a thread; read the counters from anywhere."""

    def __init__(
        self,
        devices: list[Credentials],
        host: str,
        port: int,
        *,
        interval: float = 5.0,
        messages_per_device: int | None = None,
        backoff_base: float = 0.2,
        backoff_cap: float = 10.0,
        keepalive: int = 30,
        property_models=None,
        seed: int = 7,
        ota_failure_rate: float = 0.0,
        snapshot_interval: float = 0.0,
        cameras=None,
    ) -> None:
        self.host, self.port = host, port
        self.interval = interval
        self.messages_per_device = messages_per_device
        self.backoff_base, self.backoff_cap = backoff_base, backoff_cap
        self.keepalive = keepalive
        self.ota_failure_rate = ota_failure_rate
        self.rng = random.Random(seed)
        self.ignored: Counter[str] = Counter()  # commands the firmware could not use, by reason
        self._selector = selectors.DefaultSelector()
        self._scheduled: list[tuple[float, object]] = []
        self._lock = threading.Lock()  # guards _scheduled: tests may schedule from their own thread
        self.snapshot_interval = snapshot_interval  # 0: pictures only when the action asks
        property_models = property_models or _property_models_from_spec
        cameras = cameras or _is_camera
        self.devices = [
            SimDevice(c, property_models(c.device_id), camera=cameras(c.device_id)) for c in devices
        ]
        now = time.monotonic()
        for device in self.devices:
            device.client = self._make_client(device)
            device.next_publish = now + self.rng.uniform(0, interval)
            device.next_snapshot = now + self.rng.uniform(0, snapshot_interval or interval)

    # --- counters ---------------------------------------------------------------------------------
    @property
    def connected(self) -> int:
        return sum(d.connected for d in self.devices)

    @property
    def acked(self) -> int:
        return sum(len(d.acked) for d in self.devices)

    @property
    def published(self) -> int:
        return sum(d.published for d in self.devices)

    @property
    def commands(self) -> int:
        return sum(d.commands for d in self.devices)

    @property
    def frames(self) -> int:
        return sum(d.frames for d in self.devices)

    def done(self) -> bool:
        """Every device sent its quota and has every message acknowledged by the broker."""
        quota = self.messages_per_device
        return quota is not None and all(len(d.acked) >= quota for d in self.devices)

    # --- paho wiring ------------------------------------------------------------------------------
    def _make_client(self, device: SimDevice) -> mqtt.Client:
        client = mqtt.Client(
            mqtt.CallbackAPIVersion.VERSION2,
            client_id=device.creds.device_id,
            clean_session=False,
            protocol=mqtt.MQTTv311,
            userdata=device,
            reconnect_on_failure=False,
        )
        client.username_pw_set(device.creds.device_id, device.creds.secret)
        client.will_set(topics.topic(device.creds.device_id, "status"), "offline", qos=1, retain=True)
        client.max_inflight_messages_set(100)
        client.max_queued_messages_set(0)
        client.on_connect = self._on_connect
        client.on_disconnect = self._on_disconnect
        client.on_message = self._on_message
        client.on_publish = self._on_publish
        client.on_socket_open = lambda c, u, sock: self._selector.register(sock, selectors.EVENT_READ, c)
        client.on_socket_close = lambda c, u, sock: self._unregister(sock)
        client.on_socket_register_write = lambda c, u, sock: self._modify(sock, c, write=True)
        client.on_socket_unregister_write = lambda c, u, sock: self._modify(sock, c, write=False)
        return client

    def _unregister(self, sock) -> None:
        try:
            self._selector.unregister(sock)
        except (KeyError, ValueError):
            pass

    def _modify(self, sock, client, *, write: bool) -> None:
        events = selectors.EVENT_READ | (selectors.EVENT_WRITE if write else 0)
        try:
            self._selector.modify(sock, events, client)
        except (KeyError, ValueError):
            pass

    def _on_connect(self, client, device: SimDevice, flags, reason_code, properties) -> None:
        if reason_code.is_failure:
            device.refused += 1
            return  # the broker closes the socket; _on_disconnect schedules the retry
        device.connected = device.ever_connected = True
        device.attempts = 0
        client.subscribe(topics.topic(device.creds.device_id, "commands"), qos=1)
        client.publish(topics.topic(device.creds.device_id, "status"), "online", qos=1, retain=True)

    def _on_disconnect(self, client, device: SimDevice, flags, reason_code, properties) -> None:
        device.connected = False
        device.disconnects += 1
        self._schedule_reconnect(device)

    def _schedule_reconnect(self, device: SimDevice) -> None:
        # Full-jitter exponential backoff; the exponent stops growing once the cap is reached (a device
        # refused a thousand times would otherwise overflow the float and kill the simulator's thread).
        doubling = min(device.attempts, 32)
        delay = self.rng.uniform(0, min(self.backoff_cap, self.backoff_base * 2**doubling))
        device.attempts += 1
        device.reconnect_at = time.monotonic() + delay

    def _on_publish(self, client, device: SimDevice, mid, reason_code, properties) -> None:
        seq = device.pending.pop(mid, None)
        if seq is not None:
            device.acked.add(seq)

    def _on_message(self, client, device: SimDevice, message) -> None:
        try:
            command_id, kind, params = read_command(message.payload, time.time())
            if kind == "set":
                props = params.get("props")
                if not isinstance(props, dict) or not props:
                    raise Refused("invalid_params")
                if not all(key in device.props and device.props[key].accepts(v) for key, v in props.items()):
                    raise Refused("invalid_property")
            elif kind == "ota" and not isinstance(params.get("version"), str):
                raise Refused("invalid_params")
        except Refused as refused:
            self.ignored[refused.reason] += 1
            return
        try:
            self._apply_command(device, command_id, kind, params)
        except Exception:  # noqa: BLE001 - one command must not stop a fleet of simulated devices
            log.exception("device %s failed on command %s", device.creds.device_id, command_id)
            self.ignored["handler_error"] += 1

    def _apply_command(self, device: SimDevice, command_id: str, kind: str, params: dict) -> None:
        device.commands += 1
        if kind == "set":
            props = params["props"]
            for key, value in props.items():
                device.props[key].value = value
            self._ack(device, command_id, "ok", {})
            self._publish_telemetry(device, {k: device.props[k].value for k in props})
        elif kind == "ota":
            self._run_ota(device, command_id, params["version"])
        else:
            self._ack(device, command_id, "ok", {})
            if device.camera and params.get("action") == "take-snapshot":
                self._publish_snapshot(device)

    def _ack(self, device: SimDevice, command_id: str, status: str, result: dict) -> None:
        payload = json.dumps({"command": command_id, "status": status, "result": result})
        device.client.publish(topics.topic(device.creds.device_id, "acks"), payload, qos=1)

    def _run_ota(self, device: SimDevice, command_id: str, version: str) -> None:
        """Download/flash progress in four steps a second apart, then success or a failure."""
        now = time.monotonic()
        fails = self.rng.random() < self.ota_failure_rate
        for i, progress in enumerate((25, 50, 75, 100)):
            if fails and progress == 75:
                self.schedule(
                    now + i, lambda: self._ack(device, command_id, "error", {"reason": "flash_failed"})
                )
                return
            self.schedule(
                now + i, lambda p=progress: self._ack(device, command_id, "progress", {"progress": p})
            )

        def finish() -> None:
            device.firmware = version or device.firmware
            self._ack(device, command_id, "ok", {"version": device.firmware})

        self.schedule(now + 4, finish)

    def schedule(self, at: float, action) -> None:
        with self._lock:
            self._scheduled.append((at, action))

    # --- publishing ---------------------------------------------------------------------------------
    def _publish_telemetry(self, device: SimDevice, props: dict | None = None) -> None:
        if props is None:
            props = {key: model.step(self.rng) for key, model in device.props.items()}
            if props.get("on") is False:  # a switched-off appliance draws nothing
                props.update({k: m.off_value() for k, m in device.props.items() if m.spec.unit == "watt"})
        if not props:
            return
        device.seq += 1
        payload = json.dumps({"seq": device.seq, "ts": int(time.time() * 1000), "props": props})
        info = device.client.publish(topics.topic(device.creds.device_id, "telemetry"), payload, qos=1)
        device.pending[info.mid] = device.seq
        device.published += 1

    def _publish_snapshot(self, device: SimDevice) -> None:
        """The camera's next picture on its snapshot topic (QoS 1); none if nobody makes pictures."""
        device_id = device.creds.device_id
        try:
            answers = events.camera_frame_wanted.send(
                sender=Simulator, device_id=device_id, index=device.frames, max_bytes=MAX_SNAPSHOT_BYTES
            )
        except Exception:  # noqa: BLE001 - a picture that cannot be made must not stop the fleet
            log.exception("no picture for camera %s", device_id)
            self.ignored["frame_error"] += 1
            return
        frame = next((bytes(f) for _receiver, f in answers if f), None)
        if frame is not None:
            device.client.publish(topics.topic(device_id, "snapshot"), frame, qos=1)
            device.frames += 1

    # --- the loop -------------------------------------------------------------------------------------
    def run(self, stop: threading.Event, on_tick=None) -> None:
        for device in self.devices:
            device.reconnect_at = time.monotonic() + self.rng.uniform(0, min(1.0, 0.001 * len(self.devices)))
        next_misc = 0.0
        try:
            while not stop.is_set():
                now = time.monotonic()
                for key, mask in self._selector.select(timeout=0.02):
                    client = key.data
                    if mask & selectors.EVENT_READ:
                        client.loop_read()
                    if mask & selectors.EVENT_WRITE:
                        client.loop_write()
                now = time.monotonic()
                for device in self.devices:
                    if device.client.socket() is None and not device.connected and now >= device.reconnect_at:
                        self._connect(device)
                    elif device.connected and now >= device.next_publish:
                        quota = self.messages_per_device
                        if quota is None or device.seq < quota:
                            self._publish_telemetry(device)
                        device.next_publish = now + self.interval
                    if (
                        device.connected
                        and device.camera
                        and self.snapshot_interval
                        and now >= device.next_snapshot
                    ):
                        self._publish_snapshot(device)
                        device.next_snapshot = now + self.snapshot_interval
                self._run_due(now)
                if now >= next_misc:
                    for device in self.devices:
                        if device.client.socket() is not None:
                            device.client.loop_misc()
                    next_misc = now + 0.5
                if on_tick is not None:
                    on_tick(self)
        finally:
            for device in self.devices:
                if device.client.socket() is not None:
                    device.client.disconnect()
                    device.client.loop_write()

    def _connect(self, device: SimDevice) -> None:
        try:
            if device.ever_connected or device.refused:
                device.client.reconnect()
            else:
                device.client.connect(self.host, self.port, keepalive=self.keepalive)
        except OSError:
            self._schedule_reconnect(device)

    def _run_due(self, now: float) -> None:
        with self._lock:
            due = [item for item in self._scheduled if item[0] <= now]
            if not due:
                return
            self._scheduled = [item for item in self._scheduled if item[0] > now]
        for _, action in due:
            action()


def read_command(payload: bytes, now: float) -> tuple[str, str, dict]:
    """``(id, kind, params)`` of a command as firmware reads it, or ``Refused(reason)``: the cloud's
    own checks on size, depth and JSON first, then the command's shape, then its expiry."""
    if len(payload) > MAX_PACKET_BYTES:
        raise Refused("too_large")
    command = parse_json(bytes(payload))
    if not isinstance(command, dict):
        raise Refused("malformed_command")
    command_id, kind, params = command.get("id"), command.get("kind"), command.get("params", {})
    if not isinstance(command_id, str) or not 1 <= len(command_id) <= 64 or kind not in KINDS:
        raise Refused("malformed_command")
    if not isinstance(params, dict):
        raise Refused("invalid_params")
    expires = command.get("expires")
    if expires is not None and (type(expires) is not int or expires < now * 1000):
        raise Refused("expired")
    return command_id, kind, params


def _is_camera(device_id: str) -> bool:
    from millet.devices.services import is_camera

    return is_camera(device_id)


def _property_models_from_spec(device_id: str) -> dict[str, PropertyModel]:
    """Readable properties of the device's model, keyed the way ingestion validates them."""
    from millet.devices.services import property_keys_for

    return {
        key: PropertyModel(spec)
        for key, spec in property_keys_for(device_id).items()
        if {"read", "notify"} & set(spec.access)
    }
