"""Live news of a device for its owner's open pages: new readings and command states, as committed.

Publishers (the ingestion worker for readings, the command services for states) call ``publish_live``
inside their transaction; a message leaves when it commits, never for work that rolled back. A message
is a dict ``{"kind": "reading" | "command", "device": device_id, "data": {...}, "sent": epoch seconds}``:
a reading's data is ``{"props": {key: value}, "at": ISO 8601 device time, "ts": epoch ms of device
time}``, a command's ``{"id": command_id, "status": Command.Status value}``.

With ``settings.REDIS_URL`` messages travel by Redis pub/sub on ``channel_prefix() + device_id``, so a page
served by one process hears the ingestion worker in another (on a Redis Cluster, through one of its
masters: see ``_redis``); each serving process holds one Redis connection, whose listener thread
fans messages out to that process's subscribers. Without Redis
(SQLite quick start, the SQLite test pass) the fan-out is in-process, and reaches the other processes
of the same machine and ``DATA_DIR`` (the quick start's gunicorn workers and its ingestion worker) by
Unix datagram sockets: each process with subscribers binds ``DATA_DIR/live/<pid>.sock``, a publisher
sends each message to every other socket there (never blocking; a full or dead mailbox loses it).

``Subscription`` is what a page's event stream reads: ``get(timeout)`` from a WSGI thread, or
``async_get(timeout)`` from an ASGI event loop.

News is built only for devices someone is watching: a fleet of millions reports all day while a few
pages are open, and a message per reading (JSON, a PUBLISH) cost an ingestion worker about 7% of its
time with no page open (issue 14). With Redis, every process with subscribers keeps its devices in a
shared sorted set (``watched_key``; score: when the entry lapses, renewed every ``WATCH_SECONDS / 3``)
and changes ``version_key`` when it adds one. A publisher reads the version when its work commits (one
GET per batch) and the set only when the version moved or its copy is ``WATCH_SECONDS / 3`` old, so a
page's stream, which registers before it reads its opening snapshot, misses nothing committed after.
Without Redis, a publisher with no other process's mailbox beside it serves only its own subscribers.
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
import queue
import socket
import threading
import time
import uuid
from collections.abc import Callable, Iterable
from pathlib import Path
from urllib.parse import urlparse

from django.conf import settings
from django.db import transaction

from millet.core import redis_client

log = logging.getLogger(__name__)


def channel_prefix() -> str:
    """``millet:<redis db>:live:``: Redis pub/sub ignores the database number, so the channel names it
    (two Millets on one Redis, each on its own database, never hear each other)."""
    return f"millet:{urlparse(settings.REDIS_URL).path.strip('/') or '0'}:live:"


def watched_key() -> str:
    """The sorted set of watched device ids (score: epoch seconds when the entry lapses); one hash
    slot with ``version_key`` on a Redis Cluster."""
    return "{" + channel_prefix() + "}watched"


def version_key() -> str:
    """A value changed whenever a device joins ``watched_key``: publishers re-read the set then."""
    return "{" + channel_prefix() + "}version"


WATCH_SECONDS = 60  # an entry of ``watched_key`` lapses unless renewed (every third of this)

Deliver = Callable[[dict], None]
_lock = threading.Lock()
_subscribers: dict[str, set[Deliver]] = {}
_listener: threading.Thread | None = None
_listening = threading.Event()
_publisher = None
_watched_copy: tuple[float, bytes | None, frozenset[str]] = (0.0, None, frozenset())  # read at, version


def _redis():
    """A client of its own (a pub/sub listener blocks on its connection). On a Redis Cluster, a plain
    client of one master: classic pub/sub is cluster-wide (a message published on any node reaches
    subscribers on every node), and redis-py's cluster client cannot pipeline PUBLISH. When that node
    goes, the publisher and the listener connect again through the cluster's current layout."""
    client = redis_client.connect()
    if redis_client.is_cluster():
        return client.get_redis_connection(client.get_default_node())
    return client


def _dispatch(messages: list[dict]) -> None:
    """Each message to its device's subscribers here, in order; the lock taken once for the lot (a
    hand-out or an answer batch posts 500)."""
    with _lock:
        targets = [
            (deliver, message)
            for message in messages
            for deliver in _subscribers.get(message.get("device", ""), ())
        ]
    for deliver, message in targets:
        deliver(message)


