"""Real brokers for the MQTT tests: the embedded amqtt broker in a thread, a private Mosquitto process.

Import the fixtures into a test module by their function names (``broker_fixture``, ``plugs_fixture``...);
they register under the short names (``broker``, ``plugs``...). Every broker
listens on a free port of its own; the shared Mosquitto on 1883 is never touched. These tests use
``transactional_db``: the brokers, the ingestion worker and the simulator run in other threads with
their own database connections, which must see committed rows.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import shutil
import sys
import threading
import time
import traceback
import uuid
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass

import paho.mqtt.client as mqtt
import pytest
from django.db import connection

from millet.accounts.actor import SYSTEM
from millet.core.ports import free_port
from millet.devices.mqtt.broker import wait_for_sync
from millet.devices.mqtt.config import ADMIN_USER, INGEST_USER, service_credentials
from millet.devices.mqtt.ingest import IngestWorker
from millet.devices.mqtt.mosquitto import PrivateMosquitto, wait_for_port

PLUG = "urn:millet-spec:device:outlet:mi-plug:1"


def wait_until(
    condition: Callable[[], bool],
    timeout: float = 30.0,
    what: str = "condition",
    explain: Callable[[], str] | None = None,
) -> None:
    """Poll ``condition`` every 20 ms; ``explain`` puts the state that matters into the failure's
    first line, which a CI log keeps when it shortens the rest of the report."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.02)
    detail = f"; {explain()}" if explain is not None else ""
    raise AssertionError(f"timed out after {timeout}s waiting for {what}{detail}")


# What a test started and has not stopped yet, by id: its stop. A test that fails before its own stop
# (or never stops a client) would leave it reconnecting to its stopped broker for the rest of the
# session, one more thread each time; tests/conftest.py stops these after every test.
_leftovers: dict[int, Callable[[], None]] = {}


def stop_leftovers() -> None:
    while _leftovers:
        _, stop = _leftovers.popitem()
        with contextlib.suppress(Exception):  # best effort: the test's own outcome is what counts
            stop()


class Running:
    """A worker or simulator in its own thread, stoppable and restartable. An ingest worker's paho
    log is kept (its last lines) for ``explain``."""

    def __init__(self, make, *, on_batch=None) -> None:
        self.make, self.on_batch = make, on_batch
        self.thing = None
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self.transport_log: deque[str] = deque(maxlen=40)

    def start(self) -> Running:
        self.thing = self.make()
        self._stop = threading.Event()
        kwargs = {}
        if isinstance(self.thing, IngestWorker):
            kwargs["on_batch"] = self.on_batch
            client = getattr(self.thing, "_client", None)  # the MQTT transport (not the AMQP one)
            if client is not None:
                client.on_log = self._keep_log
        self._thread = threading.Thread(target=self.thing.run, args=(self._stop,), kwargs=kwargs, daemon=True)
        self._thread.start()
        _leftovers[id(self)] = self.stop
        return self

    def _keep_log(self, client, userdata, level, line: str) -> None:
        self.transport_log.append(f"{time.monotonic():.2f} {line}")

    def stop(self) -> None:
        _leftovers.pop(id(self), None)
        self._stop.set()
        self._thread.join(30)
        assert not self._thread.is_alive()

    def explain(self) -> str:
        """The worker's session as it stands, and what its MQTT client last did."""
        worker = self.thing
        state = (
            f"connected={worker.connected.is_set()} subscribed={worker.subscribed.is_set()} "
            f"abandoned handshakes={getattr(worker, 'abandoned_handshakes', 0)} at {time.monotonic():.2f}"
        )
        return f"{state}; client log: {' | '.join(self.transport_log) or '(empty)'}"


def worker_for(broker, **kwargs) -> Running:
    return Running(lambda: IngestWorker(broker.host, broker.port, flush_seconds=0.02, **kwargs))


def wait_subscribed(worker: Running, what: str = "the worker's session to subscribe") -> None:
    wait_until(lambda: worker.thing.subscribed.is_set(), what=what, explain=worker.explain)


