"""The ingestion worker: device uplink over MQTT -> validated batches in storage -> the devices domain.

Delivery is at-least-once end to end. The worker holds a persistent session (clean_session=False,
fixed client id) subscribed at QoS 1, so the broker queues while the worker is down; and it acks
each message (paho manual acks) only after the batch holding it committed. A crash before the commit
means the broker redelivers; the copy is dropped by the telemetry table's primary key
(device_id, kind, seq, ts). A PUBACK from an old connection is never sent on a new one: packet ids
are per connection, so acking a stale id could acknowledge a different, uncommitted message.

Bad input never stops the worker: a malformed or out-of-spec message is counted under a reason
(``malformed_json``, ``invalid_seq``, ``out_of_spec:<code>``, ...) in the same transaction as the
batch, acked and dropped. A database failure is the opposite case: nothing is acked, the batch is
retried until it commits.

The same loop publishes the devices domain's due commands (``commands_to_send``) every ~0.5 s.
"""

from __future__ import annotations

import json
import logging
import queue
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

import paho.mqtt.client as mqtt
from django.db import DatabaseError, close_old_connections, connections, transaction

from millet.core.errors import DomainError
from millet.devices.mqtt import topics
from millet.devices.mqtt.config import INGEST_USER, service_credentials
from millet.devices.telemetry import storage

log = logging.getLogger("millet.mqtt.ingest")
MAX_PAST = timedelta(days=30)  # devices buffer offline; older than this is a broken clock
MAX_FUTURE = timedelta(hours=1)
MAX_SEQ = 2**63 - 1


@dataclass
class Inbound:
    topic: str
    payload: bytes
    mid: int
    qos: int
    generation: int


@dataclass
class Batch:
    """The outcome of one batch, as the worker reports it (tests and the benchmark read it)."""

    stored: int = 0
    duplicates: int = 0
    dropped: Counter = field(default_factory=Counter)
    fresh: list = field(default_factory=list, repr=False)


@dataclass
class Parsed:
    """A validated batch on its way to the writer: rows to store, calls to make, what was dropped."""

    items: list[Inbound]
    now: datetime
    rows: list[storage.Row] = field(default_factory=list)
    acks: list[tuple[str, dict]] = field(default_factory=list)
    presence: dict[str, bool] = field(default_factory=dict)
    dropped: Counter = field(default_factory=Counter)