def _mailboxes() -> Path:
    return Path(settings.DATA_DIR) / "live"


def _other_mailboxes() -> list[Path]:
    """The mailboxes of this machine's other processes with live subscribers (without Redis)."""
    own = f"{os.getpid()}.sock"
    return [p for p in _mailboxes().glob("*.sock") if p.name != own] if _mailboxes().is_dir() else []


def _post_locally(messages: list[dict]) -> None:
    """Without Redis: this process's subscribers, then every other process's mailbox."""
    _dispatch(messages)
    boxes = _other_mailboxes()
    if not boxes:
        return
    with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as out:
        out.setblocking(False)
        for message in messages:
            data = json.dumps(message, default=str).encode()
            for box in boxes:
                try:
                    out.sendto(data, str(box))
                except (ConnectionRefusedError, FileNotFoundError):
                    box.unlink(missing_ok=True)  # its process is gone
                except OSError:
                    pass  # a full mailbox (a stalled process): this message is lost to it


def _watch(devices: list[str]) -> None:
    """Enter ``devices`` in the shared set for another ``WATCH_SECONDS``, lapsed entries dropped first;
    a device new to the set gives the version a new value (never a count: a Redis that lost its data
    must not hand back a version a publisher already knows), so publishers see it at their next batch."""
    now = time.time()
    pipe = redis_client.shared().pipeline(transaction=False)
    pipe.zremrangebyscore(watched_key(), "-inf", now)
    pipe.zadd(watched_key(), dict.fromkeys(devices, now + WATCH_SECONDS))
    _, added = pipe.execute()
    if added:
        redis_client.shared().set(version_key(), uuid.uuid4().hex)


def _watched() -> frozenset[str] | None:
    """The devices someone is watching; None when that cannot be told (every message goes out), none
    while Redis is out (``redis_client.seems_down``): the news would be lost anyway, and a Redis that
    hangs must not hold up the work that publishes it."""
    global _watched_copy
    if not settings.REDIS_URL:
        if _other_mailboxes():
            return None  # another process may be watching: its mailbox does not say which devices
        with _lock:
            return frozenset(_subscribers)
    if redis_client.seems_down():
        return frozenset()
    try:
        client = redis_client.shared()
        version, (read_at, known, devices) = client.get(version_key()), _watched_copy
        if version != known or time.monotonic() - read_at > WATCH_SECONDS / 3:
            devices = frozenset(d.decode() for d in client.zrangebyscore(watched_key(), time.time(), "+inf"))
            _watched_copy = (time.monotonic(), version, devices)
        return devices
    except redis_client.ERRORS as exc:
        redis_client.note_outage(exc)
        return frozenset()


def _send(messages: list[dict]) -> None:
    global _publisher
    if not messages:
        return
    if not settings.REDIS_URL:
        _post_locally(messages)
        return
    try:
        if _publisher is None:
            _publisher = _redis()
        pipe = _publisher.pipeline(transaction=False)
        for message in messages:
            pipe.publish(channel_prefix() + message["device"], json.dumps(message, default=str))
        pipe.execute()
    except Exception:  # noqa: BLE001 - live news is best effort: the page shows the stored state on reload
        log.exception("could not publish %d live messages", len(messages))
        _publisher = None


def publish_live(items: Iterable[tuple[str, str, dict]]) -> None:
    """Queue ``(device_id, kind, data)`` messages to leave when the current transaction commits
    (at once outside a transaction). Never raises for a broken Redis: the news is lost, not the work."""
    now = time.time()
    messages = [{"kind": kind, "device": device, "data": data, "sent": now} for device, kind, data in items]
    if messages:
        transaction.on_commit(lambda: _send_watched(messages))


def _send_watched(messages: list[dict]) -> None:
    watched = _watched()
    _send([m for m in messages if watched is None or m["device"] in watched])


def publish_readings(rows: Iterable) -> None:
    """Telemetry rows just stored (``telemetry.storage.Row``: device_id, kind, ts, body) as readings,
    built when the batch commits and only for the devices someone watches then."""
    readings = [row for row in rows if row.kind == "t"]
    if readings:
        transaction.on_commit(lambda: _send_readings(readings))