class EmbeddedBroker:
    """``millet broker`` in a thread: start, stop and restart it on a fixed port."""

    def __init__(self, port: int | None = None) -> None:
        self.host, self.port = "127.0.0.1", port or free_port()
        self.mode = "embedded"
        self._thread: threading.Thread | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._stop: asyncio.Event | None = None

    def start(self) -> EmbeddedBroker:
        from millet.devices.mqtt.embedded import serve

        started = threading.Event()

        async def main() -> None:
            self._loop = asyncio.get_running_loop()
            self._stop = asyncio.Event()
            ready = asyncio.Event()
            task = asyncio.create_task(serve(self.host, self.port, self._stop, ready))
            await ready.wait()
            started.set()
            await task

        self._thread = threading.Thread(target=asyncio.run, args=(main(),), daemon=True)
        self._thread.start()
        assert started.wait(15), "embedded broker did not start"
        wait_for_port(self.host, self.port)
        return self

    def stop(self) -> None:
        if self._thread is not None:
            self._loop.call_soon_threadsafe(self._stop.set)
            self._thread.join(30)
            self._thread = None

    def restart(self) -> None:
        self.stop()
        self.start()

    def describe(self) -> str:
        """Where each of the broker's tasks is waiting, and its sessions' state: what a failed test
        needs to tell a stalled broker from a slow worker (the broker runs in this process)."""
        if self._thread is None or self._loop is None:
            return "embedded broker: stopped"

        async def snapshot() -> str:
            lines = []
            broker = next(
                (t.get_coro().cr_frame.f_locals.get("broker") for t in asyncio.all_tasks() if _is_serve(t)),
                None,
            )
            if broker is not None:
                lines.append(f"broadcast queue: {broker._broadcast_queue.qsize()}")
                lines.append(f"retained: {sorted(broker._retained_messages)}")
                for client_id, (session, _) in list(broker._sessions.items()):
                    lines.append(
                        f"session {client_id}: {session.transitions.state}, queued "
                        f"{session.retained_messages.qsize()}, inflight out {len(session.inflight_out)}"
                    )
                for topic_filter, subs in list(broker._subscriptions.items()):
                    lines.append(f"filter {topic_filter}: {[s.client_id for s, _ in subs]}")
            lines += [_await_chain(t) for t in asyncio.all_tasks() if t is not asyncio.current_task()]
            return "\n".join(lines)

        try:
            return asyncio.run_coroutine_threadsafe(snapshot(), self._loop).result(5)
        except Exception as exc:  # noqa: BLE001 - a wedged loop is itself the finding
            return f"embedded broker loop did not answer in 5 s ({exc!r}): see its thread's stack"


def _await_chain(task: asyncio.Task) -> str:
    """A task's whole chain of awaits down to what it waits on (``get_stack`` gives only its top
    coroutine's frame)."""
    lines, awaited = [f"task {task.get_name()}:"], task.get_coro()
    while awaited is not None:
        frame = getattr(awaited, "cr_frame", None) or getattr(awaited, "gi_frame", None)
        if frame is None:
            lines.append(f"  waiting on {awaited!r}")
            break
        lines.append(f"  {frame.f_code.co_filename}:{frame.f_lineno} in {frame.f_code.co_name}")
        awaited = getattr(awaited, "cr_await", None) or getattr(awaited, "gi_yieldfrom", None)
    return "\n".join(lines)


def _is_serve(task: asyncio.Task) -> bool:
    return getattr(task.get_coro(), "__qualname__", "") == "serve"


def thread_stacks() -> str:
    """Every thread of this process (the broker's loop, the ingest worker's, the simulator's), where
    it is now."""
    names = {t.ident: t.name for t in threading.enumerate()}
    return "\n".join(
        f"thread {names.get(ident, ident)}:\n{''.join(traceback.format_stack(frame))}"
        for ident, frame in sys._current_frames().items()
    )


@dataclass
class Broker:
    """What a test needs of either broker: where it is, and how to stop/start it."""

    mode: str
    host: str
    port: int
    server: object

    def stop(self) -> None:
        self.server.stop()

    def start(self) -> None:
        self.server.start()

    def restart(self) -> None:
        self.server.restart()

    def describe(self) -> str:
        describe = getattr(self.server, "describe", None)
        return describe() if describe is not None else f"{self.mode} broker on port {self.port}"


def require_mosquitto() -> None:
    """Private brokers need the binary; under CI its absence fails the test, elsewhere it skips."""
    if not shutil.which("mosquitto") and not os.path.exists("/usr/sbin/mosquitto"):
        if os.environ.get("CI"):
            pytest.fail("mosquitto is required under CI (scripts/services.sh installs it)")
        pytest.skip("mosquitto is not installed")


def _start_mosquitto(tmp_path) -> PrivateMosquitto:
    require_mosquitto()
    server = PrivateMosquitto(
        tmp_path / f"mosquitto-{uuid.uuid4().hex[:6]}", admin_password=service_credentials()[ADMIN_USER]
    )
    server.start()
    try:
        admin = server.admin()
        try:
            admin.ensure_service(service_credentials()[INGEST_USER])
        finally:
            admin.close()
    except BaseException:
        server.stop()
        raise
    return server


@pytest.fixture(name="broker", params=["embedded", "mosquitto"])
def broker_fixture(request, tmp_path, monkeypatch):
    """Each test runs against both brokers; credential changes are synced to the one under test."""
    if request.param == "embedded":
        server = EmbeddedBroker().start()
    else:
        server = _start_mosquitto(tmp_path)
    monkeypatch.setenv("MILLET_MQTT_MODE", request.param)
    monkeypatch.setenv("MILLET_MQTT_HOST", server.host)
    monkeypatch.setenv("MILLET_MQTT_PORT", str(server.port))
    yield Broker(request.param, server.host, server.port, server)
    server.stop()


