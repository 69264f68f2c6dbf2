"""Embedded mode: an in-process asyncio MQTT 3.1.1 broker (amqtt) with Millet's auth and ACL rules.

The quick start needs no Mosquitto: ``millet broker`` runs this. Devices log in exactly as with
Mosquitto (username = client id = device id, password = the device secret, checked live against the
devices domain, so a revoked device is refused at its next CONNECT), and the topic rules are the same
functions from ``topics``. Revocation also kicks a connected device at once: the platform's admin
login publishes the device id on ``KICK_TOPIC``, which only that login may use.

A CONNECT's login is checked before it touches any session (amqtt 0.12 deleted, altered or took
over the session of the client id it named first), as Mosquitto does.

Everything the broker delivers passes the receive rule (``may_receive``), not only what follows a
live subscription: amqtt 0.12 sends a connecting client the retained messages of every filter any
session holds, and replays queued messages without a check, so ``MilletBroker`` filters both. A
packet over ``MAX_PACKET_BYTES`` ends its sender's connection before its body is read, as
Mosquitto's ``max_packet_size`` does.

QoS 1 is at least once here too, across a subscriber's reconnects. amqtt 0.12 forgot a message sent
to a subscriber whose connection ended before its PUBACK (or whose PUBACK took over 5 s):
``AtLeastOnceHandler`` keeps it for the session's next connection. And a session taken over by a new
connection (a client reconnecting before the broker saw its old connection end) was then marked
disconnected with the new connection live, and its last will was sent: ``MilletBroker`` ends only the
old connection, as Mosquitto does. The ingest worker, which acknowledges only after its batch
committed, lost messages to each.

Limit, said plainly: amqtt keeps sessions and queues in memory, so a restart of the embedded broker
loses messages it had acknowledged but not yet delivered to the ingestion worker. The at-least-once
guarantee across broker restarts is Mosquitto's (persistence), i.e. production mode's.
"""

from __future__ import annotations

import asyncio
import contextlib
import contextvars
import logging
import threading
import weakref
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

from amqtt.adapters import ReaderAdapter, StreamReaderAdapter, StreamWriterAdapter, WriterAdapter
from amqtt.broker import Broker
from amqtt.contexts import Action, ListenerConfig
from amqtt.errors import AMQTTError, MQTTError, NoDataError
from amqtt.events import BrokerEvents
from amqtt.mqtt.disconnect import DisconnectPacket
from amqtt.mqtt.protocol.broker_handler import BrokerProtocolHandler
from amqtt.mqtt.puback import PubackPacket
from amqtt.plugins.base import BaseAuthPlugin, BasePlugin, BaseTopicPlugin
from amqtt.session import OUTGOING, IncomingApplicationMessage, OutgoingApplicationMessage, Session
from django.db import connections

from millet.devices.mqtt import topics
from millet.devices.mqtt.config import ADMIN_USER, INGEST_USER, MAX_PACKET_BYTES, service_credentials

log = logging.getLogger("millet.mqtt.embedded")
KICK_TOPIC = topics.KICK_TOPIC


def _may_log_in(username: str, password: str, client_id: str | None) -> bool:
    from millet.devices.services import broker_auth

    return broker_auth.may_log_in(username, password, client_id)


class MilletAuthPlugin(BaseAuthPlugin):
    """CONNECT: ``services.broker_auth.may_log_in`` (the rules every broker asks), in a thread pool."""

    WORKERS = 4

    @dataclass
    class Config:
        pass

    def __init__(self, context) -> None:
        super().__init__(context)
        # Secret checks hit the database: a small pool of our own, so close() can close its connections.
        self._pool = ThreadPoolExecutor(max_workers=self.WORKERS, thread_name_prefix="mqtt-auth")

    async def close(self) -> None:
        """Close each pool thread's database connection (a test database cannot be dropped otherwise)."""
        barrier = threading.Barrier(self.WORKERS)

        def close_connections() -> None:
            connections.close_all()
            barrier.wait(timeout=10)  # holds this thread so every worker takes exactly one task

        await asyncio.gather(
            *(
                asyncio.get_running_loop().run_in_executor(self._pool, close_connections)
                for _ in range(self.WORKERS)
            )
        )
        self._pool.shutdown(wait=True)

    async def authenticate(self, *, session: Session) -> bool:
        username, password = session.username or "", session.password or ""
        if isinstance(password, bytes):
            password = password.decode("utf-8", "replace")
        if username not in service_credentials() and session.will_flag:
            if not topics.device_may_publish(username, session.will_topic or ""):
                return False  # a last will on someone else's topic would be a publish we never checked
        return await asyncio.get_running_loop().run_in_executor(
            self._pool, _may_log_in, username, password, session.client_id
        )


