"""Who may log in to the MQTT broker and touch which topic: the one rule set every broker asks.

The embedded broker calls these functions in process; RabbitMQ (``rabbitmq_auth_backend_http``),
EMQX (HTTP authentication and authorization) and VerneMQ (``vmq_webhooks``) ask them over HTTP
through the thin views in ``millet.devices.broker_auth_views``. Mosquitto holds the same rules as
one dynamic-security role per device (``millet.devices.mqtt.mosquitto.device_acls``).

The rules (see ``topics``): a device logs in with its own id as username and client id and its
secret as password; it publishes only on its own uplink topics and subscribes only to its own
command topic, spelled out. The ingestion login reads every device's uplink and publishes commands;
the admin login only names a device to kick on the embedded broker's kick topic.
"""

from __future__ import annotations

import hashlib
import hmac

from django.conf import settings

from millet.devices.mqtt import topics
from millet.devices.mqtt.config import ADMIN_USER, INGEST_USER, service_credentials
from millet.devices.services.identity import check_device_secret

# RabbitMQ's MQTT plugin puts every MQTT session in this virtual host (its ``mqtt.vhost`` default),
# routes through this exchange (``mqtt.exchange``) and keeps a client's subscriptions in queues named
# ``mqtt-subscription-<client id>qos0|qos1`` (rabbit_mqtt_util:subcription_queue_name/1, 3.10).
RABBITMQ_VHOST = "/"
RABBITMQ_EXCHANGE = "amq.topic"
RABBITMQ_SESSION_QUEUE = "mqtt-subscription-"
# The quorum queue the ingestion workers share over AMQP (competing consumers): bound to the exchange
# once per uplink channel, each message goes to one worker.
INGEST_QUEUE = "millet-ingest"


def broker_auth_token() -> str:
    """The secret path segment of the broker auth URLs (64 hex digits, from ``SECRET_KEY``).

    The endpoints answer whether a password is right, so only the broker may reach them: it knows
    the URL from its configuration (``millet broker --rabbitmq-config`` prints it).
    """
    return hmac.new(settings.SECRET_KEY.encode(), b"millet-broker-auth", hashlib.sha256).hexdigest()


def may_log_in(username: str, password: str, client_id: str | None) -> bool:
    """A CONNECT: platform services by their generated password, devices by their own secret.

    ``client_id`` is the MQTT client id; a device must use its own id as client id, so no device can
    take over another's session. A broker that does not say it (None) admits no device.
    """
    services = service_credentials()
    if username in services:
        return hmac.compare_digest(password.encode(), services[username].encode())
    if not topics.DEVICE_ID_RE.match(username) or client_id != username:
        return False
    return check_device_secret(username, password)


def may_publish(username: str, topic: str) -> bool:
    """May this login publish on ``topic`` (a topic name, never a filter)?"""
    if username == INGEST_USER:
        parsed = topics.parse(topic)
        return parsed is not None and parsed[1] == "commands"
    if username == ADMIN_USER:
        return topic == topics.KICK_TOPIC
    return topics.device_may_publish(username, topic)


def may_subscribe(username: str, topic_filter: str) -> bool:
    """May this login subscribe to ``topic_filter`` (as written, wildcards included)?"""
    if username == INGEST_USER:
        return topic_filter in topics.INGEST_FILTERS
    if username == ADMIN_USER:
        return False
    return topics.device_may_subscribe(username, topic_filter)


def rabbitmq_vhost(username: str, vhost: str) -> bool:
    return vhost == RABBITMQ_VHOST


def rabbitmq_resource(username: str, vhost: str, kind: str, name: str, permission: str) -> bool:
    """RabbitMQ's resource check: ``kind`` is exchange or queue, ``permission`` configure, write or read.

    Everyone may write to (publish) and read from (bind to) the MQTT exchange, whose topics are
    then checked one by one (``rabbitmq_topic``). A device may use only its own session queues; the
    ingestion login its own, the observers' and the shared ingestion queue.
    """
    if vhost != RABBITMQ_VHOST:
        return False
    if kind == "exchange":
        return name == RABBITMQ_EXCHANGE and permission in ("read", "write")
    if kind != "queue":
        return False
    if username == INGEST_USER:
        return name == INGEST_QUEUE or name.startswith(RABBITMQ_SESSION_QUEUE)
    if username in service_credentials():
        return False
    return name in (f"{RABBITMQ_SESSION_QUEUE}{username}qos0", f"{RABBITMQ_SESSION_QUEUE}{username}qos1")


def rabbitmq_topic(username: str, vhost: str, exchange: str, permission: str, routing_key: str) -> bool:
    """RabbitMQ's topic check: ``write`` is a publish with this routing key, ``read`` a binding
    (an MQTT subscription or an AMQP queue.bind) with this binding key."""
    if vhost != RABBITMQ_VHOST or exchange != RABBITMQ_EXCHANGE:
        return False
    name = topics.from_amqp(routing_key)
    if permission == "write":
        return may_publish(username, name)
    if permission == "read":
        return may_subscribe(username, name)
    return False
