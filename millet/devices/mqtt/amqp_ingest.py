"""Ingestion from a RabbitMQ cluster: competing AMQP consumers on one quorum queue.

RabbitMQ's MQTT plugin has no shared subscriptions, so workers on several machines cannot split
the uplink over MQTT. Over AMQP they can: one durable quorum queue (``INGEST_QUEUE``, replicated on
three nodes) is bound to ``amq.topic`` with each uplink filter, and every worker consumes it; the
broker hands each message to one of them. Everything after the transport is ``IngestWorker``'s:
validation, batched storage, de-duplication by the telemetry key, devices calls and commands.

At-least-once as over MQTT: the queue is quorum (its messages survive a node), manual acks are sent
only after the batch holding them committed, and a message whose worker or connection is lost is
redelivered to another. An ack is sent on the connection that received the message or not at all
(delivery tags are per channel). The worker connects to the nodes in turn, so losing its node costs
a reconnect to the next one.
"""

from __future__ import annotations

import logging
import threading
from functools import partial

import pika
import pika.exceptions

from millet.devices.mqtt import topics
from millet.devices.mqtt.config import INGEST_USER, service_credentials
from millet.devices.mqtt.ingest import Inbound, IngestWorker
from millet.devices.services.broker_auth import INGEST_QUEUE, RABBITMQ_EXCHANGE, RABBITMQ_VHOST

log = logging.getLogger("millet.mqtt.amqp_ingest")
PREFETCH = 2000  # unacknowledged deliveries per worker: two batches in flight, as the MQTT worker keeps


class AmqpIngestWorker(IngestWorker):
    """``IngestWorker`` consuming ``INGEST_QUEUE`` over AMQP 0-9-1 (pika), at ``addresses`` in turn."""

    def __init__(self, addresses: list[tuple[str, int]], **kwargs) -> None:
        self.addresses = list(addresses)
        super().__init__(*self.addresses[0], **kwargs)

    def _make_transport(self) -> None:
        self._connection: pika.BlockingConnection | None = None
        self._channel = None
        self._halt = threading.Event()
        self._thread: threading.Thread | None = None

    def _start_transport(self) -> None:
        self._halt = threading.Event()
        self._thread = threading.Thread(target=self._consume, name="amqp", daemon=True)
        self._thread.start()

    def _stop_transport(self) -> None:
        self._halt.set()
        if self._thread is not None:
            self._thread.join(30)

    def _watch_transport(self, now: float) -> None:
        """Nothing to watch: pika's blocking calls give up on their own (``socket_timeout``, and the
        blocking channel's RPCs raise when the connection ends), and ``_consume`` tries the next node."""

    def _consume(self) -> None:
        """The connection's own thread (pika's BlockingConnection is not thread-safe): connect,
        declare and bind, consume until halted; on any loss, the next node."""
        attempt = 0
        while not self._halt.is_set():
            host, port = self.addresses[attempt % len(self.addresses)]
            attempt += 1
            try:
                self._serve(host, port)
            except (pika.exceptions.AMQPError, OSError) as exc:
                log.warning("AMQP ingestion lost %s:%s (%s); trying the next node", host, port, exc)
            finally:
                self.connected.clear()
                self.subscribed.clear()
                with self._ack_lock:
                    self._generation += 1  # nothing received before this may be acked again
                    self._connection = self._channel = None
            self._halt.wait(0.2)

    def _serve(self, host: str, port: int) -> None:
        credentials = pika.PlainCredentials(INGEST_USER, service_credentials()[INGEST_USER])
        parameters = pika.ConnectionParameters(
            host, port, RABBITMQ_VHOST, credentials, heartbeat=15, connection_attempts=1, socket_timeout=5
        )
        connection = pika.BlockingConnection(parameters)
        try:
            channel = connection.channel()
            channel.queue_declare(INGEST_QUEUE, durable=True, arguments={"x-queue-type": "quorum"})
            for topic_filter in topics.INGEST_FILTERS:
                channel.queue_bind(INGEST_QUEUE, RABBITMQ_EXCHANGE, routing_key=topics.to_amqp(topic_filter))
            channel.basic_qos(prefetch_count=PREFETCH)
            with self._ack_lock:
                self._generation += 1
                generation = self._generation
                self._connection, self._channel = connection, channel
            channel.basic_consume(INGEST_QUEUE, partial(self._on_delivery, generation))
            self.connected.set()
            self.subscribed.set()
            log.info("AMQP ingestion consuming %s on %s:%s", INGEST_QUEUE, host, port)
            while not self._halt.is_set():
                connection.process_data_events(time_limit=0.1)
        finally:
            if connection.is_open:
                connection.close()

    def _on_delivery(self, generation: int, channel, method, properties, body: bytes) -> None:
        name = topics.from_amqp(method.routing_key)
        self._inbox.put(Inbound(name, body, method.delivery_tag, 1, generation))

    def _ack(self, items: list[Inbound]) -> None:
        """One ``multiple`` ack up to the batch's last tag: batches commit in delivery order, so
        every earlier delivery of this connection is already committed (the caller holds the lock)."""
        tags = [item.mid for item in items if item.generation == self._generation]
        if tags and self._connection is not None:
            try:
                self._connection.add_callback_threadsafe(
                    partial(self._channel.basic_ack, max(tags), multiple=True)
                )
            except pika.exceptions.ConnectionWrongStateError:
                # The node went away after the batch committed, before the consuming thread saw it:
                # unacked, these are delivered again over the next connection and found stored.
                log.info("AMQP connection closing: %d deliveries left unacked", len(tags))

    def _publish(self, topic: str, payload: bytes) -> None:
        """A command to a device's MQTT session: persistent, delivered at QoS 1."""
        with self._ack_lock:
            connection, channel = self._connection, self._channel
        if connection is None:
            return  # not connected: the command stays due and is sent on a later round
        properties = pika.BasicProperties(delivery_mode=2, headers={"x-mqtt-publish-qos": 1})
        send = partial(channel.basic_publish, RABBITMQ_EXCHANGE, topics.to_amqp(topic), payload, properties)
        connection.add_callback_threadsafe(send)