class IngestWorker:
    """Run with ``run(stop_event)``; safe to start and stop repeatedly in one process (tests)."""

    def __init__(
        self,
        host: str,
        port: int,
        *,
        client_id: str = INGEST_USER,
        share_group: str | None = None,
        batch_size: int = 1000,
        flush_seconds: float = 0.05,
        command_interval: float = 0.5,
        apply_to_devices: bool = True,
        shadow_seconds: float = 0.5,
    ) -> None:
        self.host, self.port = host, port
        self.client_id = client_id
        # Several workers split the stream through a shared subscription (Mosquitto's $share/...):
        # each message goes to one of them; the primary key still de-duplicates across them.
        prefix = f"$share/{share_group}/" if share_group else ""
        self.filters = [f"{prefix}{f}" for f in topics.INGEST_FILTERS]
        self.batch_size = batch_size
        self.flush_seconds = flush_seconds
        self.command_interval = command_interval
        self.apply_to_devices = apply_to_devices
        self.shadow_seconds = shadow_seconds
        self.totals = Batch()
        self._shadows: dict[str, dict] = {}  # device id -> property -> newest Reading
        self._shadow_lock = threading.Lock()
        self.connected = threading.Event()
        self._inbox: queue.Queue[Inbound] = queue.Queue()
        self._generation = 0
        self._ack_lock = threading.Lock()
        self._client = mqtt.Client(
            mqtt.CallbackAPIVersion.VERSION2,
            client_id=client_id,
            clean_session=False,
            protocol=mqtt.MQTTv311,
            manual_ack=True,
        )
        self._client.username_pw_set(INGEST_USER, service_credentials()[INGEST_USER])
        self._client.max_inflight_messages_set(1000)  # our own command publishes
        self._client.max_queued_messages_set(0)
        self._client.reconnect_delay_set(min_delay=0.2, max_delay=5)
        self._client.on_connect = self._on_connect
        self._client.on_disconnect = self._on_disconnect
        self._client.on_message = self._on_message

    # --- paho's network thread -------------------------------------------------------------------
    def _on_connect(self, client, userdata, flags, reason_code, properties) -> None:
        if reason_code.is_failure:
            log.error("broker refused the ingestion login: %s", reason_code)
            return
        with self._ack_lock:
            self._generation += 1
        client.subscribe([(f, 1) for f in self.filters])
        self.connected.set()
        log.info(
            "ingestion connected to %s:%s (session present: %s)", self.host, self.port, flags.session_present
        )

    def _on_disconnect(self, client, userdata, flags, reason_code, properties) -> None:
        self.connected.clear()
        with self._ack_lock:
            self._generation += 1  # nothing received before this may be acked on the next connection

    def _on_message(self, client, userdata, message) -> None:
        self._inbox.put(Inbound(message.topic, message.payload, message.mid, message.qos, self._generation))

    # --- the worker thread -----------------------------------------------------------------------
    def run(self, stop: threading.Event, on_batch=None) -> None:
        """Two stages so parsing overlaps the database: this thread collects and validates batches,
        the writer thread commits them in order and acks; at most two batches wait between them."""
        storage.ensure_partitions()
        self._client.connect_async(self.host, self.port, keepalive=30)
        self._client.loop_start()
        halt = threading.Event()  # ends the helper threads once this loop has stopped feeding them
        parsed: queue.Queue[Parsed] = queue.Queue(maxsize=2)
        writer = threading.Thread(
            target=self._write, args=(parsed, halt, on_batch), name="writer", daemon=True
        )
        writer.start()
        shadows_halt = threading.Event()  # set after the writer's last batch, so its state is applied too
        shadows = threading.Thread(
            target=self._apply_shadows, args=(shadows_halt,), name="shadows", daemon=True
        )
        if self.apply_to_devices:
            shadows.start()
        next_commands = time.monotonic()
        next_partitions = time.monotonic() + 3600
        try:
            while not stop.is_set():
                batch = self._collect(stop)
                if batch:
                    work = self._parse(batch)
                    while not stop.is_set():
                        try:
                            parsed.put(work, timeout=0.1)
                            break
                        except queue.Full:
                            continue
                now = time.monotonic()
                if self.apply_to_devices and now >= next_commands and self.connected.is_set():
                    self._send_commands()
                    next_commands = now + self.command_interval
                if now >= next_partitions:
                    storage.ensure_partitions()
                    next_partitions = now + 3600
        finally:
            halt.set()  # batches still queued are not acked: the broker redelivers them
            writer.join(60)
            shadows_halt.set()
            if shadows.is_alive():
                shadows.join(30)
            self._client.disconnect()
            self._client.loop_stop()
            connections.close_all()  # this thread's connection: close it, do not leave it to GC

    def _collect(self, stop: threading.Event) -> list[Inbound]:
        """Up to ``batch_size`` messages: wait for the first, then at most ``flush_seconds`` for more."""
        try:
            batch = [self._inbox.get(timeout=0.1)]
        except queue.Empty:
            return []
        deadline = time.monotonic() + self.flush_seconds
        while len(batch) < self.batch_size and not stop.is_set():
            remaining = deadline - time.monotonic()
            try:
                batch.append(
                    self._inbox.get(timeout=remaining) if remaining > 0 else self._inbox.get_nowait()
                )
            except queue.Empty:
                break
        return batch

    def _parse(self, batch: list[Inbound]) -> Parsed:
        work = Parsed(batch, datetime.now(UTC))
        for item in batch:
            try:
                channel, device_id, value = parse_message(item.topic, item.payload, work.now)
            except Rejected as exc:
                work.dropped[exc.reason] += 1
                continue
            if channel in ("telemetry", "events"):
                work.rows.append(value)
            elif channel == "acks":
                work.acks.append((device_id, value))
            elif channel == "status":
                work.presence[device_id] = value
        return work

    def _write(self, parsed: queue.Queue[Parsed], halt: threading.Event, on_batch) -> None:
        try:
            while not halt.is_set():
                try:
                    work = parsed.get(timeout=0.1)
                except queue.Empty:
                    continue
                outcome = self._commit(work, halt)
                if outcome is not None and on_batch is not None:
                    on_batch(outcome)
        finally:
            connections.close_all()

    def _commit(self, work: Parsed, halt: threading.Event) -> Batch | None:
        """Store the batch and apply it; retry on database errors; ack only after the commit."""
        while True:
            try:
                close_old_connections()
                outcome = self._store(work)
                break
            except DatabaseError:
                log.exception("batch of %d not committed; retrying", len(work.items))
                if halt.wait(1.0):
                    return None  # not acked: the broker redelivers to the next worker session
        with self._ack_lock:
            for item in work.items:
                if item.qos and item.generation == self._generation:
                    self._client.ack(item.mid, item.qos)
        if self.apply_to_devices:
            self._merge_shadows(outcome.fresh)
        self.totals.stored += outcome.stored
        self.totals.duplicates += outcome.duplicates
        self.totals.dropped.update(outcome.dropped)
        return outcome

    def _store(self, work: Parsed) -> Batch:
        outcome = Batch(dropped=Counter(work.dropped))
        with transaction.atomic():
            fresh = storage.insert_rows(work.rows)
            outcome.fresh = fresh
            outcome.stored = len(fresh)
            outcome.duplicates = len(work.rows) - len(fresh)
            if self.apply_to_devices:
                self._apply(fresh, work.acks, work.presence, work.now, outcome)
            storage.bump_counters(
                {"stored": outcome.stored, "duplicate": outcome.duplicates, **outcome.dropped}
            )
        return outcome

    def _apply(self, fresh, acks, presence, now: datetime, outcome: Batch) -> None:
        """Presence, events and command acks go to the devices domain inside the batch's transaction,
        each in a savepoint so one refused call drops alone. Reported state goes to the shadow
        applier instead (see ``_merge_shadows``)."""
        from millet.devices import services as devices

        calls = []
        for device_id, online in presence.items():
            calls.append(("presence", lambda d=device_id, o=online: devices.set_presence(d, o, now)))
        for row in sorted(fresh, key=lambda r: (r.ts, r.seq)):
            if row.kind == "e":
                calls.append(
                    (
                        "event",
                        lambda r=row: devices.record_event(
                            r.device_id, r.body["event"], r.body["args"], r.ts, seq=r.seq
                        ),
                    )
                )
        for device_id, ack in acks:
            calls.append(
                (
                    "ack",
                    lambda d=device_id, a=ack: devices.acknowledge_command(
                        d, a["command"], a["status"], a["result"]
                    ),
                )
            )
        for kind, call in calls:
            try:
                with transaction.atomic():
                    call()
            except DomainError as exc:
                outcome.dropped[f"{kind}_refused:{exc.code}"] += 1
            except DatabaseError:
                raise
            except Exception:  # a bug in one handler must not stop ingestion for every device
                log.exception("devices.%s failed", kind)
                outcome.dropped[f"{kind}_failed"] += 1

    def _merge_shadows(self, fresh: list[storage.Row]) -> None:
        """Queue, per device and property, the newest reading (device time, then seq) for the shadow
        applier, whatever order the rows came in; the shadow applies the same rule again."""
        from millet.devices.services import Reading, newest_readings

        with self._shadow_lock:
            for row in fresh:
                if row.kind == "t":
                    readings = {k: Reading(v, row.ts, row.seq) for k, v in row.body.items()}
                    self._shadows[row.device_id] = newest_readings(
                        self._shadows.get(row.device_id, {}), readings
                    )

    def _apply_shadows(self, stop: threading.Event) -> None:
        """Thread: every ``shadow_seconds`` report each device's merged new state to its shadow.

        The shadow is the latest state, not a log: a device sending ten messages a second gets one
        shadow update (and one round of property automations) per interval, and storage never waits
        on shadows. Telemetry is already stored when its state is queued here; if the worker stops
        before applying it, the device's next message reports its state again.
        """
        from millet.devices import services as devices

        try:
            halted = False
            while not halted:
                halted = stop.wait(self.shadow_seconds)  # the worker's halt: one last round, then out
                with self._shadow_lock:
                    pending, self._shadows = self._shadows, {}
                if not pending:
                    continue
                dropped: Counter = Counter()
                close_old_connections()
                for device_id, readings in pending.items():
                    try:
                        devices.report_readings(device_id, readings)
                    except DomainError as exc:
                        dropped[f"state_refused:{exc.code}"] += 1
                    except DatabaseError:
                        log.exception("shadow update for %s failed", device_id)
                        dropped["state_failed"] += 1
                try:
                    with transaction.atomic():
                        storage.bump_counters(dropped)
                except DatabaseError:
                    log.exception("could not count refused shadow updates")
        finally:
            connections.close_all()

    def _send_commands(self) -> None:
        from millet.devices.services import commands_to_send

        try:
            close_old_connections()
            for command in commands_to_send(datetime.now(UTC)):
                self._client.publish(command.topic, command.payload, qos=1)
        except DatabaseError:
            log.exception("could not read due commands")


