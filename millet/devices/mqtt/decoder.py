"""The ingestion decoder: one uplink message in, ``Accepted`` or ``Rejected(reason)`` out, never a raise.

Everything a device sends is checked before it is used, cheapest check first, so no payload can cost
more than its size or reach code that could fail on it:

1. size: at most ``MAX_PACKET_BYTES`` (both brokers already refuse bigger packets);
2. nesting depth: a scan of the raw bytes counts brackets outside strings, so a 100,000-deep
   ``[[[...]]]`` is refused before any parser sees it (``too_deep``);
3. JSON syntax with orjson: strict UTF-8, no lone surrogates, no NaN or Infinity, numbers that fit a
   double (``malformed_json``). orjson was chosen because it refuses all of these by itself and
   parses several times faster than ``json``;
4. values the database cannot store: NUL characters, integers outside 64 bits (``invalid_value``);
5. the envelope: ``seq`` an integer >= 1, ``ts`` integer epoch milliseconds inside
   [now - 30 days, now + 1 hour] (``invalid_seq``, ``invalid_ts``, ``ts_out_of_range``): a device
   buffers offline for days at most, and its clock is set by NTP; the window is compared as integers
   before any date is built, so ``ts = 10**18`` is refused, never converted;
6. the device's model spec, through the devices domain (``out_of_spec:<code>``).

A camera's ``snapshot`` is not JSON: its payload is the picture itself, checked here only for its
size (``MAX_SNAPSHOT_BYTES``) and its first bytes (a JPEG or PNG signature, else ``not_an_image``);
the picture is decoded, within pixel limits, by whoever receives ``snapshot_received``.

A failure nobody foresaw is still a rejection (``decoder_error``), logged with its traceback.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import orjson

from millet.core.errors import DomainError
from millet.devices.mqtt import topics
from millet.devices.mqtt.config import MAX_PACKET_BYTES, MAX_SNAPSHOT_BYTES
from millet.devices.services import validate_event, validate_telemetry
from millet.devices.telemetry import storage

log = logging.getLogger("millet.mqtt.decoder")

MAX_PAST = timedelta(days=30)
MAX_FUTURE = timedelta(hours=1)
MAX_DEPTH = 8  # {"props": {...}} is 2 deep; an ack's result a few more
MAX_SEQ = 2**63 - 1
INT_RANGE = (-(2**63), 2**63 - 1)  # what every store of JSON numbers keeps exactly
PAST_MS, FUTURE_MS = MAX_PAST // timedelta(milliseconds=1), MAX_FUTURE // timedelta(milliseconds=1)
ACK_STATUSES = ("ok", "error", "progress")
IMAGE_SIGNATURES = (b"\xff\xd8\xff", b"\x89PNG\r\n\x1a\n")  # JPEG, PNG
_STRING = re.compile(rb'"(?:[^"\\]|\\.)*"', re.DOTALL)
_BRACKET = re.compile(rb"[\[\]{}]")
_LONG_NUMBER = re.compile(rb"\d{19}")

# Every reason the decoder gives, besides ``out_of_spec:<code>`` from the model spec.
REASONS = frozenset(
    {
        "bad_topic",
        "too_large",
        "too_deep",
        "malformed_json",
        "invalid_value",
        "invalid_status",
        "invalid_ack",
        "invalid_seq",
        "invalid_ts",
        "ts_out_of_range",
        "invalid_args",
        "not_an_image",
        "decoder_error",
    }
)


@dataclass(frozen=True)
class Accepted:
    """``value``: a ``storage.Row`` (telemetry, events), an ack dict, True/False (status) or the
    picture's bytes (snapshot)."""

    channel: str
    device_id: str
    value: object


@dataclass(frozen=True)
class Rejected:
    reason: str
    device_id: str | None = None
    detail: str = ""


class Refused(Exception):
    """What ``parse_json`` and the checks raise: a reason from ``REASONS`` and a detail."""

    def __init__(self, reason: str, detail: str = "") -> None:
        super().__init__(reason)
        self.reason, self.detail = reason, detail


def decode(topic: str, payload: bytes, now: datetime) -> Accepted | Rejected:
    """Validate one uplink message received at ``now`` (aware). Never raises."""
    parsed = topics.parse(topic) if isinstance(topic, str) else None
    if parsed is None or parsed[1] not in topics.UPLINK:
        return Rejected("bad_topic")
    device_id, channel = parsed
    try:
        return Accepted(channel, device_id, _decode(channel, device_id, bytes(payload), now))
    except Refused as refused:
        return Rejected(refused.reason, device_id, refused.detail)
    except DomainError as exc:
        return Rejected(f"out_of_spec:{exc.code}", device_id, str(exc)[:200])
    except Exception as exc:  # noqa: BLE001 - a message must never stop ingestion, whatever it holds
        log.exception("decoding a message from %s failed", device_id)
        return Rejected("decoder_error", device_id, f"{type(exc).__name__}: {exc}"[:200])


