"""The ingestion worker: device uplink over MQTT -> validated batches in storage -> the devices domain.

Delivery is at-least-once end to end. The worker holds a persistent session (clean_session=False,
fixed client id) subscribed at QoS 1, so the broker queues while the worker is down; and it acks
each message (paho manual acks) only after the batch holding it committed. A crash before the commit
means the broker redelivers; the copy is dropped by the telemetry table's primary key
(device_id, kind, seq, ts). A PUBACK from an old connection is never sent on a new one: packet ids
are per connection, so acking a stale id could acknowledge a different, uncommitted message.

Bad input never stops the worker. ``decoder.decode`` checks size, depth, syntax, ranges and the
model spec before anything is used, and never raises; a refused message is counted under its reason
(``malformed_json``, ``too_deep``, ``ts_out_of_range``, ``out_of_spec:<code>``, ...) with an example
kept as a dead letter, in the same transaction as the batch, then acked. Past the decoder, a record
the database still refuses (``core.faults.is_record_fault``) is found by storing the batch row by
row and set aside (``unstorable``), and a devices call that fails is counted for its call alone. A
failure of the system (connection lost, deadlock) is the opposite case: nothing is acked, the batch
is retried until it commits.

The same loop publishes the devices domain's due commands (``commands_to_send``) every ~0.5 s, and
abandons a connection whose handshake (CONNECT to SUBACK) is not answered within
``HANDSHAKE_SECONDS`` (``_watch_transport``).
"""

from __future__ import annotations

import contextlib
import logging
import queue
import socket
import sys
import threading
import time
import traceback
from collections import Counter, deque
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import partial

import paho.mqtt.client as mqtt
import psycopg
from django.db import DatabaseError, close_old_connections, connection, connections, transaction

from millet.core import partitions
from millet.core.errors import DomainError
from millet.core.faults import is_record_fault
from millet.devices.mqtt import topics
from millet.devices.mqtt.config import INGEST_USER, service_credentials
from millet.devices.mqtt.decoder import Rejected, decode
from millet.devices.mqtt.stream import StreamClient
from millet.devices.telemetry import deadletters, storage
from millet.devices.telemetry.deadletters import Letter, why

log = logging.getLogger("millet.mqtt.ingest")
MAINTENANCE_SECONDS = 3600  # day partitions ahead, dead letters pruned
# From paho's CONNECT to the SUBACK of the worker's subscriptions. Either broker answers both in
# milliseconds; paho alone waits for a CONNACK as long as the keepalive (30 s) and for a SUBACK
# forever, and until the SUBACK the broker routes nothing to this worker.
HANDSHAKE_SECONDS = 10.0
# How long a stopping worker waits for its writer and shadow applier to finish what they hold, in
# all (the applier gets at least a second for its last round): below the grace a supervisor gives
# before SIGKILL (``millet devicecloud`` 10 s, Kubernetes 30 s). A writer blocked on the database
# past it is left behind: its batch is not acked, so the broker redelivers it.
SHUTDOWN_SECONDS = 8.0
CHANNEL_OF_KIND = {"t": "telemetry", "e": "events"}


def where(threads: list[threading.Thread]) -> str:
    """Where each thread is now: its innermost line of Millet's code and the call it waits in, so a
    shutdown that left a thread behind says what held it (a lock, the database, the broker)."""
    frames = sys._current_frames()
    places = []
    for thread in threads:
        stack = traceback.extract_stack(frames[thread.ident]) if thread.ident in frames else None
        if not stack:
            continue
        own = next((f for f in reversed(stack) if "/millet/" in f.filename), stack[-1])
        inner = stack[-1]
        places.append(f"{thread.name} in {own.name} ({own.filename}:{own.lineno}), waiting in {inner.name}")
    return "; ".join(places)