class MilletTopicPlugin(BaseTopicPlugin):
    """PUBLISH/SUBSCRIBE: ``services.broker_auth``, the rules Mosquitto's dynsec roles encode."""

    @dataclass
    class Config:
        pass

    async def topic_filtering(
        self, *, session: Session | None = None, topic: str | None = None, action: Action | None = None
    ) -> bool:
        if session is None or topic is None:
            return False
        from millet.devices.services import broker_auth

        username = session.username or ""
        if action == Action.RECEIVE:
            return may_receive(username, topic)
        if action == Action.PUBLISH:
            return broker_auth.may_publish(username, topic)
        return broker_auth.may_subscribe(username, topic)


def may_receive(username: str, topic: str) -> bool:
    """May this login be handed a message on ``topic``, whatever made the broker deliver it?

    The same rule as subscribing: the ingestion login receives device uplink, a device only its own
    commands, the admin login nothing.
    """
    if username == INGEST_USER:
        return any(topics.matches(f, topic) for f in topics.INGEST_FILTERS)
    if username == ADMIN_USER:
        return False
    return topics.device_may_subscribe(username, topic)


class MilletKickPlugin(BasePlugin):
    """Disconnects a device the moment the admin login names it on the kick topic."""

    @dataclass
    class Config:
        pass

    async def on_broker_message_broadcast(self, *, client_id: str, message) -> None:
        # Fired only for publishes the topic plugin permitted: only the admin login may use KICK_TOPIC.
        if message.topic != KICK_TOPIC:
            return
        target = bytes(message.data).decode("utf-8", "replace")
        entry = self.context._broker_instance.sessions.get(target)
        if entry is None:
            return
        session, handler = entry
        if session.transitions.is_connected() and handler is not None and handler.writer is not None:
            log.info("kicking revoked device %s", target)
            await handler.writer.close()


class SnapshotDict(dict):
    """The broker's subscriptions, iterated over a snapshot.

    amqtt 0.12 loops over its subscriptions dict across ``await``s: ``.items()`` while broadcasting,
    and the dict itself after a CONNECT with a session present (sending each held filter's retained
    messages). A device subscribing or leaving at that moment changed the dict's size mid-loop: the
    broadcast was lost for every subscriber, or the reconnecting client's connection handler died
    with it (the ingest worker then had no session at all, a stall seen in CI). Iterating a copy of
    the keys or items keeps both loops whole; the subscriptions themselves stay one dict."""

    def items(self):
        return list(super().items())

    def __iter__(self):
        return iter(list(super().keys()))


class PacketSizeLimit(StreamReaderAdapter):
    """amqtt's TCP reader, ending the connection at a packet whose length is over the limit.

    amqtt 0.12 reads any packet whole into memory. This adapter follows the MQTT framing of what it
    hands out (a fixed header: one type byte and a 1-4 byte remaining length, then that many bytes),
    so it knows each packet's size from its header and closes the socket before the body is read.
    A packet counts as its type byte plus its remaining length, as Mosquitto counts it.
    """

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter, limit: int) -> None:
        super().__init__(reader)
        self._writer = writer
        self._limit = limit
        self._header = bytearray()  # the fixed header read so far
        self._body = 0  # bytes of the current packet still to come
        self.refused = False

    async def read(self, n: int = -1) -> bytes:
        if self.refused:
            raise asyncio.IncompleteReadError(b"", n if n > 0 else None)
        data = await super().read(n)
        self._follow(data)
        if self.refused:
            log.warning("closing a connection that sent a packet over %d bytes", self._limit)
            self._writer.close()
        return data

    def _follow(self, data: bytes) -> None:
        i = 0
        while i < len(data) and not self.refused:
            if self._body:
                step = min(self._body, len(data) - i)
                self._body -= step
                i += step
                continue
            self._header.append(data[i])
            i += 1
            if len(self._header) >= 2 and not self._header[-1] & 0x80:
                length = sum((b & 0x7F) << (7 * k) for k, b in enumerate(self._header[1:]))
                self.refused = 1 + length > self._limit  # Mosquitto's reckoning, see config
                self._header.clear()
                self._body = length