class Rejected(Exception):
    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def _int(value: object, reason: str, low: int = 0, high: int = MAX_SEQ) -> int:
    if type(value) is not int or not low <= value <= high:
        raise Rejected(reason)
    return value


def parse_message(topic: str, payload: bytes, now: datetime):
    """Validate one uplink message: ``(channel, device_id, value)`` or raise ``Rejected(reason)``."""
    from millet.devices import services as devices

    parsed = topics.parse(topic)
    if parsed is None or parsed[1] not in topics.UPLINK:
        raise Rejected("bad_topic")
    device_id, channel = parsed
    if channel == "status":
        text = payload.decode("utf-8", "replace").strip()
        if text not in ("online", "offline"):
            raise Rejected("invalid_status")
        return channel, device_id, text == "online"
    try:
        message = json.loads(payload)
    except (UnicodeDecodeError, ValueError):
        raise Rejected("malformed_json") from None
    if not isinstance(message, dict):
        raise Rejected("malformed_json")
    try:
        if channel == "acks":
            command, status, result = message.get("command"), message.get("status"), message.get("result", {})
            if (
                not isinstance(command, str)
                or status not in ("ok", "error", "progress")
                or not isinstance(result, dict)
            ):
                raise Rejected("invalid_ack")
            return channel, device_id, {"command": command, "status": status, "result": result}
        seq = _int(message.get("seq"), "invalid_seq", low=1)
        ts_ms = _int(message.get("ts"), "invalid_ts")
        ts = datetime.fromtimestamp(ts_ms / 1000, tz=UTC)
        if not now - MAX_PAST <= ts <= now + MAX_FUTURE:
            raise Rejected("ts_out_of_range")
        if channel == "telemetry":
            props = devices.validate_telemetry(device_id, message.get("props"))
            return channel, device_id, storage.Row(device_id, "t", seq, ts, now, props)
        event, args = message.get("event"), message.get("args", {})
        if not isinstance(args, dict):
            raise Rejected("invalid_args")
        devices.validate_event(device_id, event, args)
        return channel, device_id, storage.Row(device_id, "e", seq, ts, now, {"event": event, "args": args})
    except DomainError as exc:
        raise Rejected(f"out_of_spec:{exc.code}") from None