def _send_readings(rows: list) -> None:
    watched = _watched()
    now = time.time()
    _send(
        [
            {
                "kind": "reading",
                "device": row.device_id,
                "data": {"props": row.body, "at": row.ts.isoformat(), "ts": int(row.ts.timestamp() * 1000)},
                "sent": now,
            }
            for row in rows
            if watched is None or row.device_id in watched
        ]
    )


def publish_command_states(states: Iterable[tuple[str, str, str]]) -> None:
    """``(device_id, command_id, status)`` of commands whose state just changed."""
    publish_live((device, "command", {"id": command, "status": status}) for device, command, status in states)


def _listen() -> None:
    """Thread: one Redis connection per process, every device's channel, fanned out locally; it also
    renews this process's devices in the watched set."""
    renew_at = 0.0
    while True:
        try:
            pubsub = _redis().pubsub(ignore_subscribe_messages=True)
            pubsub.psubscribe(channel_prefix() + "*")
            pubsub.get_message(timeout=5)  # the subscription's confirmation: from here nothing is missed
            _listening.set()
            while True:
                if time.monotonic() >= renew_at:
                    with _lock:
                        devices = list(_subscribers)
                    if devices:
                        _watch(devices)
                    renew_at = time.monotonic() + WATCH_SECONDS / 3
                raw = pubsub.get_message(timeout=1)
                if raw is None:
                    continue
                try:
                    _dispatch([json.loads(raw["data"])])
                except (ValueError, TypeError, KeyError):
                    log.warning("ignored a malformed live message")
        except Exception:  # noqa: BLE001 - the listener must outlive a Redis restart
            log.exception("live listener lost Redis; reconnecting")
            time.sleep(1)


def _receive(mailbox: socket.socket) -> None:
    """Thread, without Redis: other processes' messages posted to this process's mailbox."""
    while True:
        try:
            _dispatch([json.loads(mailbox.recv(65536))])
        except (ValueError, TypeError):
            log.warning("ignored a malformed live message")


def _open_mailbox() -> socket.socket:
    _mailboxes().mkdir(parents=True, exist_ok=True)
    path = _mailboxes() / f"{os.getpid()}.sock"
    path.unlink(missing_ok=True)
    mailbox = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    mailbox.bind(str(path))
    return mailbox


def _ensure_listener() -> None:
    global _listener
    with _lock:
        if _listener is None or not _listener.is_alive():
            if settings.REDIS_URL:
                _listener = threading.Thread(target=_listen, name="millet-live", daemon=True)
            else:
                _listener = threading.Thread(
                    target=_receive, args=(_open_mailbox(),), name="millet-live", daemon=True
                )
            _listener.start()
    if settings.REDIS_URL:
        _listening.wait(5)  # a stream's opening snapshot comes after this: it misses no news


def open_streams() -> int:
    """Subscriptions open in this process (the bench reads it)."""
    with _lock:
        return sum(len(s) for s in _subscribers.values())


class Subscription:
    """One page's feed of one device's messages; ``close()`` it when the page goes."""

    def __init__(self, device_id: str, *, asynchronous: bool = False) -> None:
        self.device_id = device_id
        if asynchronous:
            loop = asyncio.get_running_loop()
            self._aqueue: asyncio.Queue[dict] = asyncio.Queue()
            self._deliver: Deliver = lambda m: loop.call_soon_threadsafe(self._aqueue.put_nowait, m)
        else:
            self._queue: queue.SimpleQueue[dict] = queue.SimpleQueue()
            self._deliver = self._queue.put
        _ensure_listener()
        with _lock:
            _subscribers.setdefault(device_id, set()).add(self._deliver)
        if settings.REDIS_URL:
            try:
                _watch([device_id])  # before the page reads its snapshot: later news is built for it
            except redis_client.ERRORS as exc:
                redis_client.note_outage(exc)  # the stream still opens; its news waits for Redis

    def get(self, timeout: float) -> dict | None:
        """The next message, or None after ``timeout`` seconds without one."""
        try:
            return self._queue.get(timeout=timeout)
        except queue.Empty:
            return None

    async def async_get(self, timeout: float) -> dict | None:
        try:
            return await asyncio.wait_for(self._aqueue.get(), timeout)
        except TimeoutError:
            return None

    def close(self) -> None:
        with _lock:
            held = _subscribers.get(self.device_id)
            if held is not None:
                held.discard(self._deliver)
                if not held:
                    del _subscribers[self.device_id]