class Rewindable(ReaderAdapter):
    """A reader that keeps what it reads until ``rewind``, then hands that out again before reading
    on: the CONNECT is parsed twice, once to check its login and once by amqtt (``MilletBroker``)."""

    def __init__(self, inner: ReaderAdapter) -> None:
        self._inner = inner
        self._kept = bytearray()
        self._replaying = False

    async def read(self, n: int = -1) -> bytes:
        if not self._replaying:
            data = await self._inner.read(n)
            self._kept += data
            return data
        if n < 0:
            head, self._kept = bytes(self._kept), bytearray()
            return head + await self._inner.read(n)
        head = bytes(self._kept[:n])
        del self._kept[:n]
        return head + (await self._inner.read(n - len(head)) if len(head) < n else b"")

    def rewind(self) -> None:
        self._replaying = True

    def feed_eof(self) -> None:
        self._inner.feed_eof()


class AtLeastOnceHandler(BrokerProtocolHandler):
    """amqtt's handler of one client connection, keeping every QoS 1 message it sends in the session's
    in-flight set until the client acknowledges it.

    amqtt 0.12 waited 5 s for each PUBACK and then, acknowledged or not, dropped the message from the
    session: when the connection ended first (the wait is cancelled) or the client took longer, the
    message was never sent again. The ingest worker acknowledges a message only once the batch holding
    it committed, so a message sent but not yet committed (in transit, or in a batch a stopping worker
    leaves to be redelivered) was lost when the worker's connection ended, although its session is
    persistent. Here the PUBLISH is sent and the message stays in flight until its PUBACK arrives,
    however late, on this connection; if the connection ends first, the session's next connection
    sends it again with DUP set (amqtt's ``_retry_deliveries`` at its start), as MQTT 3.1.1 (4.4)
    requires and Mosquitto does.

    Nothing waits on the PUBACK: the send returns once the PUBLISH is written. Broadcasts and the
    retained and queued messages a connect sends therefore no longer hold amqtt's loops for seconds
    on a slow subscriber; its unacknowledged messages are its session's state, not a waiting task.

    Limit: amqtt's packet ids bound a session's unacknowledged messages to 65535, past which amqtt
    refuses (logs) each further send to it. A worker that acknowledges nothing for that long (its
    database down under full load) loses messages from there on, where it lost every one not
    acknowledged within 5 s before; Mosquitto queues them instead (``max_queued_messages``).
    """

    async def _handle_qos1_message_flow(
        self, app_message: OutgoingApplicationMessage | IncomingApplicationMessage
    ) -> None:
        if app_message.direction != OUTGOING:
            await super()._handle_qos1_message_flow(app_message)
            return
        session, packet_id = self.session, app_message.packet_id
        if session is None or packet_id is None:
            raise ValueError("an outgoing QoS 1 message needs a session and a packet id")
        session.inflight_out[packet_id] = app_message
        # The waiter exists before the PUBLISH leaves: _send_packet yields, and the PUBACK may come first.
        acked: asyncio.Future[PubackPacket] = asyncio.get_running_loop().create_future()
        acked.add_done_callback(lambda done: self._acknowledged(session, app_message, done))
        self._puback_waiters[packet_id] = acked
        packet = app_message.build_publish_packet(dup=app_message.publish_packet is not None)
        await self._send_packet(packet)
        app_message.publish_packet = packet

    def _acknowledged(
        self, session: Session, message: OutgoingApplicationMessage, acked: asyncio.Future[PubackPacket]
    ) -> None:
        """The PUBACK came: the message leaves the session. Cancelled (the connection ended): it stays
        in flight for the next connection to send again."""
        if self._puback_waiters.get(message.packet_id) is acked:
            del self._puback_waiters[message.packet_id]
        if acked.cancelled():
            return
        message.puback_packet = acked.result()
        if session.inflight_out.get(message.packet_id) is message:
            del session.inflight_out[message.packet_id]