@pytest.fixture(name="mosquitto")
def mosquitto_fixture(tmp_path, monkeypatch):
    server = _start_mosquitto(tmp_path)
    monkeypatch.setenv("MILLET_MQTT_MODE", "mosquitto")
    monkeypatch.setenv("MILLET_MQTT_HOST", server.host)
    monkeypatch.setenv("MILLET_MQTT_PORT", str(server.port))
    yield Broker("mosquitto", server.host, server.port, server)
    server.stop()


@pytest.fixture(name="embedded")
def embedded_fixture(monkeypatch):
    server = EmbeddedBroker().start()
    monkeypatch.setenv("MILLET_MQTT_MODE", "embedded")
    monkeypatch.setenv("MILLET_MQTT_HOST", server.host)
    monkeypatch.setenv("MILLET_MQTT_PORT", str(server.port))
    yield Broker("embedded", server.host, server.port, server)
    server.stop()


@pytest.fixture(name="plugs")
def plugs_fixture(transactional_db):
    """Provision n Mi Smart Plugs (properties ``on`` and ``power``) with real committed rows."""
    from millet.catalog import services as catalog
    from millet.demo.data import DEVICE_MODELS
    from millet.devices.services import forget_specs, provision_batch
    from millet.regions.services import clear_caches

    name, title, services = DEVICE_MODELS["plug"]
    catalog.create_device_model(name, title, {"services": services}, actor=SYSTEM)
    forget_specs()
    counter = iter(range(10**6))

    def make(n: int, batch: str = "T1"):
        serials = [f"PLUG{uuid.uuid4().hex[:6].upper()}{next(counter):05d}" for _ in range(n)]
        issued = provision_batch(model_urn=name, serials=serials, batch=batch, actor=SYSTEM)
        assert wait_for_sync(), "credentials did not reach the broker"
        return issued

    yield make
    forget_specs()
    clear_caches()
    with connection.cursor() as cursor:  # unmanaged (raw SQL) table: the test flush does not empty it
        cursor.execute("DELETE FROM telemetry_message")


class Device:
    """A bare paho client logged in as a device, for ACL checks (blocking helpers, short timeouts)."""

    def __init__(
        self,
        broker: Broker,
        device_id: str,
        secret: str,
        *,
        client_id: str | None = None,
        clean_session: bool = True,
        will: tuple[str, bytes] | None = None,
    ) -> None:
        self.client = mqtt.Client(
            mqtt.CallbackAPIVersion.VERSION2,
            client_id=client_id or device_id,
            protocol=mqtt.MQTTv311,
            clean_session=clean_session,
        )
        self.client.username_pw_set(device_id, secret)
        if will is not None:  # a firmware-style last will: retained, QoS 1
            self.client.will_set(will[0], will[1], qos=1, retain=True)
        self.connack = None
        self.suback: list = []
        self.disconnected = threading.Event()
        self.messages: list = []
        self._subscribed = threading.Event()
        self.client.on_connect = lambda c, u, f, rc, p: setattr(self, "connack", rc)
        self.client.on_disconnect = lambda c, u, f, rc, p: self.disconnected.set()
        self.client.on_subscribe = self._on_subscribe
        self.client.on_message = lambda c, u, m: self.messages.append((m.topic, m.payload))
        self.broker = broker
        _leftovers[id(self)] = self.close

    def _on_subscribe(self, client, userdata, mid, reason_codes, properties) -> None:
        self.suback = [rc.value for rc in reason_codes]
        self._subscribed.set()

    def connect(self, timeout: float = 10) -> int:
        """The CONNACK code as paho 2 reports it: 0 accepted; 134/135 refused (MQTT 3.1.1's 4/5)."""
        self.client.connect(self.broker.host, self.broker.port, keepalive=30)
        self.client.loop_start()
        wait_until(lambda: self.connack is not None or self.disconnected.is_set(), timeout, "CONNACK")
        return self.connack.value if self.connack is not None else -1

    def subscribe(self, topic: str) -> list[int]:
        self._subscribed.clear()
        self.client.subscribe(topic, qos=1)
        assert self._subscribed.wait(10), "no SUBACK"
        return self.suback

    def publish(self, topic: str, payload: str | bytes, *, retain: bool = False) -> None:
        self.client.publish(topic, payload, qos=1, retain=retain).wait_for_publish(10)

    def close(self) -> None:
        _leftovers.pop(id(self), None)
        self.client.disconnect()
        self.client.loop_stop()

    def drop(self) -> None:
        """Lose the connection without a DISCONNECT (power cut): the broker publishes the will."""
        self.client.loop_stop()
        sock = self.client.socket()
        if sock is not None:
            sock.close()


class Service(Device):
    """The platform's ingestion login, subscribed to every device's uplink (a passive observer)."""

    def __init__(self, broker: Broker, client_id: str = "observer") -> None:
        super().__init__(broker, INGEST_USER, service_credentials()[INGEST_USER], client_id=client_id)
