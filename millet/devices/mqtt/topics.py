"""Topic names and the one ACL rule both broker modes enforce.

Every device topic is ``millet/v1/d/{device_id}/{channel}``; the device id is also the MQTT client id
and username, so the broker can decide from the login alone what a device may touch.
"""

from __future__ import annotations

import re

PREFIX = "millet/v1/d"
# device -> cloud; ``snapshot`` carries a camera's picture (raw JPEG or PNG bytes, no JSON envelope)
UPLINK = ("telemetry", "events", "acks", "status", "snapshot")
DOWNLINK = ("commands",)  # cloud -> device
# Device ids are safe topic levels: no wildcards, no separators, no '$'.
DEVICE_ID_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.:-]{0,63}$")
# Subscriptions the platform's ingestion worker holds (QoS 1, persistent session).
INGEST_FILTERS = tuple(f"{PREFIX}/+/{channel}" for channel in UPLINK)
# The embedded broker's revocation topic: the admin login names a device on it to disconnect it.
KICK_TOPIC = "millet/v1/control/kick"


def topic(device_id: str, channel: str) -> str:
    return f"{PREFIX}/{device_id}/{channel}"


def parse(name: str) -> tuple[str, str] | None:
    """``(device_id, channel)`` for a device topic, None for anything else."""
    parts = name.split("/")
    if len(parts) != 5 or "/".join(parts[:3]) != PREFIX:
        return None
    device_id, channel = parts[3], parts[4]
    if not DEVICE_ID_RE.match(device_id) or channel not in UPLINK + DOWNLINK:
        return None
    return device_id, channel


def matches(topic_filter: str, name: str) -> bool:
    """MQTT filter matching (``+`` one level, ``#`` the rest); ``$`` topics never match a wildcard."""
    levels, parts = topic_filter.split("/"), name.split("/")
    if name.startswith("$") and levels[0] in ("+", "#"):
        return False
    for i, level in enumerate(levels):
        if level == "#":
            return i == len(levels) - 1
        if i >= len(parts) or level not in ("+", parts[i]):
            return False
    return len(levels) == len(parts)


_AMQP_SWAP = str.maketrans({".": "/", "/": "."})


def from_amqp(routing_key: str) -> str:
    """An AMQP routing or binding key as the MQTT topic or filter it stands for.

    RabbitMQ's MQTT plugin swaps ``/`` and ``.`` between the two (rabbit_mqtt_util:mqtt_to_amqp)
    and writes ``+`` as ``*``; ``#`` is ``#`` in both.
    """
    return "/".join("+" if level == "*" else level for level in routing_key.translate(_AMQP_SWAP).split("/"))


def to_amqp(name: str) -> str:
    """An MQTT topic or filter as RabbitMQ's routing or binding key (the inverse of ``from_amqp``)."""
    return ".".join("*" if level == "+" else level for level in name.translate(_AMQP_SWAP).split("."))


def device_may_publish(device_id: str, name: str) -> bool:
    """A device publishes only on its own uplink topics (exact names, never wildcards)."""
    parsed = parse(name)
    return parsed is not None and parsed[0] == device_id and parsed[1] in UPLINK


def device_may_subscribe(device_id: str, topic_filter: str) -> bool:
    """A device subscribes only to its own command topic, spelled out (no wildcard can widen it)."""
    return topic_filter == topic(device_id, "commands")
