"""One interface over the two broker modes: keep the broker's view of device credentials in sync.

``broker_admin()`` picks the mode from the environment (see ``config``). Both answer the same two
calls: ``sync_device`` after a credential change (new secret, revoked, re-enabled) and ``resync``
for a full pass at start-up. Mosquitto needs every device written into dynsec; the embedded broker
checks secrets live in the database, so for it a sync only has to kick a revoked device off.
"""

from __future__ import annotations

import logging
import queue
import threading
import uuid
from typing import Protocol

import paho.mqtt.client as mqtt

from millet.devices.mqtt.config import (
    ADMIN_USER,
    INGEST_USER,
    BrokerAddress,
    broker_address,
    service_credentials,
)

log = logging.getLogger("millet.mqtt")


class BrokerAdmin(Protocol):
    def sync_device(self, device_id: str, secret: str | None, enabled: bool) -> None: ...

    def resync(self) -> int: ...


class EmbeddedAdmin:
    def __init__(self, address: BrokerAddress) -> None:
        self.address = address

    def sync_device(self, device_id: str, secret: str | None, enabled: bool) -> None:
        if enabled:
            return  # provisioned, rotated or re-enabled: every CONNECT is checked live
        from millet.devices.mqtt.embedded import KICK_TOPIC

        publish_as_admin(self.address, KICK_TOPIC, device_id.encode())

    def resync(self) -> int:
        return 0


class MosquittoAdmin:
    def __init__(self, address: BrokerAddress) -> None:
        self.address = address

    def sync_device(self, device_id: str, secret: str | None, enabled: bool) -> None:
        DynsecSyncer.for_address(self.address).push(device_id, secret, enabled)

    def resync(self) -> int:
        """Align dynsec with the devices domain: service login, every device's enabled flag, no strays.

        Secrets are stored only as hashes, so a device missing from dynsec entirely can only be
        created when its secret is next issued (provisioning or rotation); it is reported, not guessed.
        """
        from millet.devices.mqtt.mosquitto import DynsecAdmin
        from millet.devices.services import all_device_credentials

        admin = DynsecAdmin(self.address.host, self.address.port, service_credentials()[ADMIN_USER])
        try:
            admin.ensure_service(service_credentials()[INGEST_USER])
            known = admin.device_usernames()
            changes = []
            for device_id, enabled in all_device_credentials():
                if device_id in known:
                    changes.append((device_id, None, enabled))
                    known.discard(device_id)
                else:
                    log.warning(
                        "device %s has no Mosquitto client: rotate its secret to create one", device_id
                    )
            admin.upsert_devices(changes)
            for stray in known:
                admin.delete_device(stray)
            return len(changes)
        finally:
            admin.close()


class DynsecSyncer:
    """Per process and broker: one dynsec session and a thread that sends queued changes in bulk.

    Provisioning a production run commits thousands of devices and emits a signal for each; the
    syncer sends whatever queued up meanwhile as one control message, so the request that
    provisioned them does not wait on thousands of broker round trips. A revocation still reaches
    the broker within milliseconds. Changes that fail (broker down) are logged; ``millet broker
    --resync`` realigns the enabled flags.
    """

    _instances: dict[tuple[str, int], DynsecSyncer] = {}
    _instances_lock = threading.Lock()

    def __init__(self, address: BrokerAddress) -> None:
        self.address = address
        self._queue: queue.Queue[tuple[str, str | None, bool]] = queue.Queue()
        self._idle = threading.Event()
        self._idle.set()
        self._pending = 0
        self._pending_lock = threading.Lock()
        self._admin = None
        threading.Thread(target=self._run, name="dynsec-sync", daemon=True).start()

    @classmethod
    def for_address(cls, address: BrokerAddress) -> DynsecSyncer:
        with cls._instances_lock:
            key = (address.host, address.port)
            if key not in cls._instances:
                cls._instances[key] = cls(address)
            return cls._instances[key]

    def push(self, device_id: str, secret: str | None, enabled: bool) -> None:
        with self._pending_lock:
            self._pending += 1
            self._idle.clear()
        self._queue.put((device_id, secret, enabled))

    def wait(self, timeout: float = 60.0) -> bool:
        """Block until every queued change was sent (tests; commands that provision, then connect)."""
        return self._idle.wait(timeout)

    def _run(self) -> None:
        from millet.devices.mqtt.mosquitto import DynsecAdmin

        while True:
            changes = [self._queue.get()]
            while True:
                try:
                    changes.append(self._queue.get_nowait())
                except queue.Empty:
                    break
            try:
                if self._admin is None or not self._admin.connected:
                    password = service_credentials()[ADMIN_USER]
                    self._admin = DynsecAdmin(self.address.host, self.address.port, password)
                self._admin.upsert_devices(changes)
            except (OSError, RuntimeError, ValueError) as exc:
                log.warning(
                    "dynsec sync of %d devices failed (%s): run millet broker --resync", len(changes), exc
                )
                self._admin = None
            with self._pending_lock:
                self._pending -= len(changes)
                if self._pending == 0:
                    self._idle.set()


