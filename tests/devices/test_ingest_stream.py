"""The ingest worker's paho client (``mqtt.stream``): buffered reads and batched PUBACKs keep paho's
protocol, and the worker's optimistic COPY falls back to the careful insert when a row is stored."""

from __future__ import annotations

import json
import logging
import socket
import struct
import threading
import time
from datetime import UTC, datetime

import paho.mqtt.client as mqtt
import pytest
from django.db import connection, connections

from millet.devices.mqtt import topics
from millet.devices.mqtt.config import INGEST_USER, service_credentials
from millet.devices.mqtt.ingest import SHUTDOWN_SECONDS, IngestWorker, Parsed
from millet.devices.mqtt.stream import READ_SIZE, BufferedSocket, StreamClient
from millet.devices.telemetry import storage
from millet.devices.telemetry.models import IngestCounter
from tests.concurrency import lock_waiters
from tests.devices.mqtt_fixtures import (  # noqa: F401
    Device,
    mosquitto_fixture,
    plugs_fixture,
    wait_subscribed,
    wait_until,
    worker_for,
)


def test_buffered_socket_serves_paho_sized_reads_from_one_recv():
    near, far = socket.socketpair()
    try:
        near.setblocking(False)
        buffered = BufferedSocket(near)
        packets = [bytes([0x30, 3]) + b"abc", bytes([0x40, 2]) + struct.pack("!H", 7)]
        far.sendall(b"".join(packets))
        wait_until(lambda: near.recv(1, socket.MSG_PEEK) != b"", 5, "bytes")
        assert buffered.recv(1) == b"\x30"  # paho: the type byte, then the length, then the body
        assert buffered.pending() == 8 and buffered.buffered() == 8
        assert buffered.recv(1) == b"\x03"
        assert buffered.recv(3) == b"abc"
        assert buffered.recv(4) == packets[1]
        assert buffered.pending() == 0
        with pytest.raises(BlockingIOError):  # nothing buffered, nothing sent: paho's "try again"
            buffered.recv(1)
        big = bytes(READ_SIZE + 10)  # a read bigger than the buffer passes straight through
        far.sendall(big)
        got = b""
        while len(got) < len(big):
            try:
                got += buffered.recv(len(big) - len(got))
            except BlockingIOError:
                continue
        assert got == big
        assert buffered.fileno() == near.fileno()  # select() watches the socket itself
        far.close()
        wait_until(lambda: _readable(near), 5, "EOF")
        assert buffered.recv(1) == b""  # closed: paho sees the connection lost
    finally:
        near.close()
        far.close()


def _publish_packet(mid: int, topic: str, payload: bytes) -> bytes:
    """A QoS 1 PUBLISH as a broker sends it: fixed header, remaining length (1-4 bytes), body."""
    body = struct.pack("!H", len(topic)) + topic.encode() + struct.pack("!H", mid) + payload
    length, encoded = len(body), bytearray()
    while True:
        length, digit = divmod(length, 128)
        encoded.append(digit | (0x80 if length else 0))
        if not length:
            return bytes([0x32]) + bytes(encoded) + body


class ChunkedSocket:
    """A non-blocking socket whose bytes arrive in the given chunks, each after a ``recv`` that finds
    nothing yet (BlockingIOError, paho's "try again"), and never more than ``recv`` asks for."""

    def __init__(self, chunks: list[bytes]) -> None:
        self.chunks = [c for c in chunks if c]
        self.ready = False

    def recv(self, size: int) -> bytes:
        if not self.ready or not self.chunks:
            self.ready = True
            raise BlockingIOError
        chunk = self.chunks.pop(0)
        if len(chunk) > size:
            self.chunks.insert(0, chunk[size:])
        else:
            self.ready = False
        return chunk[:size]

    def close(self) -> None:
        pass