@dataclass(slots=True)
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
    snapshots: list[tuple[str, bytes]] = field(default_factory=list)
    dropped: Counter = field(default_factory=Counter)
    letters: list[Letter] = field(default_factory=list)
    events: bool = False  # an event row among ``rows``

    @property
    def has_calls(self) -> bool:
        """Whether ``_apply`` has devices calls to make for this batch (telemetry alone has none)."""
        return bool(self.events or self.presence or self.snapshots or self.acks)


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
        self._stored: deque[list[storage.Row]] = deque()  # committed batches the applier has not merged
        self._shadow_lock = threading.Lock()
        self.connected = threading.Event()
        self.subscribed = threading.Event()  # the broker routes the uplink to this worker from now on
        self._inbox: queue.SimpleQueue[Inbound] = queue.SimpleQueue()  # C: a cheap put per message
        self._generation = 0
        self._ack_lock = threading.Lock()
        self._handshake_lock = threading.Lock()
        self._handshake_since: float | None = None  # monotonic time of the attempt not yet subscribed
        self.abandoned_handshakes = 0
        self._make_transport()

    # --- the transport: MQTT here, AMQP in ``amqp_ingest`` ------------------------------------------
    def _make_transport(self) -> None:
        self._client = StreamClient(
            mqtt.CallbackAPIVersion.VERSION2,
            client_id=self.client_id,
            clean_session=False,
            protocol=mqtt.MQTTv311,
            manual_ack=True,
        )
        self._client.username_pw_set(INGEST_USER, service_credentials()[INGEST_USER])
        self._client.max_inflight_messages_set(1000)  # our own command publishes
        self._client.max_queued_messages_set(0)
        self._client.reconnect_delay_set(min_delay=0.2, max_delay=5)
        self._client.on_pre_connect = self._on_pre_connect
        self._client.on_connect = self._on_connect
        self._client.on_connect_fail = self._on_connect_fail
        self._client.on_disconnect = self._on_disconnect
        self._client.on_message = self._on_message
        self._client.on_subscribe = self._on_subscribe

    def _start_transport(self) -> None:
        self._client.connect_async(self.host, self.port, keepalive=30)
        self._client.loop_start()

    def _stop_transport(self) -> None:
        self._client.disconnect()
        self._client.loop_stop()

    def _ack(self, items: list[Inbound]) -> None:
        """Acknowledge committed messages, in one write; the caller holds ``_ack_lock``."""
        generation = self._generation
        self._client.ack_many(item.mid for item in items if item.qos == 1 and item.generation == generation)

    def _publish(self, topic: str, payload: bytes) -> None:
        self._client.publish(topic, payload, qos=1)

    def _watch_transport(self, now: float) -> None:
        """Abandon a handshake unanswered for ``HANDSHAKE_SECONDS``: the socket is shut down, paho
        sees the connection end and connects again (its backoff, 0.2 s growing to 5 s).

        CI saw the embedded broker mark the worker's session connected while the worker never
        subscribed: its CONNACK was not taken for 30 s, until paho's keepalive gave up. A worker
        that is not subscribed receives nothing, so waiting is an ingestion outage.
        """
        with self._handshake_lock:  # paho's next attempt (on_pre_connect) waits: its socket is not ours
            since = self._handshake_since
            if since is None or now - since < HANDSHAKE_SECONDS:
                return
            self._handshake_since = None
            self.abandoned_handshakes += 1
            sock = self._client.socket()
            log.warning(
                "ingestion handshake with %s:%s unanswered for %.0f s (connected: %s); connecting again",
                self.host,
                self.port,
                now - since,
                self.connected.is_set(),
            )
            if sock is not None:
                with contextlib.suppress(OSError):  # already closed by paho: it reconnects anyway
                    sock.shutdown(socket.SHUT_RDWR)

    # --- paho's network thread -------------------------------------------------------------------
    def _on_pre_connect(self, client, userdata) -> None:
        with self._handshake_lock:
            self._handshake_since = time.monotonic()

    def _on_subscribe(self, client, userdata, mid, reason_codes, properties) -> None:
        with self._handshake_lock:
            self._handshake_since = None
        self.subscribed.set()

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

    def _on_connect_fail(self, client, userdata) -> None:
        """paho retries on its own; the warnings say why a worker has no session (CI saw one, once)."""
        with self._handshake_lock:
            self._handshake_since = None
        log.warning("ingestion could not connect to %s:%s; retrying", self.host, self.port)

    def _on_disconnect(self, client, userdata, flags, reason_code, properties) -> None:
        self.connected.clear()
        self.subscribed.clear()
        with self._handshake_lock:
            self._handshake_since = None
        with self._ack_lock:
            self._generation += 1  # nothing received before this may be acked on the next connection
        if reason_code.is_failure:  # not our own disconnect(): lost, or no CONNACK within the keepalive
            log.warning("ingestion lost %s:%s (%s); reconnecting", self.host, self.port, reason_code)

    def _on_message(self, client, userdata, message) -> None:
        try:
            name = message.topic
        except UnicodeDecodeError:  # not UTF-8: the decoder refuses it as a bad topic, it is still acked
            name = ""
        self._inbox.put(Inbound(name, message.payload, message.mid, message.qos, self._generation))

    # --- the worker thread -----------------------------------------------------------------------
    def run(self, stop: threading.Event, on_batch=None) -> None:
        """Two stages so parsing overlaps the database: this thread collects and validates batches,
        the writer thread commits them in order and acks; at most two batches wait between them."""
        partitions.ensure_all()
        self._start_transport()
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
        next_maintenance = time.monotonic() + MAINTENANCE_SECONDS
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
                self._watch_transport(now)
                if self.apply_to_devices and now >= next_commands and self.connected.is_set():
                    self._send_commands()
                    next_commands = now + self.command_interval
                if now >= next_maintenance:
                    next_maintenance = now + (MAINTENANCE_SECONDS if self._maintain() else 60)
        finally:
            halt.set()  # batches still queued are not acked: the broker redelivers them
            deadline = time.monotonic() + SHUTDOWN_SECONDS
            writer.join(SHUTDOWN_SECONDS)
            shadows_halt.set()  # after the writer: the state of its last batch is applied too
            if shadows.is_alive():
                shadows.join(max(1.0, deadline - time.monotonic()))  # a second for its last round
            left = [thread for thread in (writer, shadows) if thread.is_alive()]
            if left:
                log.warning(
                    "ingestion stopped with %s still busy: %s", ", ".join(t.name for t in left), where(left)
                )
            self._stop_transport()
            connections.close_all()  # this thread's connection: close it, do not leave it to GC

    def _collect(self, stop: threading.Event) -> list[Inbound]:
        """Up to ``batch_size`` messages: wait for the first, then at most ``flush_seconds`` for more."""
        try:
            batch = [self._inbox.get(timeout=0.1)]
        except queue.Empty:
            return []
        deadline = time.monotonic() + self.flush_seconds
        take = self._inbox.get_nowait
        while len(batch) < self.batch_size and not stop.is_set():
            try:
                batch.append(take())  # already arrived: no clock read, no timed wait
                continue
            except queue.Empty:
                pass
            remaining = deadline - time.monotonic()
            try:
                batch.append(self._inbox.get(timeout=remaining) if remaining > 0 else take())
            except queue.Empty:
                break
        return batch

    def _maintain(self) -> bool:
        """Partitions ahead (telemetry's days, and every other table registered in core.partitions) and
        dead letters pruned; False (try again soon) if the database failed."""
        try:
            close_old_connections()
            partitions.ensure_all()
            deadletters.prune()
            return True
        except DatabaseError:
            log.exception("maintenance failed; retrying in a minute")
            return False

    def _parse(self, batch: list[Inbound]) -> Parsed:
        work = Parsed(batch, datetime.now(UTC))
        for item in batch:
            decoded = decode(item.topic, item.payload, work.now)
            if isinstance(decoded, Rejected):
                work.dropped[decoded.reason] += 1
                letter = Letter("ingest", decoded.reason, item.topic, item.payload, decoded.detail)
                work.letters.append(letter)
                continue
            channel, device_id, value = decoded.channel, decoded.device_id, decoded.value
            if channel == "telemetry":
                work.rows.append(value)
            elif channel == "events":
                work.rows.append(value)
                work.events = True
            elif channel == "acks":
                work.acks.append((device_id, value))
            elif channel == "status":
                work.presence[device_id] = value
            elif channel == "snapshot":
                work.snapshots.append((device_id, value))
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
        """Store the batch and apply it; ack only after the commit. What still fails here is the
        system's (bad records were set aside inside ``_store``): retry until it commits."""
        while True:
            try:
                close_old_connections()
                outcome = self._store(work)
                break
            except Exception:  # noqa: BLE001 - the writer thread must live: a dead one would stall ingestion
                log.exception("batch of %d not committed; retrying", len(work.items))
                if halt.wait(1.0):
                    return None  # not acked: the broker redelivers to the next worker session
        with self._ack_lock:
            self._ack(work.items)
        if self.apply_to_devices:
            self._stored.append(outcome.fresh)  # merged by the shadow applier, off this path
        self.totals.stored += outcome.stored
        self.totals.duplicates += outcome.duplicates
        self.totals.dropped.update(outcome.dropped)
        return outcome

    def _store(self, work: Parsed) -> Batch:
        """Optimistic first: a batch almost never holds a message already stored (one comes back only
        when its ack was lost), so on PostgreSQL its rows are COPYed straight into the table, with no
        savepoint and no comparison (5 round trips for a batch of telemetry instead of 9). If the key
        or the table refuses a row, that transaction rolls back whole and the batch is stored again
        the careful way (``_insert``), which tells duplicates and sets refused rows aside."""
        if work.rows and connection.vendor == "postgresql":
            try:
                return self._store_batch(work, careful=False)
            except (psycopg.IntegrityError, psycopg.DataError):
                pass
        return self._store_batch(work, careful=True)

    def _store_batch(self, work: Parsed, *, careful: bool) -> Batch:
        from millet.devices import services as devices

        outcome = Batch(dropped=Counter(work.dropped))
        letters = list(work.letters)
        with transaction.atomic():
            if self.apply_to_devices and work.has_calls and connection.vendor == "postgresql":
                with connection.cursor() as cursor:
                    # A foreign key a call breaks fails at its own statement, inside its savepoint,
                    # not at COMMIT, where it would fail the whole batch again on every retry. Telemetry
                    # and counters have no foreign key: a batch of them alone saves the round trip.
                    cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
            if careful:
                fresh = self._insert(work.rows, outcome, letters)
            else:
                storage.copy_rows(work.rows)
                fresh = work.rows
            outcome.fresh = fresh
            outcome.stored = len(fresh)
            devices.publish_readings(fresh)  # owners' open pages hear them once the batch commits
            outcome.duplicates = len(work.rows) - len(fresh) - outcome.dropped["unstorable"]
            if self.apply_to_devices:
                self._apply(fresh, work, outcome, letters)
            deadletters.record(
                letters, {"stored": outcome.stored, "duplicate": outcome.duplicates, **outcome.dropped}
            )
        return outcome

    def _insert(self, rows: list[storage.Row], outcome: Batch, letters: list[Letter]) -> list[storage.Row]:
        """The batch in one statement; if the database refuses it, row by row, each in a savepoint,
        so the rows it refuses are set aside (``unstorable``) and the others stored."""
        try:
            with transaction.atomic():
                return storage.insert_rows(rows)
        except Exception as exc:
            if not is_record_fault(exc):
                raise
        fresh: list[storage.Row] = []
        for row in rows:
            try:
                with transaction.atomic():
                    fresh += storage.insert_rows([row])
            except Exception as exc:
                if not is_record_fault(exc):
                    raise
                outcome.dropped["unstorable"] += 1
                key = topics.topic(row.device_id, CHANNEL_OF_KIND[row.kind])
                letters.append(Letter("ingest", "unstorable", key, repr(row.body).encode(), why(exc)))
        return fresh

    def _apply(self, fresh, work: Parsed, outcome: Batch, letters: list[Letter]) -> None:
        """Presence, events, camera snapshots and command acks go to the devices domain inside the
        batch's transaction, in savepoints so one refused or failing call drops alone (a corrupt
        snapshot is ``snapshot_refused:corrupt_image``). Reported state goes to the shadow applier
        instead (see ``_merge_shadows``)."""
        from millet.devices import services as devices

        now = work.now
        calls = self._apply_presence(work.presence, now)
        for row in sorted(fresh, key=lambda r: (r.ts, r.seq)):
            if row.kind == "e":
                event, args = row.body["event"], row.body["args"]
                call = partial(devices.record_event, row.device_id, event, args, row.ts, seq=row.seq)
                calls.append(("event", row.device_id, call))
        for device_id, image in work.snapshots:
            calls.append(("snapshot", device_id, partial(devices.receive_snapshot, device_id, image, now)))
        self._call_each(calls, outcome, letters)
        answers = [devices.Answer(device, a["command"], a["status"], a["result"]) for device, a in work.acks]
        if answers:
            # The batch's answers in one call (a few statements for all of them). If it fails on its
            # content, they are made again one by one, so the answer at fault drops alone.
            try:
                with transaction.atomic():
                    devices.acknowledge_commands(answers)
            except Exception as exc:
                if not isinstance(exc, DomainError) and not is_record_fault(exc):
                    raise  # the system's: the whole batch is retried
                each = [("ack", a.device_id, partial(devices.acknowledge_commands, [a])) for a in answers]
                self._call_each(each, outcome, letters)

    def _apply_presence(self, presence: dict[str, bool], now: datetime) -> list:
        """The batch's statuses in one call (a few statements for all of them: a worker that
        subscribes again gets every device's retained status at once). Returns the calls still to
        make one by one: unknown devices', or all of them if the batch call failed on its content,
        so the status at fault drops alone."""
        from millet.devices import services as devices

        one_by_one = list(presence)
        if presence:
            try:
                with transaction.atomic():
                    one_by_one = devices.set_presences(presence, now)
            except Exception as exc:
                if not isinstance(exc, DomainError) and not is_record_fault(exc):
                    raise  # the system's: the whole batch is retried
        return [
            ("presence", device_id, partial(devices.set_presence, device_id, presence[device_id], now))
            for device_id in one_by_one
        ]

    def _call_each(self, calls: list, outcome: Batch, letters: list[Letter]) -> None:
        """Make each call in its own savepoint: one refused or failing call drops alone."""
        for kind, device_id, call in calls:
            try:
                with transaction.atomic():
                    call()
            except DomainError as exc:
                outcome.dropped[f"{kind}_refused:{exc.code}"] += 1
            except Exception as exc:
                if not is_record_fault(exc):
                    raise  # the system's: the whole batch is retried
                log.exception("devices.%s failed for %s", kind, device_id)
                outcome.dropped[f"{kind}_failed"] += 1
                letters.append(Letter("ingest", f"{kind}_failed", device_id, detail=why(exc)))

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
        on shadows: the writer only hands each committed batch over, and this thread merges it
        (``_merge_shadows``). Telemetry is already stored when its state is queued here; if the
        worker stops before applying it, the device's next message reports its state again.
        """
        try:
            halted = False
            while not halted:
                halted = stop.wait(self.shadow_seconds)  # the worker's halt: one last round, then out
                while self._stored:
                    self._merge_shadows(self._stored.popleft())
                with self._shadow_lock:
                    pending, self._shadows = self._shadows, {}
                if pending:
                    try:
                        self._apply_shadow_round(pending)
                    except Exception:  # noqa: BLE001 - this thread must live; the next round tries again
                        log.exception("a round of shadow updates failed")
        finally:
            connections.close_all()

    def _apply_shadow_round(self, pending: dict[str, dict]) -> None:
        """Every device's readings in one transaction (``devices.report_many``: three statements for
        the round, where a transaction per device cost five round trips each, in the worker's CPU and
        the database's); the devices it leaves, or all of them if it failed on its content, one by
        one in their own. A device whose update the system failed (database restarting) is queued
        again (merging is order-free, so nothing newer is lost); one whose update is refused or
        fails on its content is counted and set aside."""
        from millet.devices import services as devices

        close_old_connections()
        try:
            one_by_one, failures = devices.report_many(pending)
        except Exception as exc:
            if not is_record_fault(exc):
                log.exception("a round of %d shadow updates failed; queued again", len(pending))
                self._queue_again(pending)
                return
            one_by_one, failures = list(pending), {}
        for device_id in one_by_one:
            try:
                devices.report_readings(device_id, pending[device_id])
            except Exception as exc:  # noqa: BLE001 - sorted below, as the round's own failures are
                failures[device_id] = exc
        dropped: Counter = Counter()
        letters: list[Letter] = []
        for device_id, exc in failures.items():
            if isinstance(exc, DomainError):
                dropped[f"state_refused:{exc.code}"] += 1
            elif not is_record_fault(exc):
                self._queue_again({device_id: pending[device_id]})
            else:
                log.error("shadow update for %s failed", device_id, exc_info=exc)
                dropped["state_failed"] += 1
                letters.append(Letter("ingest", "state_failed", device_id, detail=why(exc)))
        if dropped:
            with transaction.atomic():
                deadletters.record(letters, dict(dropped))

    def _queue_again(self, pending: dict[str, dict]) -> None:
        """Readings the system failed to apply, merged back for the next round."""
        from millet.devices.services import newest_readings

        with self._shadow_lock:
            for device_id, readings in pending.items():
                self._shadows[device_id] = newest_readings(readings, self._shadows.get(device_id, {}))

    def _send_commands(self) -> None:
        from millet.devices.services import commands_to_send

        try:
            close_old_connections()
            for command in commands_to_send(datetime.now(UTC)):
                self._publish(command.topic, command.payload)
        except Exception:  # noqa: BLE001 - due commands are retried by their own schedule
            log.exception("could not send due commands")