class RabbitAdmin:
    """RabbitMQ asks Millet at every CONNECT (``services.broker_auth``), its nodes caching each answer
    for ``rabbitmq.AUTH_CACHE_MS``: there is no copy of the credentials to keep in sync."""

    def __init__(self, address: BrokerAddress) -> None:
        self.address = address

    def sync_device(self, device_id: str, secret: str | None, enabled: bool) -> None:
        log.info("device %s changed; RabbitMQ sees it at its next login check", device_id)

    def resync(self) -> int:
        return 0


def broker_admin(address: BrokerAddress | None = None) -> BrokerAdmin:
    address = address or broker_address()
    if address.mode == "rabbitmq":
        return RabbitAdmin(address)
    return MosquittoAdmin(address) if address.mode == "mosquitto" else EmbeddedAdmin(address)


def publish_as_admin(address: BrokerAddress, topic: str, payload: bytes, timeout: float = 5.0) -> None:
    client = mqtt.Client(
        mqtt.CallbackAPIVersion.VERSION2,
        client_id=f"{ADMIN_USER}-{uuid.uuid4().hex[:8]}",
        protocol=mqtt.MQTTv311,
    )
    client.username_pw_set(ADMIN_USER, service_credentials()[ADMIN_USER])
    accepted = threading.Event()
    answered = threading.Event()

    def on_connect(client, userdata, flags, reason_code, properties) -> None:
        if not reason_code.is_failure:
            accepted.set()
        answered.set()

    client.on_connect = on_connect
    client.connect(address.host, address.port, keepalive=10)
    client.loop_start()
    try:
        if not answered.wait(timeout) or not accepted.is_set():
            raise RuntimeError(f"the broker at {address.host}:{address.port} refused Millet's admin login")
        client.publish(topic, payload, qos=1).wait_for_publish(timeout)
    finally:
        client.disconnect()
        client.loop_stop()


def on_credentials_changed(sender, *, device_id: str, secret: str | None, enabled: bool, **kwargs) -> None:
    """Signal receiver: push the change to the broker now; an unreachable broker must not fail the caller.

    The caller's transaction has already committed (the signal fires on commit). If the broker is
    down, the embedded one re-checks every login live anyway, and Mosquitto is realigned by
    ``millet broker --resync``; the failure is logged for the operator.
    """
    try:
        broker_admin().sync_device(device_id, secret, enabled)
    except (OSError, RuntimeError, ValueError) as exc:
        log.warning("broker sync for %s failed (%s): it is applied at the next resync", device_id, exc)


def wait_for_sync(timeout: float = 60.0) -> bool:
    """Wait until queued credential changes reached Mosquitto (no-op for the embedded broker)."""
    address = broker_address()
    if address.mode != "mosquitto":
        return True
    return DynsecSyncer.for_address(address).wait(timeout)
