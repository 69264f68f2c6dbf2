"""Where the broker is and how the platform's own services log in to it.

Everything comes from the environment so one build runs the quick start (embedded broker) and
production (Mosquitto) alike:

- ``MILLET_MQTT_MODE``: ``embedded`` (default; the in-process amqtt broker ``millet broker`` runs),
  ``mosquitto`` (an external Mosquitto with the dynamic-security plugin, kept in sync by Millet) or
  ``rabbitmq`` (a RabbitMQ cluster with its MQTT plugin, asking Millet's HTTP auth endpoints; see
  ``rabbitmq``).
- ``MILLET_MQTT_HOST`` / ``MILLET_MQTT_PORT``: where devices and services connect (default
  127.0.0.1 and 1884 for embedded, 1883 for Mosquitto and RabbitMQ).
- ``MILLET_AMQP_ADDRESSES``: RabbitMQ mode only, the nodes' AMQP listeners the ingestion workers
  consume the shared queue from, tried in turn (``host:port,host:port``; default 127.0.0.1:5672).

Service passwords are generated once into ``MILLET_DATA_DIR/mqtt/services.json`` (mode 0600), never
kept in the repository; the embedded broker reads the same file, and for Mosquitto the admin password
is the one ``mosquitto_ctrl dynsec init`` was given (see ``millet broker --mosquitto-setup``).
"""

from __future__ import annotations

import json
import os
import secrets
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings

from millet.core.private_files import create_private_once

INGEST_USER = "millet-ingest"  # subscribes to every device's uplink, publishes commands
ADMIN_USER = "millet-admin"  # Mosquitto dynamic-security administration only
SERVICE_USERS = (INGEST_USER, ADMIN_USER)
MODES = ("embedded", "mosquitto", "rabbitmq")
# The largest MQTT packet either broker accepts, counted as Mosquitto's max_packet_size counts it:
# the type byte plus the remaining length (topic, packet id, payload; the 1-4 length bytes are not
# counted). A bigger one disconnects its sender and is never stored. 128 KiB is AWS IoT Core's message
# size limit, and far above any telemetry, event or ack a device sends (a few hundred bytes).
MAX_PACKET_BYTES = 128 * 1024
# The largest snapshot payload a camera can publish in one such packet: the limit less the fixed
# header byte, the topic (2-byte length + at most 88 bytes: the prefix, a 64-character device id and
# "/snapshot") and the QoS 1 packet id. A 640 x 480 JPEG at quality 75-85 is 30-90 KiB.
MAX_SNAPSHOT_BYTES = MAX_PACKET_BYTES - 1 - (2 + 88) - 2


@dataclass(frozen=True)
class BrokerAddress:
    mode: str
    host: str
    port: int


def broker_address() -> BrokerAddress:
    mode = os.environ.get("MILLET_MQTT_MODE", "embedded")
    if mode not in MODES:
        raise ValueError(f"MILLET_MQTT_MODE must be one of {', '.join(MODES)}, not {mode!r}")
    default_port = "1884" if mode == "embedded" else "1883"
    return BrokerAddress(
        mode=mode,
        host=os.environ.get("MILLET_MQTT_HOST", "127.0.0.1"),
        port=int(os.environ.get("MILLET_MQTT_PORT", default_port)),
    )


def credentials_path() -> Path:
    return Path(settings.DATA_DIR) / "mqtt" / "services.json"


def service_credentials() -> dict[str, str]:
    """Username -> password for the platform's services, generated on first use (0600 file)."""
    # Created once, 0600: when two processes start together the first file wins for both.
    text = create_private_once(
        credentials_path(), lambda: json.dumps({user: secrets.token_urlsafe(24) for user in SERVICE_USERS})
    )
    return json.loads(text)


def amqp_addresses() -> list[tuple[str, int]]:
    """``MILLET_AMQP_ADDRESSES`` as (host, port) pairs, in the order a worker tries them."""
    pairs = []
    for item in os.environ.get("MILLET_AMQP_ADDRESSES", "127.0.0.1:5672").split(","):
        host, _, port = item.strip().rpartition(":")
        pairs.append((host, int(port)))
    return pairs
