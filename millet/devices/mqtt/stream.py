"""paho's MQTT client made cheaper per message for a subscriber that drains a stream (the ingest worker).

paho reads every packet with three or four ``recv`` calls (its type byte, its length a byte at a
time, then its body), each after a ``select``; and each manual ack queues a 4-byte PUBACK of its own,
wakes the network thread through its socket pair and leaves in a ``send`` of its own. At tens of
thousands of messages a second those system calls were most of the worker's network thread (py-spy
under ``bench/telemetry.py``). ``StreamClient`` keeps paho's protocol handling (connect, sessions,
keepalive, subscriptions, its own publishes) and changes only the socket work:

- reads come from a buffer refilled 64 KiB at a time (``BufferedSocket``); paho sees the buffered
  bytes as ``pending`` (as it does for TLS), so it does not wait in ``select`` for bytes it has, and
  ``loop_read`` handles every whole packet already buffered before it returns;
- ``ack_many`` acknowledges a committed batch with one write of all its PUBACKs;
- every message goes straight to ``on_message``: paho first looks each topic up among its per-topic
  callbacks (``message_callback_add``, a recursive pure-Python match), about a fifth of the network
  thread under ``bench/telemetry.py`` although the worker registers none; a stream client refuses
  them.

Only paho 2.2's socket seam (``_create_socket``), its packet queue (``_packet_queue``) and its
message hand-off (``_handle_on_message``) are used; ``tests/devices/test_ingest_stream.py`` holds
them to it.
"""

from __future__ import annotations

import struct
from collections.abc import Iterable

import paho.mqtt.client as mqtt

READ_SIZE = 65536
MAX_PACKETS_PER_READ = 2000  # then paho writes (acks, commands) before it reads again
_PUBACK = struct.Struct("!BBH")  # fixed header (PUBACK, remaining length 2), packet id


class BufferedSocket:
    """A socket whose ``recv`` serves a buffer filled ``READ_SIZE`` bytes at a time; everything else is
    the socket's own (``select`` uses its ``fileno``)."""

    __slots__ = ("_sock", "_buffer", "_pos")

    def __init__(self, sock) -> None:
        self._sock = sock
        self._buffer = b""
        self._pos = 0

    def recv(self, size: int) -> bytes:
        if self._pos >= len(self._buffer):
            data = self._sock.recv(max(size, READ_SIZE))  # BlockingIOError and b"" (closed) go to paho
            if len(data) <= size:
                return data
            self._buffer, self._pos = data, 0
        start, self._pos = self._pos, min(self._pos + size, len(self._buffer))
        return self._buffer[start : self._pos]

    def buffered(self) -> int:
        return len(self._buffer) - self._pos

    def pending(self) -> int:
        """Bytes readable without waiting: this buffer's, and a TLS socket's own."""
        inner = self._sock.pending() if hasattr(self._sock, "pending") else 0
        return self.buffered() + inner

    def __getattr__(self, name: str):
        return getattr(self._sock, name)


class StreamClient(mqtt.Client):
    """``mqtt.Client`` with buffered reads and batched PUBACKs; use it as paho's client otherwise."""

    def _create_socket(self):
        return BufferedSocket(super()._create_socket())

    def loop_read(self, max_packets: int = 1) -> mqtt.MQTTErrorCode:
        """paho reads one packet per call; go on while whole packets are already buffered."""
        rc = super().loop_read(max_packets)
        for _ in range(MAX_PACKETS_PER_READ):
            sock = self._sock
            if rc != mqtt.MQTTErrorCode.MQTT_ERR_SUCCESS or not isinstance(sock, BufferedSocket):
                break
            if not sock.buffered():
                break
            rc = super().loop_read(max_packets)
        return rc

    def ack_many(self, mids: Iterable[int]) -> None:
        """PUBACK each QoS 1 packet id, all in one write (``manual_ack``); ids from the current
        connection only: the caller keeps acks of an old connection off a new one."""
        packet = b"".join(_PUBACK.pack(mqtt.PUBACK, 2, mid) for mid in mids)
        if packet:
            self._packet_queue(mqtt.PUBACK, packet, 0, 0)

    def message_callback_add(self, sub: str, callback) -> None:
        raise TypeError("a StreamClient hands every message to on_message; it keeps no per-topic callbacks")

    def _handle_on_message(self, message: mqtt.MQTTMessage) -> None:
        """paho's hand-off without the per-topic lookup: ``on_message`` gets every message, and an
        exception it raises is logged, then raised unless ``suppress_exceptions`` (as paho does)."""
        on_message = self.on_message
        if on_message is None:
            return
        with self._in_callback_mutex:
            try:
                on_message(self, self._userdata, message)
            except Exception as err:
                self._easy_log(mqtt.MQTT_LOG_ERR, "Caught exception in on_message: %s", err)
                if not self.suppress_exceptions:
                    raise