# Set for the task of one connection whose CONNECT's login was accepted before amqtt read it; amqtt
# then checks the same login again in the same task (``MilletBroker._authenticate``).
_login_checked: contextvars.ContextVar[bool] = contextvars.ContextVar("login_checked", default=False)


class MilletBroker(Broker):
    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self._subscriptions = SnapshotDict()
        self._taken_over: weakref.WeakSet[BrokerProtocolHandler] = weakref.WeakSet()

    async def _authenticate(self, session: Session, listener: ListenerConfig) -> bool:
        """amqtt's login check, and the last moment before amqtt decides on a takeover: right after
        this returns, with no ``await`` between, a CONNECT for a session that is still connected
        takes it over from its current connection. That connection's handler is noted here, so its
        end does not count as the session's (``_handle_disconnect``). A CONNECT whose login
        ``_initialize_client_session`` already accepted is not looked up again."""
        authenticated = _login_checked.get() or await super()._authenticate(session, listener)
        _login_checked.set(False)
        if session.transitions.is_connected():
            handler = self._get_handler(session)
            if handler is not None:
                self._taken_over.add(handler)
        return authenticated

    async def _initialize_client_session(
        self, reader: ReaderAdapter, writer: WriterAdapter, *peer: object
    ) -> tuple[BrokerProtocolHandler, Session]:
        """amqtt's CONNECT handling, after the login is checked, with an ``AtLeastOnceHandler`` for
        the connection (amqtt makes a plain handler, not yet attached to anything, so the swap changes
        nothing else). ``peer``: the client's host and port, passed on as amqtt gave them.

        amqtt 0.12 acts on a CONNECT before it checks the password: a clean-session CONNECT deletes
        the session of its client id, a persistent one copies its will and credentials onto that
        session, and a connected one is taken over, all before the refusal. Anyone who reached the
        broker and knew a client id (a device's id, the ingest worker's) could end its connection,
        drop the messages queued for it or replace its will. Mosquitto checks first, and so does
        this: the CONNECT is read into a session of its own and checked; a refused one is answered
        CONNACK 5 and closed, and only an accepted one is read again, from the same bytes, by amqtt.
        """
        tape = Rewindable(reader)
        try:
            probe, candidate = await BrokerProtocolHandler.init_from_connect(
                tape, writer, self.plugins_manager
            )
        except MQTTError:  # what amqtt does with a malformed CONNECT
            await writer.close()
            raise
        except (AMQTTError, NoDataError) as exc:
            raise AMQTTError(exc) from exc
        try:
            accepted = await super()._authenticate(candidate, None)
            if not accepted:
                probe.attach(candidate, tape, writer)
                await probe.mqtt_connack_authorize(False)
        except Exception as exc:  # a login check that failed, a client already gone: refused
            log.warning("refusing client id %r: %r", candidate.client_id, exc)
            accepted = False
        if not accepted:
            # Only amqtt's own errors make it give the connection's slot back (_client_connected).
            with contextlib.suppress(Exception):
                await writer.close()
            raise AMQTTError(f"login refused for client id {candidate.client_id!r}")
        tape.rewind()
        _login_checked.set(True)  # this connection's task: amqtt's own check next need not ask again
        _, session = await super()._initialize_client_session(tape, writer, *peer)
        return AtLeastOnceHandler(self.plugins_manager, loop=self._loop), session

    async def _handle_disconnect(
        self, client_session: Session, handler: BrokerProtocolHandler, disconnect_waiter: asyncio.Future
    ) -> None:
        """The end of one connection; the end of its session's connection only if no newer one took
        the session over.

        A client reconnecting before the broker saw its old connection end (a dropped link on a loaded
        machine, a worker restarted at once) takes its session over: amqtt 0.12 stops the old
        connection's handler and attaches the new one (``_authenticate`` notes which). The old
        connection's loop then ran this and marked the session disconnected with the new connection
        live, so every later message was queued for a reconnect that never came (the ingest worker,
        connected, received nothing more), and it sent the old connection's last will. Mosquitto
        sends no will on a takeover (a device's retained "offline" after its new "online"); nor
        does this, and the same holds for a session a clean-session CONNECT replaced. The check and
        the state change have no ``await`` between them, so a takeover cannot fall between the two.
        """
        if handler in self._taken_over or self._get_handler(client_session) is not handler:
            await self._stop_handler(handler)
            return
        client_session.transitions.disconnect()
        if not isinstance(disconnect_waiter.result(), DisconnectPacket) and client_session.will_flag:
            will = (client_session.will_topic, client_session.will_message, client_session.will_qos)
            await self._broadcast_message(client_session, *will)
            if client_session.will_retain:
                await self.retain_message(client_session, *will)
        await self._stop_handler(handler)
        await self.plugins_manager.fire_event(
            BrokerEvents.CLIENT_DISCONNECTED,
            client_id=client_session.client_id,
            client_session=client_session,
        )

    async def stream_connected(
        self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter, listener_name: str
    ) -> None:
        await self._client_connected(
            listener_name, PacketSizeLimit(reader, writer, MAX_PACKET_BYTES), StreamWriterAdapter(writer)
        )

    def _holds(self, session: Session, topic_filter: str) -> bool:
        return any(s.client_id == session.client_id for s, _ in self._subscriptions.get(topic_filter, ()))

    async def _publish_retained_messages_for_subscription(
        self, subscription: tuple[str, int], session: Session
    ) -> None:
        """Retained messages for one of the session's own filters, each passing the receive rule.

        amqtt calls this after a SUBSCRIBE, and after every CONNECT once for each filter that any
        session in the broker holds; the second case is where other devices' retained status leaked.
        """
        topic_filter, qos = subscription
        handler = self._get_handler(session)
        if handler is None or not self._holds(session, topic_filter):
            return
        username = session.username or ""
        sends = [
            asyncio.ensure_future(
                handler.mqtt_publish(
                    retained.topic, retained.data, min(qos, retained.qos or qos), retain=True
                )
            )
            for name, retained in list(self._retained_messages.items())
            if self._matches(name, topic_filter) and may_receive(username, name)
        ]
        if sends:
            await asyncio.wait(sends)

    async def _publish_session_retained_messages(self, session: Session) -> None:
        """Messages queued while the session was offline, each passing the receive rule again (the
        login may have changed since they were queued); without the retain flag, which MQTT keeps
        for retained messages (amqtt sets it)."""
        handler = self._get_handler(session)
        if handler is None:
            return
        username = session.username or ""
        sends = []
        while not session.retained_messages.empty():
            queued = session.retained_messages.get_nowait()
            if may_receive(username, queued.topic):
                sends.append(
                    asyncio.ensure_future(
                        handler.mqtt_publish(queued.topic, queued.data, queued.qos, retain=False)
                    )
                )
        if sends:
            await asyncio.wait(sends)


def broker_config(host: str, port: int) -> dict:
    return {
        "listeners": {"default": {"type": "tcp", "bind": f"{host}:{port}", "max_connections": 0}},
        "timeout_disconnect_delay": 2,
        "plugins": {
            f"{__name__}.MilletAuthPlugin": {},
            f"{__name__}.MilletTopicPlugin": {},
            f"{__name__}.MilletKickPlugin": {},
        },
    }


async def serve(host: str, port: int, stop: asyncio.Event, started: asyncio.Event | None = None) -> None:
    """Run the broker until ``stop`` is set."""
    service_credentials()  # create the services' passwords before the first login needs them
    broker = MilletBroker(broker_config(host, port))
    await broker.start()
    if started is not None:
        started.set()
    try:
        await stop.wait()
    finally:
        await broker.shutdown()