def _drain(stream: bytes, cuts: list[int]) -> list[tuple[int, bytes]]:
    """Feed ``stream`` cut at ``cuts`` to a StreamClient as paho's network loop would (a read each
    time the socket or the buffer has bytes); the (mid, payload) of every message it handed over."""
    bounds = [0, *sorted(cuts), len(stream)]
    fake = ChunkedSocket([stream[a:b] for a, b in zip(bounds, bounds[1:], strict=False)])
    client = StreamClient(
        mqtt.CallbackAPIVersion.VERSION2, client_id="split", clean_session=False, manual_ack=True
    )
    got: list[tuple[int, bytes]] = []
    client.on_message = lambda c, u, m: got.append((m.mid, m.payload))
    client._sock = sock = BufferedSocket(fake)
    while fake.chunks or sock.pending():
        assert client.loop_read() == mqtt.MQTTErrorCode.MQTT_ERR_SUCCESS
        # paho waits in select() only when nothing is buffered: whatever was buffered is handled now
        assert not sock.pending()
    client._sock = None
    return got


def test_stream_client_reads_every_packet_whatever_the_byte_boundaries():
    """A packet split anywhere (its type byte, inside its length, inside its body, across a buffer
    refill) reaches on_message whole, once, in order, and no buffered byte is left for select()."""
    messages = [(mid, bytes([mid]) * size) for mid, size in enumerate((0, 1, 120, 127, 200, 3), start=1)]
    stream = b"".join(_publish_packet(mid, "millet/v1/d/D1/telemetry", p) for mid, p in messages)
    for cut in range(1, len(stream)):
        assert _drain(stream, [cut]) == messages, f"split at byte {cut}"
    assert _drain(stream, list(range(1, len(stream)))) == messages  # one byte at a time
    big = [(7, b"x" * (2 * READ_SIZE + 5)), (8, b"y")]  # a body longer than two buffer refills
    stream = b"".join(_publish_packet(mid, "t", p) for mid, p in big)
    for cut in (1, 2, 3, 4, 5, READ_SIZE - 1, READ_SIZE, READ_SIZE + 1, 2 * READ_SIZE, len(stream) - 4):
        assert _drain(stream, [cut, cut + READ_SIZE // 2]) == big, f"split at byte {cut}"


def test_stream_client_hands_every_message_to_on_message_and_keeps_no_topic_callbacks(monkeypatch):
    """``_handle_on_message`` is paho 2.2's seam: a message read from the socket reaches on_message
    through it, never through paho's per-topic lookup; so registering a per-topic callback, which
    would be skipped, is refused, and an error in on_message is raised as paho raises it."""
    client = StreamClient(mqtt.CallbackAPIVersion.VERSION2, client_id="seam", manual_ack=True)
    with pytest.raises(TypeError):
        client.message_callback_add("millet/v1/d/+/telemetry", lambda *args: None)

    def looked_up(*args):
        raise AssertionError("paho's per-topic lookup ran: StreamClient's hand-off is not its seam")

    monkeypatch.setattr(mqtt.MQTTMatcher, "iter_match", looked_up)
    stream = _publish_packet(1, "millet/v1/d/D1/telemetry", b"{}")
    assert _drain(stream, [len(stream)]) == [(1, b"{}")]

    def broken(client, userdata, message):
        raise ValueError("on_message failed")

    client.on_message = broken
    with pytest.raises(ValueError):
        client._handle_on_message(mqtt.MQTTMessage(mid=1, topic=b"t"))
    client.suppress_exceptions = True
    client._handle_on_message(mqtt.MQTTMessage(mid=1, topic=b"t"))  # logged, not raised


def _readable(sock: socket.socket) -> bool:
    try:
        sock.recv(1, socket.MSG_PEEK)
    except BlockingIOError:
        return False
    return True


class Drain:
    """A persistent QoS 1 session on ``StreamClient`` with manual acks, like the ingest worker's."""

    def __init__(self, broker) -> None:
        self.mids: list[int] = []
        self.payloads: list[bytes] = []
        self.ready = threading.Event()
        self.client = StreamClient(
            mqtt.CallbackAPIVersion.VERSION2,
            client_id="stream-test",
            clean_session=False,
            protocol=mqtt.MQTTv311,
            manual_ack=True,
        )
        self.client.username_pw_set(INGEST_USER, service_credentials()[INGEST_USER])
        self.client.on_connect = lambda c, u, f, rc, p: c.subscribe(topics.INGEST_FILTERS[0], qos=1)
        self.client.on_subscribe = lambda *args: self.ready.set()
        self.client.on_message = self._on_message
        self.client.connect(broker.host, broker.port, keepalive=30)
        self.client.loop_start()
        assert self.ready.wait(10), "no SUBACK"

    def _on_message(self, client, userdata, message) -> None:
        self.mids.append(message.mid)
        self.payloads.append(message.payload)

    def settle(self) -> None:
        """A round trip the broker answers only after reading everything sent before it (it handles a
        connection's packets in order): the acks written are then the broker's, not in flight. A
        close right after writing them lost some on a loaded machine (1,299 of 2,000 came back)."""
        self.ready.clear()
        self.client.subscribe(topics.INGEST_FILTERS[0], qos=1)
        assert self.ready.wait(10), "no SUBACK"

    def close(self) -> None:
        self.client.disconnect()
        self.client.loop_stop()


@pytest.mark.django_db(transaction=True)
def test_stream_client_receives_every_message_and_one_write_acks_a_batch(mosquitto, plugs):
    """What ``ack_many`` acknowledged never comes back; what it did not is redelivered."""
    (plug,) = plugs(1)
    Drain(mosquitto).close()  # the session exists, so the broker queues for it
    device = Device(mosquitto, plug.device_id, plug.secret)
    assert device.connect() == 0
    name = topics.topic(plug.device_id, "telemetry")
    sent = [device.client.publish(name, f'{{"seq": {seq}}}', qos=1) for seq in range(1, 3001)]
    for info in sent:
        info.wait_for_publish(30)  # the broker PUBACKed it: queued for the session
    device.close()

    drain = Drain(mosquitto)
    wait_until(lambda: len(drain.mids) == 3000, 30, "the backlog")
    assert drain.payloads == [f'{{"seq": {seq}}}'.encode() for seq in range(1, 3001)]
    drain.client.ack_many(drain.mids[:2000])
    drain.settle()
    drain.close()

    again = Drain(mosquitto)
    # At least the thousand, then the count must hold still: a wait for exactly 1,000 timed out on a
    # loaded machine without saying whether fewer came or more (acks lost would bring more).
    wait_until(lambda: len(again.mids) >= 1000, 60, "the unacknowledged thousand")
    time.sleep(0.5)
    assert [p.decode() for p in again.payloads] == [f'{{"seq": {seq}}}' for seq in range(2001, 3001)]
    again.client.ack_many(again.mids)
    wait_until(lambda: not again.client.want_write(), 10, "the acks written")
    again.close()


@pytest.fixture(name="telemetry_rows")
def telemetry_rows_fixture(transactional_db):
    yield
    with connection.cursor() as cursor:  # unmanaged (raw SQL) table: the test flush does not empty it
        cursor.execute("DELETE FROM telemetry_message")


def test_a_batch_holding_a_stored_message_is_stored_again_the_careful_way(telemetry_rows):
    """The first batch goes the optimistic way (all new); the second repeats two of its messages, so
    the key refuses the straight COPY and the batch is stored again de-duplicating: one new row,
    two duplicates counted, nothing stored twice."""
    worker = IngestWorker("127.0.0.1", 1883, apply_to_devices=False)
    now = datetime.now(UTC)
    rows = [storage.Row("PLUGCAREFUL01", "t", seq, now, now, {"on": True}) for seq in (1, 2, 3)]
    first = worker._store(Parsed([], now, rows=rows[:2]))
    assert (first.stored, first.duplicates, first.fresh) == (2, 0, rows[:2])
    again = worker._store(Parsed([], now, rows=rows))
    assert (again.stored, again.duplicates, again.fresh) == (1, 2, rows[2:])
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT seq FROM telemetry_message WHERE device_id = %s ORDER BY seq", ["PLUGCAREFUL01"]
        )
        assert [seq for (seq,) in cursor.fetchall()] == [1, 2, 3]
    counts = dict(IngestCounter.objects.values_list("reason", "count"))
    assert counts["stored"] == 3 and counts["duplicate"] == 2


def test_a_worker_without_a_broker_session_says_why(caplog):
    """A refused connection and a connection closed before CONNACK each leave a warning: CI once saw a
    worker with no session on its broker and nothing in the log to tell which."""
    listener = socket.create_server(("127.0.0.1", 0))
    port = listener.getsockname()[1]
    worker = IngestWorker("127.0.0.1", port, apply_to_devices=False)
    with caplog.at_level(logging.WARNING, logger="millet.mqtt.ingest"):
        worker._start_transport()
        try:
            listener.accept()[0].close()  # takes the CONNECT, answers nothing, hangs up
            wait_until(lambda: "ingestion lost" in caplog.text, 10, "the lost-connection warning")
            listener.close()  # nothing listens any more: the next attempts are refused
            wait_until(lambda: "could not connect" in caplog.text, 10, "the refused-connection warning")
        finally:
            listener.close()
            worker._stop_transport()
    assert not worker.connected.is_set()


def test_a_worker_held_by_a_locked_table_still_stops_in_time_and_its_batch_comes_again(
    mosquitto, plugs, require_postgres, telemetry_rows, caplog
):
    """A stop must not wait on the database past ``SHUTDOWN_SECONDS``: a supervisor would SIGKILL the
    worker (CI saw one outlive its 60 s). The writer blocked on a lock is left behind, named in the
    log; its batch was never acked, so the next worker stores it, once."""
    (plug,) = plugs(1)
    first = worker_for(mosquitto).start()
    wait_subscribed(first)
    device = Device(mosquitto, plug.device_id, plug.secret)
    assert device.connect() == 0
    locker = connections.create_connection("default")
    try:
        with locker.cursor() as cursor:
            cursor.execute("BEGIN")
            cursor.execute("LOCK TABLE telemetry_message IN ACCESS EXCLUSIVE MODE")
        body = {"seq": 1, "ts": int(time.time() * 1000), "props": {"power": 5.0}}
        device.publish(topics.topic(plug.device_id, "telemetry"), json.dumps(body))
        wait_until(lambda: lock_waiters() == 1, 30, "the writer waiting on the lock")
        started = time.monotonic()
        with caplog.at_level(logging.WARNING, logger="millet.mqtt.ingest"):
            first.stop()
        assert time.monotonic() - started < SHUTDOWN_SECONDS + 5
        assert "writer in _copy" in caplog.text, caplog.text
        assert "shadows" not in caplog.text, caplog.text  # idle: it ends at once
        with locker.cursor() as cursor:
            cursor.execute("ROLLBACK")
    finally:
        locker.close()
    # The writer left behind commits once the lock is gone; its ack goes nowhere (that session is
    # closed), so the broker hands the message to the next worker too, and the key keeps it once.
    wait_until(lambda: not any(t.name == "writer" for t in threading.enumerate()), 30, "the old writer")
    second = worker_for(mosquitto).start()
    totals = second.thing.totals
    wait_until(lambda: totals.stored + totals.duplicates == 1, 30, "the message delivered again")
    second.stop()
    device.close()
    with connection.cursor() as cursor:
        cursor.execute("SELECT seq FROM telemetry_message WHERE device_id = %s", [plug.device_id])
        assert cursor.fetchall() == [(1,)]