def _decode(channel: str, device_id: str, payload: bytes, now: datetime) -> object:
    if len(payload) > MAX_PACKET_BYTES:
        raise Refused("too_large", f"{len(payload)} bytes")
    if channel == "status":
        text = payload.decode("utf-8", "replace").strip()
        if text not in ("online", "offline"):
            raise Refused("invalid_status")
        return text == "online"
    if channel == "snapshot":
        if len(payload) > MAX_SNAPSHOT_BYTES:
            raise Refused("too_large", f"{len(payload)} bytes")
        if not payload.startswith(IMAGE_SIGNATURES):
            raise Refused("not_an_image", payload[:8].hex())
        return payload
    message = parse_json(payload)
    if not isinstance(message, dict):
        raise Refused("malformed_json", "not a JSON object")
    if channel == "acks":
        return _ack(message)
    seq = _integer(message.get("seq"), "invalid_seq", 1, MAX_SEQ)
    ts = _device_time(message.get("ts"), now)
    if channel == "telemetry":
        props = validate_telemetry(device_id, message.get("props"))
        return storage.Row(device_id, "t", seq, ts, now, props)
    event, args = message.get("event"), message.get("args", {})
    if not isinstance(args, dict):
        raise Refused("invalid_args")
    validate_event(device_id, event, args)
    return storage.Row(device_id, "e", seq, ts, now, {"event": event, "args": args})


def parse_json(payload: bytes) -> object:
    """JSON that is at most ``MAX_DEPTH`` deep and holds only storable values, or ``Refused``.

    The scans are skipped when the bytes alone rule out what they look for (few brackets; no
    ``\\u0000`` escape and no run of 19 digits, the shortest integer past 64 bits), which is the
    case for nearly every real message.
    """
    if payload.count(b"[") + payload.count(b"{") > MAX_DEPTH:
        depth = deepest(payload)
        if depth > MAX_DEPTH:
            raise Refused("too_deep", f"nested {depth} deep")
    try:
        value = orjson.loads(payload)
    except orjson.JSONDecodeError as exc:
        raise Refused("malformed_json", str(exc)[:200]) from None
    if b"\\u0000" in payload or _LONG_NUMBER.search(payload):
        _check_values(value)
    return value


def deepest(payload: bytes) -> int:
    """The deepest bracket nesting in a JSON text, brackets inside strings not counted. Linear time;
    on text that is not JSON it may over-count, which only refuses what the parser would refuse."""
    depth = top = 0
    for bracket in _BRACKET.findall(_STRING.sub(b"", payload)):
        depth += 1 if bracket in (b"[", b"{") else -1
        top = max(top, depth)
    return top


def _check_values(value: object) -> None:
    """Walk the (depth-checked) value without recursion: no NUL in strings or keys, 64-bit ints."""
    pending = [value]
    while pending:
        item = pending.pop()
        if isinstance(item, dict):
            for key in item:
                if "\x00" in key:
                    raise Refused("invalid_value", "NUL in a key")
            pending.extend(item.values())
        elif isinstance(item, list):
            pending.extend(item)
        elif isinstance(item, str):
            if "\x00" in item:
                raise Refused("invalid_value", "NUL in a string")
        elif isinstance(item, int) and not isinstance(item, bool):
            if not INT_RANGE[0] <= item <= INT_RANGE[1]:
                raise Refused("invalid_value", "integer outside 64 bits")


def _integer(value: object, reason: str, low: int, high: int) -> int:
    if type(value) is not int or not low <= value <= high:
        raise Refused(reason, repr(value)[:40])
    return value


def _device_time(value: object, now: datetime) -> datetime:
    ts_ms = _integer(value, "invalid_ts", INT_RANGE[0], INT_RANGE[1])
    now_ms = now.timestamp() * 1000
    if not now_ms - PAST_MS <= ts_ms <= now_ms + FUTURE_MS:
        raise Refused("ts_out_of_range", str(ts_ms))
    return datetime.fromtimestamp(ts_ms / 1000, tz=UTC)  # inside the window: always a valid date


def _ack(message: dict) -> dict:
    command, status, result = message.get("command"), message.get("status"), message.get("result", {})
    if not isinstance(command, str) or status not in ACK_STATUSES or not isinstance(result, dict):
        raise Refused("invalid_ack")
    return {"command": command, "status": status, "result": result}
